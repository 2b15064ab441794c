/*
 * The live alarm page: the rows and true counts the server embedded, then the live feed.
 *
 * The list holds what a reload from the API would give: the page's filters applied to the
 * alarms annunciated now (or to every open alarm, with "show shelved and out of service"),
 * the window's most pressing ones first (order.js). Live frames update rows in place, add
 * alarms that now belong and let go of those that no longer do (after a moment, so the
 * operator sees what happened). The header's counts are the server's, never the rows'.
 * A filter change, a reconnect or a gap in a full window reloads the list from the API;
 * frames arriving meanwhile are applied after the reload, so none is lost to it.
 */

import { shelveChoices, wireActions } from "./actions.js";
import { follow } from "./feed.js";
import { fillFilters, readFilters } from "./filters.js";
import { number, renderGroups } from "./groups.js";
import { apiQuery, belongs, compareAlarms, narrowed } from "./order.js";
import { createRow, renderRow } from "./rows.js";

const config = JSON.parse(document.getElementById("live-page").textContent);
const WINDOW = config.window;
const API_PATH = document.body.dataset.apiPath;
const SOCKET_URL = `${location.protocol === "https:" ? "wss" : "ws"}://${location.host}${document.body.dataset.socketPath}`;
const FRESH_MS = 1600;
const LEAVE_MS = 3000; // a row that no longer belongs stays this long, showing why it goes
const REFILL_MS = 800; // rows left a full window: reload once they stopped leaving
const FILTERED_REFRESH_MS = 15000; // a filtered list's own count, refreshed at most this often
const RESUME_IDS = 1000; // FeedResumeSerializer's limit

const list = document.getElementById("alarm-list");
const groupsBox = document.getElementById("alarm-groups");
const form = document.getElementById("filters");
const groupedBox = document.getElementById("grouped");
const minutes = shelveChoices(config.shelve_max_minutes);
const entries = new Map(); // alarm id -> {alarm, row, leaving}
const collapsed = new Set(); // building ids folded away in the grouped view
const expanded = new Set(); // sources shown with all their rows in the grouped view
let filters = { ...config.filters };
let counts = config.counts;
let matching = config.matching;
let newestSeen = config.newest_id;
let groupChoice = null; // the operator's own choice; null: grouped while in flood
let buffered = null; // frames held back while a reload runs
let reloads = 0;
let reloadTimer = null;

const text = (id, value) => { document.getElementById(id).textContent = value; };

/* ---------- rows ---------- */

function upsert(alarm, { fresh = false } = {}) {
  newestSeen = Math.max(newestSeen, alarm.id);
  let entry = entries.get(alarm.id);
  if (entry) {
    // An acknowledgement never goes back: an older copy arriving late must not undo one shown.
    if (entry.alarm.acknowledged && !alarm.acknowledged) return;
    Object.assign(entry.alarm, alarm);
    renderRow(entry.row, entry.alarm);
  } else {
    if (!belongs(alarm, filters)) return;
    entry = { alarm: { ...alarm }, row: createRow(alarm, config.user, minutes), leaving: null };
    entries.set(alarm.id, entry);
    if (fresh) {
      entry.row.classList.add("alarm--fresh");
      setTimeout(() => entry.row.classList.remove("alarm--fresh"), FRESH_MS);
    }
  }
  if (belongs(entry.alarm, filters)) stay(entry);
  else leave(entry);
}

function acknowledged(update) {
  const entry = entries.get(update.id);
  if (entry && update.acknowledged && !entry.alarm.acknowledged) upsert({ ...entry.alarm, ...update });
}

function stay(entry) {
  clearTimeout(entry.leaving);
  entry.leaving = null;
  entry.row.classList.remove("alarm--leaving");
}

function leave(entry) {
  if (entry.leaving) return;
  entry.row.classList.add("alarm--leaving");
  entry.leaving = setTimeout(() => {
    drop(entry.alarm.id);
    layout();
    if (shown() < WINDOW && matching > shown()) scheduleReload(REFILL_MS);
  }, LEAVE_MS);
}

function drop(id) {
  const entry = entries.get(id);
  if (!entry) return;
  clearTimeout(entry.leaving);
  entry.row.remove();
  entries.delete(id);
}

const shown = () => [...entries.values()].filter((entry) => !entry.leaving).length;

/** Put the rows in order (flat or grouped), keep the window's worth, and update what the page says of them. */
function layout() {
  const sorted = [...entries.values()].sort((a, b) => compareAlarms(a.alarm, b.alarm));
  let kept = 0;
  const ordered = sorted.filter((entry) => {
    if (kept >= WINDOW) {
      drop(entry.alarm.id); // fell off the end of the window
      return false;
    }
    if (!entry.leaving) kept += 1;
    return true;
  });
  const focused = document.activeElement;
  const grouped = groupChoice ?? Boolean(counts.flood.active);
  groupedBox.checked = grouped;
  list.hidden = grouped;
  groupsBox.hidden = !grouped;
  if (grouped) {
    renderGroups(groupsBox, ordered, counts.groups, { collapsed, expanded, onlyLoaded: narrowed(filters) });
  } else {
    ordered.forEach((entry, index) => {
      if (list.children[index] !== entry.row) list.insertBefore(entry.row, list.children[index] || null);
    });
    groupsBox.replaceChildren();
  }
  // Moving a row blurs what had focus in it (a comment being typed): give it back.
  if (focused?.isConnected && document.activeElement !== focused) focused.focus({ preventScroll: true });
  document.getElementById("empty").hidden = kept > 0;
  text("count-shown", number(kept));
  text("count-matching", number(Math.max(matching, kept)));
  renderFlood(grouped);
}

/* ---------- counts and flood ---------- */

