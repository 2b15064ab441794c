/*
 * The live alarm page: show the alarms the server embedded, then follow /ws/alarms/.
 *
 * On every (re)connect the page sends {type: "resume", since: <newest id it has>,
 * unacknowledged: [...]}; the server answers with the alarms it may lack (a few it already
 * has, on purpose) and then streams new alarms and acknowledgements. Alarms are kept by id,
 * so a repeat is merged, never shown twice, and rows stay sorted newest first.
 */
(() => {
  "use strict";

  const body = document.body;
  const WINDOW = Number(body.dataset.window) || 100;
  const SOCKET_URL = `${location.protocol === "https:" ? "wss" : "ws"}://${location.host}${body.dataset.socketPath}`;
  const API_PATH = body.dataset.apiPath;
  const RETRY_MIN_MS = 500;
  const RETRY_MAX_MS = 15000;
  const FRESH_MS = 1600;
  const CLOSE_SIGNED_OUT = 4401; // consumers.py

  const list = document.getElementById("alarm-list");
  const rowTemplate = document.getElementById("alarm-row");
  const empty = document.getElementById("empty");
  const connection = document.getElementById("connection");
  const connectionText = document.getElementById("connection-text");
  const notice = document.getElementById("notice");
  const entries = new Map(); // alarm id -> {alarm, row}

  /* ---------- rendering ---------- */

  const sameDay = (a, b) => a.toDateString() === b.toDateString();
  const clock = { hour: "2-digit", minute: "2-digit", second: "2-digit" };

  function timeText(iso) {
    const date = new Date(iso);
    const time = date.toLocaleTimeString([], clock);
    return sameDay(date, new Date()) ? time : `${date.toLocaleDateString([], { month: "short", day: "numeric" })} ${time}`;
  }

  function createRow(alarm) {
    const row = rowTemplate.content.firstElementChild.cloneNode(true);
    row.dataset.alarmId = String(alarm.id);
    row.classList.add(`alarm--${alarm.severity}`);
    const badge = row.querySelector(".badge");
    badge.textContent = alarm.severity;
    badge.classList.add(`badge--${alarm.severity}`);
    row.querySelector(".alarm__name").textContent = alarm.name;
    row.querySelector(".alarm__name").title = alarm.name;
    row.querySelector(".alarm__building").textContent = `Building ${alarm.building_id}`;
    const time = row.querySelector(".alarm__time");
    time.textContent = timeText(alarm.occurred_at);
    time.title = `Occurred ${new Date(alarm.occurred_at).toLocaleString()}\nReceived ${new Date(alarm.received_at).toLocaleString()}`;
    renderStatus(row, alarm);
    return row;
  }

  const STATE_LABELS = {
    active_unacknowledged: "Active",
    active_acknowledged: "Active, acknowledged",
    cleared_unacknowledged: "Cleared, unacknowledged",
    closed: "Closed",
  };

  function renderState(row, alarm) {
    const state = row.querySelector(".alarm__state");
    state.textContent = STATE_LABELS[alarm.state] || alarm.state;
    state.dataset.state = alarm.state;
    for (const name of Object.keys(STATE_LABELS)) row.classList.toggle(`alarm--${name}`, alarm.state === name);
    const repeats = row.querySelector(".alarm__occurrences");
    repeats.hidden = !(alarm.occurrences > 1);
    repeats.textContent = `×${alarm.occurrences}`;
    repeats.title = alarm.last_occurred_at ? `Last raised ${new Date(alarm.last_occurred_at).toLocaleString()}` : "";
  }

  function renderStatus(row, alarm) {
    renderState(row, alarm);
    const button = row.querySelector(".button");
    const done = row.querySelector(".acknowledged");
    row.classList.toggle("alarm--done", alarm.acknowledged);
    button.hidden = alarm.acknowledged;
    done.hidden = !alarm.acknowledged;
    if (alarm.acknowledged) {
      done.querySelector(".acknowledged__detail").textContent =
        `${alarm.acknowledged_by || "someone"} · ${timeText(alarm.acknowledged_at)}`;
      done.title = `Acknowledged ${new Date(alarm.acknowledged_at).toLocaleString()}`;
    }
  }

  function insertSorted(row, id) {
    let before = list.firstElementChild;
    while (before && Number(before.dataset.alarmId) > id) before = before.nextElementSibling;
    list.insertBefore(row, before);
  }

  function flash(row) {
    row.classList.add("alarm--fresh");
    setTimeout(() => row.classList.remove("alarm--fresh"), FRESH_MS);
  }

  function oldestShownId() {
    const last = list.lastElementChild;
    return last ? Number(last.dataset.alarmId) : 0;
  }

  function newestShownId() {
    const first = list.firstElementChild;
    return first ? Number(first.dataset.alarmId) : 0;
  }

  function addAlarms(alarms, { fresh }) {
    for (const alarm of [...alarms].sort((a, b) => b.id - a.id)) {
      if (entries.has(alarm.id)) {
        applyChange(alarm);
        continue;
      }
      if (entries.size >= WINDOW && alarm.id < oldestShownId()) continue; // would fall off at once
      const row = createRow(alarm);
      insertSorted(row, alarm.id);
      entries.set(alarm.id, { alarm, row });
      if (fresh) flash(row);
    }
    while (entries.size > WINDOW) {
      const last = list.lastElementChild;
      entries.delete(Number(last.dataset.alarmId));
      last.remove();
    }
    refreshCounts();
  }

  function applyAcknowledgement(update) {
    const entry = entries.get(update.id);
    if (!entry || !update.acknowledged || entry.alarm.acknowledged) return;
    Object.assign(entry.alarm, {
      state: update.state || entry.alarm.state,
      acknowledged: true,
      acknowledged_at: update.acknowledged_at,
      acknowledged_by: update.acknowledged_by,
    });
    renderStatus(entry.row, entry.alarm);
  }

  // A whole alarm that changed (cleared, repeated, raised again, or a catch-up copy). An
  // acknowledgement never goes back: an older copy arriving late must not undo one shown.
  function applyChange(update) {
    const entry = entries.get(update.id);
    if (!entry) return;
    if (entry.alarm.acknowledged && !update.acknowledged) return;
    Object.assign(entry.alarm, update);
    renderStatus(entry.row, entry.alarm);
  }

  function refreshCounts() {
    let open = 0;
    for (const { alarm } of entries.values()) if (!alarm.acknowledged) open += 1;
    document.getElementById("count-open").textContent = String(open);
    document.getElementById("count-shown").textContent = String(entries.size);
    empty.hidden = entries.size > 0;
  }

  function showNotice(text) {
    document.getElementById("notice-text").textContent = text;
    notice.hidden = false;
  }

  document.getElementById("notice-close").addEventListener("click", () => { notice.hidden = true; });

  /* ---------- acknowledging ---------- */

  function csrfToken() {
    const match = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
    return match ? decodeURIComponent(match[1]) : "";
  }

  async function acknowledge(id, button) {
    button.disabled = true;
    button.classList.remove("button--error");
    button.textContent = "Acknowledging…";
    try {
      const response = await fetch(`${API_PATH}${id}/acknowledge/`, {
        method: "POST",
        credentials: "same-origin",
        headers: { "Content-Type": "application/json", "X-CSRFToken": csrfToken() },
        body: "{}",
      });
      if (!response.ok) throw new Error(`the server answered ${response.status}`);
      applyAcknowledgement(await response.json());
      refreshCounts();
    } catch (error) {
      button.classList.add("button--error");
      button.textContent = "Retry";
      button.title = `Not acknowledged: ${error.message}`;
    } finally {
      button.disabled = false;
    }
  }

  list.addEventListener("click", (event) => {
    const button = event.target.closest(".button");
    if (button && !button.disabled) acknowledge(Number(button.closest(".alarm").dataset.alarmId), button);
  });

  /* ---------- the socket ---------- */

  let socket = null;
  let attempt = 0;
  let retryTimer = null;
  let countdown = null;

  function setConnection(state, text) {
    connection.className = `connection connection--${state}`;
    connectionText.textContent = text;
  }

  function unacknowledgedIds() {
    const ids = [];
    for (const { alarm } of entries.values()) if (!alarm.acknowledged) ids.push(alarm.id);
    return ids;
  }

  function connect() {
    clearTimeout(retryTimer);
    clearInterval(countdown);
    retryTimer = countdown = null;
    setConnection("connecting", "Connecting…");
    const ws = new WebSocket(SOCKET_URL);
    socket = ws;
    ws.addEventListener("open", () => {
      ws.send(JSON.stringify({ type: "resume", since: newestShownId(), unacknowledged: unacknowledgedIds() }));
    });
    ws.addEventListener("message", (event) => handleFrame(JSON.parse(event.data)));
    ws.addEventListener("close", (event) => {
      if (socket !== ws) return;
      socket = null;
      if (event.code === CLOSE_SIGNED_OUT) {
        // Retrying cannot help: the session is gone. Reloading leads to the login form.
        setConnection("offline", "Signed out");
        showNotice("You are signed out: reload the page to sign in again.");
        return;
      }
      scheduleReconnect();
    });
  }

  function handleFrame(frame) {
    switch (frame.type) {
      case "catchup":
        addAlarms(frame.alarms, { fresh: true });
        if (frame.more) showNotice("More alarms arrived while this page was offline than it shows.");
        attempt = 0;
        setConnection("live", "Live");
        break;
      case "created":
        addAlarms(frame.alarms, { fresh: true });
        break;
      case "acknowledged":
        frame.alarms.forEach(applyAcknowledgement);
        refreshCounts();
        break;
      case "changed":
        frame.alarms.forEach(applyChange);
        refreshCounts();
        break;
      case "error":
        console.warn("live feed refused a message", frame.errors);
        break;
      default:
        console.warn("unknown live frame", frame.type);
    }
  }

  function scheduleReconnect() {
    const delay = Math.min(RETRY_MAX_MS, RETRY_MIN_MS * 2 ** attempt) * (0.75 + Math.random() * 0.5);
    attempt += 1;
    const due = Date.now() + delay;
    const tick = () => {
      const left = Math.max(0, Math.ceil((due - Date.now()) / 1000));
      setConnection("offline", left > 0 ? `Offline · retrying in ${left} s` : "Offline · retrying…");
    };
    tick();
    countdown = setInterval(tick, 250);
    retryTimer = setTimeout(connect, delay);
  }

  window.addEventListener("online", () => {
    if (!socket) connect();
  });

  addAlarms(JSON.parse(document.getElementById("initial-alarms").textContent), { fresh: false });
  connect();
})();
