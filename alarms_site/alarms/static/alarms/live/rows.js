/*
 * One alarm's row: its severity, name and repeats, where it comes from, when it went off, its
 * ISA-18.2 state and what else is true of it (shelved, out of service, chattering, assigned,
 * commented), and the actions the signed-in user may take on it.
 */

const rowTemplate = document.getElementById("alarm-row");
const sameDay = (a, b) => a.toDateString() === b.toDateString();
const clock = { hour: "2-digit", minute: "2-digit", second: "2-digit" };

export const STATE_LABELS = {
  active_unacknowledged: "Active",
  active_acknowledged: "Active, acknowledged",
  cleared_unacknowledged: "Cleared, unacknowledged",
  closed: "Closed",
};

export function timeText(iso) {
  const date = new Date(iso);
  const time = date.toLocaleTimeString([], clock);
  return sameDay(date, new Date()) ? time : `${date.toLocaleDateString([], { month: "short", day: "numeric" })} ${time}`;
}

const fullTime = (iso) => new Date(iso).toLocaleString();

/** A new row for ``alarm``, with only the actions ``user`` may take; ``minutes`` are the shelve choices. */
export function createRow(alarm, user, minutes) {
  const row = rowTemplate.content.firstElementChild.cloneNode(true);
  row.dataset.alarmId = String(alarm.id);
  row.classList.add(`alarm--${alarm.severity}`);
  const badge = row.querySelector(".badge");
  badge.textContent = alarm.severity;
  badge.classList.add(`badge--${alarm.severity}`);
  const name = row.querySelector(".alarm__name");
  name.textContent = alarm.name;
  name.title = alarm.name;
  row.querySelector(".alarm__source").textContent = alarm.source || "";
  row.querySelector(".alarm__building").textContent = `Building ${alarm.building_id}`;
  const time = row.querySelector(".alarm__time");
  time.textContent = timeText(alarm.occurred_at);
  time.title = `Occurred ${fullTime(alarm.occurred_at)}\nReceived ${fullTime(alarm.received_at)}`;
  if (!user.may_change) {
    row.querySelector(".alarm__actions").replaceChildren();
    row.querySelector(".actions").remove();
  } else if (!user.may_shelve) {
    for (const element of row.querySelectorAll('[data-needs="shelve"]')) element.remove();
  }
  const choice = row.querySelector('select[name="minutes"]');
  if (choice) choice.append(...minutes.map(([value, label]) => new Option(label, value, value === "60", value === "60")));
  renderRow(row, alarm);
  return row;
}

function mark(row, kind, shown, text, title = "") {
  const element = row.querySelector(`.mark--${kind}`);
  element.hidden = !shown;
  if (text !== undefined) element.textContent = text;
  element.title = title;
}

function show(row, selector, shown) {
  const element = row.querySelector(selector);
  if (element) element.hidden = !shown;
}

/** Bring ``row`` up to date with ``alarm`` (typed text in its action forms is kept). */
export function renderRow(row, alarm) {
  const state = row.querySelector(".alarm__state");
  state.textContent = STATE_LABELS[alarm.state] || alarm.state;
  state.dataset.state = alarm.state;
  for (const name of Object.keys(STATE_LABELS)) row.classList.toggle(`alarm--${name}`, alarm.state === name);
  row.classList.toggle("alarm--done", alarm.acknowledged);
  row.classList.toggle("alarm--shelved", alarm.shelved);
  row.classList.toggle("alarm--out-of-service", alarm.out_of_service);
  const repeats = row.querySelector(".alarm__occurrences");
  repeats.hidden = !(alarm.occurrences > 1);
  repeats.textContent = `×${alarm.occurrences}`;
  repeats.title = alarm.last_occurred_at ? `Last raised ${fullTime(alarm.last_occurred_at)}` : "";

  const until = alarm.shelved_until ? `until ${timeText(alarm.shelved_until)}` : "until it clears";
  const shelvedBy = alarm.shelved ? `Shelved by ${alarm.shelved_by} ${until}: ${alarm.shelve_reason}` : "";
  mark(row, "shelved", alarm.shelved, alarm.shelved ? `Shelved ${until}` : "Shelved", shelvedBy);
  mark(row, "out-of-service", alarm.out_of_service);
  mark(row, "chattering", alarm.chattering, undefined, "It went on and off too often");
  mark(row, "assignee", Boolean(alarm.assignee), `Assigned to ${alarm.assignee}`);
  mark(row, "comments", alarm.comments > 0, `${alarm.comments} comment${alarm.comments === 1 ? "" : "s"}`);

  const done = row.querySelector(".acknowledged");
  done.hidden = !alarm.acknowledged;
  if (alarm.acknowledged) {
    done.querySelector(".acknowledged__detail").textContent =
      `${alarm.acknowledged_by || "someone"} · ${timeText(alarm.acknowledged_at)}`;
    done.title = `Acknowledged ${fullTime(alarm.acknowledged_at)}`;
  }
  const open = alarm.state !== "closed";
  show(row, '[data-action="acknowledge"]', !alarm.acknowledged);
  show(row, 'form[data-action="shelve"]', open && !alarm.shelved);
  show(row, '[data-action="unshelve"]', alarm.shelved);
  show(row, 'form[data-action="assign"]', open);
  show(row, '[data-action="unassign"]', Boolean(alarm.assignee));
}

/** Show why an action failed, under the row (empty text: hide it). */
export function showError(row, text) {
  const error = row.querySelector(".alarm__error");
  error.textContent = text;
  error.hidden = !text;
}