function applyCounts(frame) {
  const changed = JSON.stringify(frame.counts) !== JSON.stringify(counts.counts);
  counts = frame;
  text("count-open", number(frame.counts.unacknowledged));
  text("count-annunciated", number(frame.counts.annunciated));
  text("count-shelved", number(frame.counts.shelved));
  text("count-out-of-service", number(frame.counts.out_of_service));
  if (!narrowed(filters)) matching = filters.open === "true" ? frame.counts.open : frame.counts.annunciated;
  else if (changed) scheduleReload(FILTERED_REFRESH_MS); // its own count is the API's
}

function renderFlood(grouped) {
  const flood = counts.flood;
  document.getElementById("flood").hidden = !flood.active;
  document.body.classList.toggle("in-flood", flood.active);
  text("flood-text", `${number(flood.recent)} alarms annunciated in the last ${flood.window_minutes} minutes.` +
    (grouped ? " Grouped by building and source; the most pressing first." : ""));
  text("flood-view", grouped ? "Show as one list" : "Group by building and source");
}

/* ---------- reloading from the API ---------- */

function scheduleReload(delay) {
  if (reloadTimer === null) reloadTimer = setTimeout(reload, delay);
}

async function reload() {
  clearTimeout(reloadTimer);
  reloadTimer = null;
  const mine = ++reloads;
  buffered = buffered || [];
  text("filters-status", "Loading…");
  try {
    const response = await fetch(`${API_PATH}?${apiQuery(filters, WINDOW)}`, {
      credentials: "same-origin",
      headers: { Accept: "application/json" },
    });
    if (mine !== reloads) return; // a newer reload runs and will apply the held frames
    if (!response.ok) throw new Error(`the server answered ${response.status}`);
    const body = await response.json();
    const ids = new Set(body.results.map((alarm) => alarm.id));
    for (const id of [...entries.keys()]) if (!ids.has(id)) drop(id);
    body.results.forEach((alarm) => upsert(alarm));
    matching = body.count;
    text("filters-status", "");
  } catch (error) {
    if (mine === reloads) text("filters-status", `Not reloaded: ${error.message}`);
  } finally {
    if (mine === reloads) {
      const held = buffered;
      buffered = null;
      held.forEach(handleFrame);
      layout();
    }
  }
}

/* ---------- filters ---------- */

function applyFilters(next) {
  filters = next;
  const query = new URLSearchParams(filters).toString();
  history.replaceState(null, "", query ? `?${query}` : location.pathname);
  for (const entry of entries.values()) if (!belongs(entry.alarm, filters)) drop(entry.alarm.id);
  layout();
  reload();
}

form.addEventListener("change", (event) => {
  if (event.target !== groupedBox) applyFilters(readFilters(form));
});
form.addEventListener("submit", (event) => {
  event.preventDefault();
  applyFilters(readFilters(form));
});
form.addEventListener("reset", () => setTimeout(() => applyFilters(readFilters(form))));
groupedBox.addEventListener("change", () => {
  groupChoice = groupedBox.checked;
  layout();
});
document.getElementById("flood-view").addEventListener("click", () => {
  groupChoice = !(groupChoice ?? Boolean(counts.flood.active));
  layout();
});
groupsBox.addEventListener("click", (event) => {
  const toggle = event.target.closest("[data-toggle-building]");
  const only = event.target.closest("[data-only-building]");
  const more = event.target.closest("[data-expand-source]");
  if (more) {
    if (!expanded.delete(more.dataset.expandSource)) expanded.add(more.dataset.expandSource);
    layout();
  } else if (toggle) {
    const id = Number(toggle.dataset.toggleBuilding);
    if (!collapsed.delete(id)) collapsed.add(id);
    layout();
  } else if (only) {
    form.elements.building_id.value = only.dataset.onlyBuilding;
    applyFilters(readFilters(form));
  }
});

/* ---------- the feed ---------- */

function handleFrame(frame) {
  if (buffered && frame.type !== "counts") {
    buffered.push(frame);
    return;
  }
  switch (frame.type) {
    case "catchup":
    case "created":
      frame.alarms.forEach((alarm) => upsert(alarm, { fresh: true }));
      break;
    case "changed":
      frame.alarms.forEach((alarm) => upsert(alarm));
      break;
    case "acknowledged":
      frame.alarms.forEach(acknowledged);
      break;
    case "counts":
      applyCounts(frame);
      break;
    case "error":
      console.warn("live feed refused a message", frame.errors);
      return;
    default:
      console.warn("unknown live frame", frame.type);
      return;
  }
  layout();
}

function showNotice(message) {
  text("notice-text", message);
  document.getElementById("notice").hidden = false;
}

document.getElementById("notice-close").addEventListener("click", () => {
  document.getElementById("notice").hidden = true;
});

wireActions(document.querySelector(".table"), {
  apiPath: API_PATH,
  applied: (alarm) => {
    upsert(alarm);
    layout();
  },
});

fillFilters(form, config, filters);
config.alarms.forEach((alarm) => upsert(alarm));
applyCounts(counts);
layout();
follow(SOCKET_URL, {
  resume: () => ({
    since: newestSeen,
    unacknowledged: [...entries.values()].filter((e) => !e.alarm.acknowledged).map((e) => e.alarm.id).slice(0, RESUME_IDS),
  }),
  onFrame: handleFrame,
  onCaughtUp: ({ reconnected, more }) => {
    // Away for a while, the rows shown may have changed in ways the catch-up does not carry.
    if (reconnected) reload();
    else if (more) showNotice("More alarms arrived before this page connected than it shows.");
  },
  onSignedOut: () => showNotice("You are signed out: reload the page to sign in again."),
});
