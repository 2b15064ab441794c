/*
 * The status page: alarms stored per minute by severity, as stacked bars in an inline SVG.
 *
 * Reads GET <api>?minutes=N ([{minute, critical, major, minor, warning, info}], oldest
 * first, zeros included) and draws it again every data-refresh-seconds (?refresh=N overrides
 * it, 1 to 3600). A failed refresh keeps the last chart and says so; the next one retries.
 * The helpers are charts.js's; the KPI panels are kpis.js's.
 */
(() => {
  "use strict";

  const { element, scale, clock, refreshSeconds, status, getJson } = window.AlarmCharts;
  const SEVERITIES = ["critical", "major", "minor", "warning", "info"]; // bottom of each bar first
  const HEIGHT = 320;
  const MARGIN = { top: 10, right: 8, bottom: 26, left: 40 };

  const body = document.body;
  const MINUTES = Number(body.dataset.minutes) || 60;
  const REFRESH_SECONDS = refreshSeconds();
  const API_URL = `${body.dataset.apiPath}?minutes=${MINUTES}`;

  const chart = document.getElementById("chart");
  const legend = document.getElementById("legend");
  const empty = document.getElementById("chart-empty");
  let latest = null;

  function total(minute) {
    return SEVERITIES.reduce((sum, severity) => sum + minute[severity], 0);
  }

  function drawLegend(minutes) {
    legend.replaceChildren(
      ...SEVERITIES.map((severity) => {
        const item = document.createElement("li");
        item.className = "legend__item";
        item.dataset.severity = severity;
        const swatch = document.createElement("span");
        swatch.className = `legend__swatch legend__swatch--${severity}`;
        const count = document.createElement("strong");
        count.textContent = minutes.reduce((sum, minute) => sum + minute[severity], 0);
        item.append(swatch, `${severity} `, count);
        return item;
      })
    );
  }

  function drawChart(minutes) {
    const width = Math.max(chart.clientWidth, 320);
    const plotWidth = width - MARGIN.left - MARGIN.right;
    const plotHeight = HEIGHT - MARGIN.top - MARGIN.bottom;
    const { max, step } = scale(Math.max(0, ...minutes.map(total)));
    const y = (value) => MARGIN.top + plotHeight - (value / max) * plotHeight;
    const slot = plotWidth / minutes.length;
    const barWidth = Math.max(1, slot * 0.72);

    let lastLabel = -Infinity;
    const svg = element("svg", { viewBox: `0 0 ${width} ${HEIGHT}`, preserveAspectRatio: "none" });
    for (let value = 0; value <= max; value += step) {
      element("line", { class: "grid", x1: MARGIN.left, x2: width - MARGIN.right, y1: y(value), y2: y(value) }, svg);
      const label = element("text", { x: MARGIN.left - 6, y: y(value) + 4, "text-anchor": "end" }, svg);
      label.textContent = value;
    }
    minutes.forEach((minute, index) => {
      const x = MARGIN.left + index * slot + (slot - barWidth) / 2;
      const bar = element("g", { class: "bar", "data-minute": minute.minute, "data-total": total(minute) }, svg);
      const parts = SEVERITIES.filter((severity) => minute[severity]).map((s) => `${minute[s]} ${s}`);
      element("title", {}, bar).textContent = `${clock(minute.minute)}: ${parts.join(", ") || "no alarms"}`;
      let stacked = 0;
      for (const severity of SEVERITIES) {
        const count = minute[severity];
        if (!count) continue;
        element(
          "rect",
          {
            class: `segment segment--${severity}`,
            "data-count": count,
            x,
            y: y(stacked + count),
            width: barWidth,
            height: Math.max(1, y(stacked) - y(stacked + count)),
          },
          bar
        );
        stacked += count;
      }
      // A label every ten minutes, and one on the current minute unless it would touch the last.
      const everyTen = new Date(minute.minute).getMinutes() % 10 === 0;
      if (everyTen || (index === minutes.length - 1 && index - lastLabel >= 5)) {
        lastLabel = index;
        const label = element("text", { x: x + barWidth / 2, y: HEIGHT - 8, "text-anchor": "middle" }, svg);
        label.textContent = clock(minute.minute);
      }
    });
    element("line", { class: "axis", x1: MARGIN.left, x2: width - MARGIN.right, y1: y(0), y2: y(0) }, svg);
    chart.replaceChildren(svg);
    empty.hidden = minutes.some(total);
  }

  async function refresh() {
    try {
      latest = await getJson(API_URL);
      drawLegend(latest);
      drawChart(latest);
      status("live", `Updated ${clock(new Date().toISOString(), true)}`);
    } catch (error) {
      status("offline", `Not updated (${error.message}); retrying`);
    } finally {
      setTimeout(refresh, REFRESH_SECONDS * 1000);
    }
  }

  window.addEventListener("resize", () => latest && drawChart(latest));
  refresh();
})();
