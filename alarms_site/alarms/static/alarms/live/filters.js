/*
 * The filter bar: the API's filters (building, severity, priority, state, assignee, and
 * "show shelved and out of service" as open=true), filled in from the page's URL.
 */

/** Offer the choices the server sent, and show ``filters`` as set. */
export function fillFilters(form, config, filters) {
  for (const [name, choices] of Object.entries(config.choices)) {
    form.elements[name].append(...choices.map(([value, label]) => new Option(label, value)));
  }
  form.elements.assignee.append(...config.assignees.map((username) => new Option(username, username)));
  document.getElementById("assignees").append(...config.assignees.map((username) => new Option(username)));
  for (const name of ["building_id", "severity", "priority", "state"]) form.elements[name].value = filters[name] || "";
  form.elements.assignee.value = filters.assigned === "false" ? "-" : filters.assignee || "";
  form.elements.open.checked = filters.open === "true";
}

/** The filters as set in the bar, by their API names (empty ones left out). */
export function readFilters(form) {
  const read = {};
  for (const name of ["building_id", "severity", "priority", "state"]) {
    const value = form.elements[name].value.trim();
    if (value) read[name] = value;
  }
  const assignee = form.elements.assignee.value;
  if (assignee === "-") read.assigned = "false";
  else if (assignee) read.assignee = assignee;
  if (form.elements.open.checked) read.open = "true";
  return read;
}

