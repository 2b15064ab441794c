/*
 * Which alarms the page's list holds, and in what order: the same rules as the server's
 * (selectors.alarm_ordered "priority", ANNUNCIATED_NOW and the API's filters), so live frames
 * land where a reload would put them.
 */

const RANK = { high: 0, medium: 1, low: 2 }; // priorities.RANK

/** Unacknowledged first, then the highest priority, then the newest. */
export function compareAlarms(a, b) {
  const waiting = Number(a.acknowledged) - Number(b.acknowledged);
  if (waiting) return waiting;
  const rank = (RANK[a.priority] ?? 3) - (RANK[b.priority] ?? 3);
  return rank || b.id - a.id;
}

/** Whether the list with these filters (the API's names, as in the page's URL) holds this alarm. */
export function belongs(alarm, filters) {
  if (alarm.state === "closed") return false;
  if (filters.open !== "true" && (alarm.shelved || alarm.out_of_service)) return false;
  if (filters.building_id && alarm.building_id !== Number(filters.building_id)) return false;
  for (const name of ["severity", "priority", "state", "assignee"]) {
    if (filters[name] && alarm[name] !== filters[name]) return false;
  }
  if (filters.assigned === "false" && alarm.assignee) return false;
  if (filters.assigned === "true" && !alarm.assignee) return false;
  return true;
}

/** Whether any filter narrows the list (beyond what it holds without filters). */
export function narrowed(filters) {
  return ["building_id", "severity", "priority", "state", "assignee", "assigned"].some((name) => filters[name]);
}

/** The API query of the list: the filters, and without open=true the alarms annunciated now (views.live_query). */
export function apiQuery(filters, pageSize) {
  const query = new URLSearchParams();
  for (const [name, value] of Object.entries(filters)) if (value && name !== "open") query.set(name, value);
  query.set(filters.open === "true" ? "open" : "annunciated", "true");
  query.set("order", "priority");
  query.set("page_size", String(pageSize));
  return query;
}
