-- GET <prefix>{id}/, rotating over ids read from the file given after "--", then the path
-- prefix (/api/buildings/ unless given: the ceiling app serves /{id}/).
local ids = {}
local next_index = 1
local prefix = "/api/buildings/"

init = function(args)
  for line in io.lines(args[1]) do
    ids[#ids + 1] = line
  end
  prefix = args[2] or prefix
  -- Each wrk thread starts somewhere else in the list.
  next_index = math.random(#ids)
end

request = function()
  local id = ids[next_index]
  next_index = next_index % #ids + 1
  return wrk.format("GET", prefix .. id .. "/")
end
