/*
 * What the status page's charts share: SVG elements, round scales, clock labels, the refresh period
 * and the connection badge. Loaded before status.js and kpis.js, which find it as window.AlarmCharts.
 */
(() => {
  "use strict";

  const SVG = "http://www.w3.org/2000/svg";

  function element(name, attributes, parent) {
    const node = document.createElementNS(SVG, name);
    for (const [key, value] of Object.entries(attributes)) node.setAttribute(key, value);
    if (parent) parent.appendChild(node);
    return node;
  }

  /** A round upper bound and its ticks: 0..max in 4 or 5 steps of 1, 2 or 5 times a power of ten. */
  function scale(largest) {
    if (largest <= 4) return { max: Math.max(largest, 1), step: 1 };
    const rough = largest / 4;
    const power = 10 ** Math.floor(Math.log10(rough));
    const step = [1, 2, 5, 10].map((m) => m * power).find((s) => s >= rough);
    return { max: Math.ceil(largest / step) * step, step };
  }

  const clock = (iso, seconds) =>
    new Date(iso).toLocaleTimeString([], { hour: "2-digit", minute: "2-digit", ...(seconds ? { second: "2-digit" } : {}) });

  /** data-refresh-seconds, or ?refresh=N (1 to 3600) when the address gives it. */
  function refreshSeconds() {
    const requested = Number(new URLSearchParams(location.search).get("refresh"));
    return requested >= 1 && requested <= 3600 ? requested : Number(document.body.dataset.refreshSeconds) || 15;
  }

  function status(state, text) {
    document.getElementById("connection").className = `connection connection--${state}`;
    document.getElementById("connection-text").textContent = text;
  }

  /** GET a JSON document of this site, or throw naming the HTTP status. */
  async function getJson(url) {
    const response = await fetch(url, { headers: { Accept: "application/json" }, credentials: "same-origin" });
    if (!response.ok) throw new Error(`HTTP ${response.status}`);
    return response.json();
  }

  window.AlarmCharts = { element, scale, clock, refreshSeconds, status, getJson };
})();
