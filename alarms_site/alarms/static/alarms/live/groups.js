/*
 * The flood view: alarms by building, then source, so that one burst does not bury the rest.
 * Each group's counts are the server's (every alarm annunciated now, from the counts frame),
 * not only the rows loaded; buildings are ordered as the server ranks them (highest priority,
 * then most unacknowledged, then most alarms), then those only the loaded rows name.
 */

export const number = (value) => Number(value).toLocaleString("en-US");
const PRIORITY_OF_RANK = ["high", "medium", "low"];
const ROWS_PER_SOURCE = 5; // a source's first rows; the rest on demand, so one burst takes little room

/** The key of a building's source in the set of sources shown in full. */
export const sourceKey = (buildingId, source) => `${buildingId}/${source}`;

function element(tag, className, text) {
  const made = document.createElement(tag);
  if (className) made.className = className;
  if (text !== undefined) made.textContent = text;
  return made;
}

function countsText(group) {
  const priority = PRIORITY_OF_RANK[group.rank];
  const parts = [`${number(group.alarms)} annunciated`, `${number(group.unacknowledged)} unacknowledged`];
  if (priority) parts.push(`highest priority ${priority}`);
  return parts.join(" · ");
}

/** Buildings, each with its sources, each with its loaded rows, in the order they are shown. */
function arrange(entries, groups, { onlyLoaded }) {
  const buildings = new Map();
  const building = (id) => {
    if (!buildings.has(id)) buildings.set(id, { id, server: null, sources: new Map(), rows: 0 });
    return buildings.get(id);
  };
  const source = (place, name) => {
    if (!place.sources.has(name)) place.sources.set(name, { name, server: null, rows: [] });
    return place.sources.get(name);
  };
  for (const group of groups.buildings) {
    const place = building(group.building_id);
    place.server = group;
    for (const counted of group.sources) source(place, counted.source).server = counted;
  }
  for (const entry of entries) {
    const place = building(entry.alarm.building_id);
    place.rows += 1;
    source(place, entry.alarm.source || "").rows.push(entry.row);
  }
  return [...buildings.values()].filter((place) => place.rows > 0 || !onlyLoaded);
}

/**
 * Lay ``entries`` (sorted {alarm, row}) out in groups inside ``container``. ``collapsed`` is the
 * set of building ids folded away, ``expanded`` that of the sources shown in full (sourceKey);
 * ``onlyLoaded`` hides buildings without loaded rows (a filter narrows the list).
 */
export function renderGroups(container, entries, groups, { collapsed, expanded, onlyLoaded }) {
  const sections = arrange(entries, groups, { onlyLoaded }).map((place) => {
    const section = element("section", "group");
    section.dataset.building = String(place.id);
    const head = element("header", "group__head");
    const folded = collapsed.has(place.id);
    const toggle = element("button", "group__toggle", `Building ${place.id}`);
    toggle.type = "button";
    toggle.dataset.toggleBuilding = String(place.id);
    toggle.setAttribute("aria-expanded", String(!folded));
    head.append(toggle);
    if (place.server) head.append(element("span", "group__counts", countsText(place.server)));
    head.append(element("span", "group__shown", `${number(place.rows)} loaded`));
    const only = element("button", "button button--small button--quiet", "Only this building");
    only.type = "button";
    only.dataset.onlyBuilding = String(place.id);
    head.append(only);
    section.append(head);

    const body = element("div", "group__body");
    body.hidden = folded;
    for (const counted of place.sources.values()) {
      const part = element("div", "source");
      const title = element("h3", "source__head", counted.name || "No source");
      if (counted.server) title.append(element("span", "source__counts", countsText(counted.server)));
      part.append(title);
      if (counted.rows.length) {
        const key = sourceKey(place.id, counted.name);
        const full = expanded.has(key) || counted.rows.length <= ROWS_PER_SOURCE;
        const list = element("ol", "table__body");
        list.append(...(full ? counted.rows : counted.rows.slice(0, ROWS_PER_SOURCE)));
        part.append(list);
        if (counted.rows.length > ROWS_PER_SOURCE) {
          const more = counted.rows.length - ROWS_PER_SOURCE;
          const toggle = element("button", "button button--small button--quiet source__more",
            full ? "Show fewer" : `Show ${number(more)} more of the rows loaded`);
          toggle.type = "button";
          toggle.dataset.expandSource = key;
          part.append(toggle);
        }
      } else {
        part.append(element("p", "source__none", "None of them among the rows loaded."));
      }
      body.append(part);
    }
    if (place.server?.more_sources) {
      body.append(element("p", "source__none", `and ${number(place.server.more_sources)} more sources`));
    }
    section.append(body);
    return section;
  });
  if (groups.more_buildings && !onlyLoaded) {
    sections.push(element("p", "groups__more", `${number(groups.more_buildings)} more buildings have alarms`));
  }
  container.replaceChildren(...sections);
}
