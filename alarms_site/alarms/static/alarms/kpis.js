/*
 * The status page's KPI panels: figures, annunciations per flood window (floods shaded, the start
 * threshold drawn across), the priority mix against the guideline and the top bad actors.
 *
 * Reads GET <kpis>?window=W (the window picked, ?window= in the address on a reload) and draws it
 * again on the page's refresh period. A failed refresh keeps the last figures and says so.
 */
(() => {
  "use strict";

  const { element, scale, clock, refreshSeconds, getJson } = window.AlarmCharts;
  const HEIGHT = 260;
  const MARGIN = { top: 14, right: 8, bottom: 26, left: 40 };
  const DAY_MS = 24 * 3600 * 1000;

  const body = document.body;
  const REFRESH_SECONDS = refreshSeconds();
  const picker = document.getElementById("kpi-window");
  const chart = document.getElementById("kpi-chart");
  const errorNote = document.getElementById("kpis-error");
  const asked = new URLSearchParams(location.search).get("window");
  if (asked && [...picker.options].some((option) => option.value === asked)) picker.value = asked;
  let latest = null;
  let timer = null;
  let asking = 0; // the newest request: an older answer arriving after it is dropped

  const percent = (fraction) => `${(fraction * 100).toFixed(1)} %`;
  const ms = (iso) => new Date(iso).getTime();

  function tile(name, value, raw) {
    const strong = document.querySelector(`.tile[data-kpi="${name}"] strong`);
    strong.textContent = value;
    strong.dataset.value = raw ?? value;
  }

  function drawTiles(kpis) {
    const { floods, rules } = kpis;
    tile("annunciated", kpis.annunciated);
    tile("floods", floods.count);
    tile("flood-percent", `${floods.percent.toFixed(1)} %`, floods.percent);
    tile("flood-peak", floods.peak);
    tile("standing", kpis.standing);
    tile("chattering", kpis.chattering);
    const on = floods.periods.find((period) => period.end === null);
    const state = document.getElementById("flood-state");
    state.textContent = on ? `in flood since ${clock(on.start)}` : "no flood now";
    state.closest(".tile").classList.toggle("tile--alert", Boolean(on));
    document.getElementById("flood-peak-unit").textContent = `alarms in ${rules.flood_window_minutes} min`;
    document.getElementById("standing-rule").textContent = `open over ${rules.standing_hours} h`;
  }

  /** Time labels: the clock, with the day when the window is longer than one. */
  function timeLabel(time, long) {
    const date = new Date(time);
    return long ? date.toLocaleString([], { weekday: "short", hour: "2-digit", minute: "2-digit" }) : clock(date);
  }

  function drawChart(kpis) {
    const { rules, buckets, floods } = kpis;
    document.getElementById("kpi-chart-title").textContent =
      `Alarms annunciated per ${rules.flood_window_minutes} minutes`;
    document.getElementById("threshold-label").textContent = `flood: more than ${rules.flood_start}`;
    const width = Math.max(chart.clientWidth, 320);
    const plotHeight = HEIGHT - MARGIN.top - MARGIN.bottom;
    const start = ms(kpis.start);
    const end = ms(kpis.end);
    const x = (time) => MARGIN.left + ((time - start) / (end - start)) * (width - MARGIN.left - MARGIN.right);
    const { max, step } = scale(Math.max(rules.flood_start + 1, ...buckets.map((bucket) => bucket.count)));
    const y = (value) => MARGIN.top + plotHeight - (value / max) * plotHeight;

    const svg = element("svg", { viewBox: `0 0 ${width} ${HEIGHT}`, preserveAspectRatio: "none" });
    for (const period of floods.periods) {
      const from = Math.max(ms(period.start), start);
      const to = period.end === null ? end : Math.min(ms(period.end), end);
      const shade = element("rect", {
        class: "flood",
        x: x(from),
        y: MARGIN.top,
        width: Math.max(1, x(to) - x(from)),
        height: plotHeight,
        "data-start": period.start,
        "data-end": period.end ?? "",
        "data-peak": period.peak,
      }, svg);
      const until = period.end === null ? "still on" : `until ${clock(period.end)}`;
      element("title", {}, shade).textContent = `Flood from ${clock(period.start)} ${until}, peak ${period.peak}`;
    }
    for (let value = 0; value <= max; value += step) {
      element("line", { class: "grid", x1: MARGIN.left, x2: width - MARGIN.right, y1: y(value), y2: y(value) }, svg);
      element("text", { x: MARGIN.left - 6, y: y(value) + 4, "text-anchor": "end" }, svg).textContent = value;
    }
    for (const bucket of buckets) {
      const left = x(ms(bucket.start));
      const barWidth = Math.max(1, (x(ms(bucket.end)) - left) * 0.8);
      const bar = element("rect", {
        class: "bucket",
        x: left,
        y: y(bucket.count),
        width: barWidth,
        height: y(0) - y(bucket.count),
        "data-start": bucket.start,
        "data-count": bucket.count,
      }, svg);
      element("title", {}, bar).textContent = `${clock(bucket.start)} to ${clock(bucket.end)}: ${bucket.count}`;
    }
    const threshold = y(rules.flood_start);
    const line = { x1: MARGIN.left, x2: width - MARGIN.right, y1: threshold, y2: threshold };
    element("line", { class: "threshold", "data-value": rules.flood_start, ...line }, svg);
    const long = end - start > DAY_MS;
    for (let tick = 0; tick <= 4; tick += 1) {
      const time = start + ((end - start) * tick) / 4;
      const anchor = tick === 0 ? "start" : tick === 4 ? "end" : "middle";
      element("text", { x: x(time), y: HEIGHT - 8, "text-anchor": anchor }, svg).textContent = timeLabel(time, long);
    }
    element("line", { class: "axis", x1: MARGIN.left, x2: width - MARGIN.right, y1: y(0), y2: y(0) }, svg);
    chart.replaceChildren(svg);
  }

  function drawMix(kpis) {
    const rows = kpis.priority_mix.map((part) => {
      const row = document.createElement("div");
      row.className = `mix__row mix__row--${part.priority}`;
      row.dataset.priority = part.priority;
      row.dataset.share = part.share;
      row.dataset.count = part.count;
      // Too many high or medium alarms is what the guideline warns of; a large low share is the aim.
      row.classList.toggle("mix__row--over", part.priority !== "low" && part.share > part.guideline);
      const name = document.createElement("span");
      name.className = "mix__name";
      name.textContent = part.priority;
      const track = document.createElement("span");
      track.className = "mix__track";
      const fill = document.createElement("span");
      fill.className = "mix__fill";
      fill.style.width = `${Math.min(part.share, 1) * 100}%`;
      const guide = document.createElement("span");
      guide.className = "mix__guide";
      guide.style.left = `${part.guideline * 100}%`;
      guide.title = `guideline ${percent(part.guideline)}`;
      track.append(fill, guide);
      const figures = document.createElement("span");
      figures.className = "mix__figures";
      figures.textContent = `${percent(part.share)} (${part.count}) · guideline ${Math.round(part.guideline * 100)} %`;
      row.append(name, track, figures);
      return row;
    });
    document.getElementById("priority-mix").replaceChildren(...rows);
  }

  function drawActors(kpis) {
    const rows = kpis.bad_actors.map((actor, index) => {
      const row = document.createElement("tr");
      row.dataset.count = actor.count;
      row.dataset.share = actor.share;
      for (const value of [index + 1, actor.building_id, actor.source, actor.count, percent(actor.share)]) {
        const cell = document.createElement("td");
        cell.textContent = value;
        row.appendChild(cell);
      }
      return row;
    });
    document.querySelector("#bad-actors tbody").replaceChildren(...rows);
    document.getElementById("actors-empty").hidden = rows.length > 0;
    const share = document.getElementById("actors-share");
    share.textContent = rows.length ? `${percent(kpis.bad_actors_share)} of the load` : "";
    share.dataset.share = kpis.bad_actors_share;
  }

  async function refresh() {
    clearTimeout(timer);
    const mine = ++asking;
    try {
      const kpis = await getJson(`${body.dataset.kpisPath}?window=${encodeURIComponent(picker.value)}`);
      if (mine !== asking) return;
      latest = kpis;
      drawTiles(latest);
      drawChart(latest);
      drawMix(latest);
      drawActors(latest);
      errorNote.hidden = true;
    } catch (error) {
      if (mine !== asking) return;
      errorNote.textContent = `KPIs not updated (${error.message}); retrying`;
      errorNote.hidden = false;
    } finally {
      if (mine === asking) timer = setTimeout(refresh, REFRESH_SECONDS * 1000);
    }
  }

  picker.addEventListener("change", () => {
    const address = new URL(location.href);
    address.searchParams.set("window", picker.value);
    history.replaceState(null, "", address);
    refresh();
  });
  window.addEventListener("resize", () => latest && drawChart(latest));
  refresh();
})();
