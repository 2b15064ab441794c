/*
 * The page's socket to /ws/alarms/. On every (re)connect it sends {type: "resume", since: <the
 * newest alarm id it has>, unacknowledged: [...]}; the server answers with the alarms it may
 * lack (a few it already has, on purpose), the acknowledgements it missed and the counts, then
 * streams news. Lost, it retries with a growing, jittered delay; signed out, it stops.
 */

const RETRY_MIN_MS = 500;
const RETRY_MAX_MS = 15000;
const CLOSE_SIGNED_OUT = 4401; // consumers.py

const connection = document.getElementById("connection");
const connectionText = document.getElementById("connection-text");

function setConnection(state, text) {
  connection.className = `connection connection--${state}`;
  connectionText.textContent = text;
}

/**
 * Follow the feed. ``resume()`` gives the resume message's since and unacknowledged;
 * ``onFrame(frame)`` gets every frame; ``onCaughtUp({reconnected, more})`` runs once the
 * catch-up is complete; ``onSignedOut()`` when the session is gone.
 */
export function follow(url, { resume, onFrame, onCaughtUp, onSignedOut }) {
  let socket = null;
  let attempt = 0;
  let connections = 0;
  let retryTimer = null;
  let countdown = null;

  function connect() {
    clearTimeout(retryTimer);
    clearInterval(countdown);
    retryTimer = countdown = null;
    setConnection("connecting", "Connecting…");
    const ws = new WebSocket(url);
    socket = ws;
    ws.addEventListener("open", () => {
      connections += 1;
      ws.send(JSON.stringify({ type: "resume", ...resume() }));
    });
    ws.addEventListener("message", (event) => {
      const frame = JSON.parse(event.data);
      onFrame(frame);
      if (frame.type === "catchup" && "more" in frame) {
        // The last part of the catch-up: the page is complete again.
        attempt = 0;
        setConnection("live", "Live");
        onCaughtUp({ reconnected: connections > 1, more: frame.more });
      }
    });
    ws.addEventListener("close", (event) => {
      if (socket !== ws) return;
      socket = null;
      if (event.code === CLOSE_SIGNED_OUT) {
        // Retrying cannot help: the session is gone. Reloading leads to the sign-in form.
        setConnection("offline", "Signed out");
        onSignedOut();
        return;
      }
      scheduleReconnect();
    });
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
  connect();
}
