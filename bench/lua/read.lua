-- GET /api/buildings/{id}/, rotating over ids read from the file given after "--".
local ids = {}
local next_index = 1

init = function(args)
  for line in io.lines(args[1]) do
    ids[#ids + 1] = line
  end
  -- Each wrk thread starts somewhere else in the list.
  next_index = math.random(#ids)
end

request = function()
  local id = ids[next_index]
  next_index = next_index % #ids + 1
  return wrk.format("GET", "/api/buildings/" .. id .. "/")
end
