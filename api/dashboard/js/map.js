// The city map: every space and bin at its registry coordinates on a schematic of the
// streets (a line along each zone's spaces), drawn in SVG with no map tiles. Coloured by
// live state; the worklist's suggested rounds drawn over it; click, tap or search for details.

import { getJson } from "./api.js";
import { clock, dateTime, duration, localDate, cityTime, percent } from "./format.js";
import { h, show, loading, failed, empty, table } from "./dom.js";
import { rateChart } from "./charts.js";
import { named, said, t } from "./i18n.js";
import { alertsFor, can, store, subscribe } from "./store.js";

const M_PER_DEG_LAT = 110_540;
const SPACE_PX = 3; // marker radius on screen, whatever the zoom
const BIN_PX = 4;
const LABEL_STOPS_BELOW = 1.5; // metres per pixel: stop numbers only when zoomed in this far
const PICK_PX = 22; // a tap this close to a marker picks it

let svg, project, full, view, markers, selected;
const layer = {};

export function spaceState(s) {
  if (!s || s.stale || s.occupied === null) return "unknown";
  return s.occupied ? "occupied" : "free";
}

export function binBand(b) {
  if (!b || b.fill_pct === null || b.fill_pct === undefined) return "unknown";
  if (b.fill_pct >= 80) return "full";
  return b.fill_pct >= 50 ? "mid" : "low";
}

function projection(points) {
  const lats = points.map((p) => p.lat);
  const lons = points.map((p) => p.lon);
  const lat0 = (Math.min(...lats) + Math.max(...lats)) / 2;
  const lon0 = (Math.min(...lons) + Math.max(...lons)) / 2;
  const mPerDegLon = M_PER_DEG_LAT * Math.cos((lat0 * Math.PI) / 180);
  return (p) => [(p.lon - lon0) * mPerDegLon, -(p.lat - lat0) * M_PER_DEG_LAT];
}

function bounds(xy, pad) {
  const xs = xy.map((p) => p[0]);
  const ys = xy.map((p) => p[1]);
  const x0 = Math.min(...xs) - pad;
  const y0 = Math.min(...ys) - pad;
  return { x: x0, y: y0, w: Math.max(...xs) + pad - x0, h: Math.max(...ys) + pad - y0 };
}

function unitsPerPx() {
  const rect = svg.getBoundingClientRect();
  if (!rect.width || !rect.height) return view.w / 800;
  return Math.max(view.w / rect.width, view.h / rect.height);
}

function applyView() {
  svg.setAttribute("viewBox", `${view.x} ${view.y} ${view.w} ${view.h}`);
  const u = unitsPerPx();
  for (const m of markers.values()) {
    if (m.kind === "space") m.el.setAttribute("r", SPACE_PX * u);
    else {
      const s = BIN_PX * u;
      m.el.setAttribute("x", m.x - s);
      m.el.setAttribute("y", m.y - s);
      m.el.setAttribute("width", 2 * s);
      m.el.setAttribute("height", 2 * s);
    }
  }
  svg.style.setProperty("--u", u);
  svg.classList.toggle("far", u > LABEL_STOPS_BELOW);
  for (const el of svg.querySelectorAll("[data-scale-font]")) {
    el.setAttribute("font-size", Number(el.dataset.scaleFont) * u);
  }
  for (const el of svg.querySelectorAll("[data-scale-r]")) {
    el.setAttribute("r", Number(el.dataset.scaleR) * u);
  }
  for (const el of svg.querySelectorAll("[data-scale-stroke]")) {
    el.setAttribute("stroke-width", Number(el.dataset.scaleStroke) * u);
  }
  declutterLabels();
}

// Labels keep their size on screen whatever the zoom, so at whole-city zoom they would pile
// up. Placed in this order of importance, a label that would touch one already placed is
// hidden at this zoom, and comes back when zooming in makes room for it.
const LABEL_ORDER = [".station-label", ".district-label", ".street-label", ".stop-label"];
const LABEL_GAP_PX = 2;

function declutterLabels() {
  const placed = [];
  const touches = (a, b) =>
    a.left < b.right + LABEL_GAP_PX && b.left < a.right + LABEL_GAP_PX &&
    a.top < b.bottom + LABEL_GAP_PX && b.top < a.bottom + LABEL_GAP_PX;
  for (const selector of LABEL_ORDER) {
    for (const el of svg.querySelectorAll(selector)) {
      el.removeAttribute("data-hidden");
      const box = el.getBoundingClientRect();
      if (!box.width && !box.height) continue; // not displayed at this zoom (stop numbers)
      if (placed.some((other) => touches(box, other))) el.setAttribute("data-hidden", "");
      else placed.push(box);
    }
  }
}

function zoom(factor, cx = view.x + view.w / 2, cy = view.y + view.h / 2) {
  const w = Math.min(full.w * 1.5, Math.max(full.w / 200, view.w * factor));
  const k = w / view.w;
  view = { x: cx - (cx - view.x) * k, y: cy - (cy - view.y) * k, w, h: view.h * k };
  applyView();
}

function pan(dxPx, dyPx) {
  const u = unitsPerPx();
  view = { ...view, x: view.x + dxPx * u, y: view.y + dyPx * u };
  applyView();
}

function toWorld(event) {
  const pt = svg.createSVGPoint();
  pt.x = event.clientX;
  pt.y = event.clientY;
  return pt.matrixTransform(svg.getScreenCTM().inverse());
}

function nearest(world) {
  const limit = PICK_PX * unitsPerPx();
  let best = null;
  let bestD = limit * limit;
  for (const [id, m] of markers) {
    if (layer[m.kind === "space" ? "spaces" : "bins"].hidden) continue;
    const d = (m.x - world.x) ** 2 + (m.y - world.y) ** 2;
    if (d <= bestD) {
      best = id;
      bestD = d;
    }
  }
  return best;
}

function drawStreets(city) {
  // A zone's spaces line one road: draw the line through its two farthest-apart spaces.
  for (const zone of city.zones) {
    const xy = zone.spaces.map(project);
    const b = bounds(xy, 0);
    const horizontal = b.w >= b.h;
    const a = horizontal ? [b.x - 30, b.y + b.h / 2] : [b.x + b.w / 2, b.y - 30];
    const z = horizontal ? [b.x + b.w + 30, b.y + b.h / 2] : [b.x + b.w / 2, b.y + b.h + 30];
    layer.streets.append(
      h("line", { x1: a[0], y1: a[1], x2: z[0], y2: z[1], class: "street", "data-scale-stroke": 10 }),
      // Vertical streets carry their names along the line, so crossing names do not collide.
      h(
        "text",
        {
          x: a[0],
          y: a[1],
          dy: "-0.7em",
          transform: horizontal ? null : `rotate(90 ${a[0]} ${a[1]})`,
          class: "street-label",
          "data-scale-font": 12,
        },
        named(zone),
      ),
    );
  }
  for (const district of city.districts) {
    const b = bounds(district.bins.map(project), 40);
    layer.districts.append(
      h("rect", { x: b.x, y: b.y, width: b.w, height: b.h, class: "district", rx: 20, "data-scale-stroke": 1 }),
      h("text", { x: b.x + 10, y: b.y + b.h - 12, class: "district-label", "data-scale-font": 13 }, named(district)),
    );
  }
  for (const station of city.stations) {
    const [x, y] = project(station);
    layer.stations.append(
      h(
        "g",
        { class: "station" },
        h("circle", { cx: x, cy: y, r: 1, "data-scale-stroke": 2, class: "station-dot", "data-id": station.id }),
        h("text", { x, y, dy: "-0.8em", "text-anchor": "middle", class: "station-label", "data-scale-font": 12 }, named(station)),
      ),
    );
  }
}

/** Draw the registry layout once; live state and routes are drawn by the subscribers. */
export function initMap() {
  svg = document.getElementById("map");
  const city = store.city;
  const places = [
    ...city.zones.flatMap((z) => z.spaces),
    ...city.districts.flatMap((d) => d.bins),
    ...city.stations,
  ];
  const stateEl = document.getElementById("map-state");
  if (!places.length) {
    show(stateEl, empty());
    return;
  }
  stateEl.replaceChildren();
  project = projection(places);
  full = bounds(places.map(project), 200);
  view = { ...full };
  for (const name of ["districts", "streets", "routes", "plan", "spaces", "bins", "stations", "selection"]) {
    layer[name] = h("g", { class: `layer-${name}` });
    svg.append(layer[name]);
  }
  drawStreets(city);
  markers = new Map();
  for (const zone of city.zones) {
    for (const space of zone.spaces) {
      const [x, y] = project(space);
      const el = h("circle", { cx: x, cy: y, r: 1, class: "space s-unknown", "data-id": space.id });
      layer.spaces.append(el);
      markers.set(space.id, { kind: "space", x, y, el });
    }
  }
  for (const district of city.districts) {
    for (const bin of district.bins) {
      const [x, y] = project(bin);
      const el = h("rect", { class: "bin b-unknown", "data-id": bin.id });
      layer.bins.append(el);
      markers.set(bin.id, { kind: "bin", x, y, el });
    }
  }
  const ids = document.getElementById("find-ids");
  ids.replaceChildren(...[...markers.keys()].map((id) => h("option", { value: id })));
  wireControls();
  applyView();
  new ResizeObserver(() => applyView()).observe(svg);
  describe();
  subscribe((topic) => {
    if (topic === "live" || topic === "alerts") paintStates();
    if (topic === "live" || topic === "alerts" || topic === "lang") renderLegend();
    if (topic === "worklist" || topic === "lang") drawRoutes();
    if (topic === "plan") drawPlan();
    if (topic === "lang") describe();
    if ((topic === "lang" || topic === "alerts") && selected) renderDetail(selected, false);
  });
  renderLegend();
}

function describe() {
  const spaces = store.spaceZone.size;
  const bins = store.binDistrict.size;
  document.getElementById("map-title").textContent = t("map.title");
  document.getElementById("map-desc").textContent = t("map.desc", { spaces, bins });
}

function wireControls() {
  document.getElementById("zoom-in").onclick = () => zoom(1 / 1.6);
  document.getElementById("zoom-out").onclick = () => zoom(1.6);
  document.getElementById("zoom-reset").onclick = () => {
    view = { ...full };
    applyView();
  };
  const needs = { spaces: "parking.read", bins: "sanitation.read", routes: "sanitation.read", plan: "dispatch.plan" };
  for (const name of ["spaces", "bins", "routes", "plan"]) {
    const box = document.getElementById(`layer-${name}`);
    box.closest("label").hidden = !can(needs[name]);
    box.onchange = () => {
      layer[name].hidden = !box.checked;
      layer[name].style.display = box.checked ? "" : "none";
    };
  }
  svg.addEventListener("wheel", (event) => {
    event.preventDefault();
    const w = toWorld(event);
    zoom(event.deltaY > 0 ? 1.25 : 0.8, w.x, w.y);
  }, { passive: false });
  let drag = null;
  svg.addEventListener("pointerdown", (event) => {
    drag = { x: event.clientX, y: event.clientY, moved: false };
    svg.setPointerCapture(event.pointerId);
  });
  svg.addEventListener("pointermove", (event) => {
    if (!drag) return;
    const dx = event.clientX - drag.x;
    const dy = event.clientY - drag.y;
    if (drag.moved || Math.abs(dx) + Math.abs(dy) > 6) {
      drag.moved = true;
      pan(-dx, -dy);
      drag.x = event.clientX;
      drag.y = event.clientY;
    }
  });
  svg.addEventListener("pointerup", (event) => {
    const click = drag && !drag.moved;
    drag = null;
    if (!click) return;
    const id = nearest(toWorld(event));
    if (id) select(id);
  });
  svg.addEventListener("keydown", (event) => {
    const step = 60;
    const keys = {
      ArrowLeft: () => pan(-step, 0), ArrowRight: () => pan(step, 0),
      ArrowUp: () => pan(0, -step), ArrowDown: () => pan(0, step),
      "+": () => zoom(1 / 1.6), "=": () => zoom(1 / 1.6), "-": () => zoom(1.6),
    };
    if (keys[event.key]) {
      event.preventDefault();
      keys[event.key]();
    }
  });
  document.getElementById("find-form").onsubmit = (event) => {
    event.preventDefault();
    const id = document.getElementById("find-id").value.trim();
    if (markers.has(id)) {
      select(id, true);
    } else {
      show(document.getElementById("detail"), h("p", { class: "state error", role: "alert" }, t("map.notFound", { id })));
    }
  };
}

function paintStates() {
  const flagged = new Set(
    [...store.alerts.values()].map((a) => a.space || a.bin).filter(Boolean),
  );
  for (const [id, m] of markers) {
    const state = m.kind === "space" ? `s-${spaceState(store.spaces.get(id))}` : `b-${binBand(store.bins.get(id))}`;
    const cls = `${m.kind} ${state}${flagged.has(id) ? " alerted" : ""}${id === selected ? " selected" : ""}`;
    if (m.el.getAttribute("class") !== cls) m.el.setAttribute("class", cls);
  }
}

/** Counts by state: what the legend shows and the tests compare with the API. */
export function mapCounts() {
  const spaces = { free: 0, occupied: 0, unknown: 0 };
  for (const id of store.spaceZone.keys()) spaces[spaceState(store.spaces.get(id))] += 1;
  const bins = { low: 0, mid: 0, full: 0, unknown: 0 };
  for (const id of store.binDistrict.keys()) bins[binBand(store.bins.get(id))] += 1;
  return { spaces, bins, alerts: store.alerts.size };
}

function swatch(cls, shape) {
  return h(
    "svg", { class: "swatch", viewBox: "0 0 16 16", "aria-hidden": "true", width: 16, height: 16 },
    shape === "circle" ? h("circle", { cx: 8, cy: 8, r: 6, class: cls }) : h("rect", { x: 2, y: 2, width: 12, height: 12, class: cls }),
  );
}

function renderLegend() {
  const c = mapCounts();
  const row = (cls, shape, label, count, key) =>
    h("li", {}, swatch(cls, shape), h("span", {}, label), h("strong", { class: "num", "data-count": key }, count));
  // Only what the key may read; the alert count closes whichever list comes last.
  const bins = can("sanitation.read");
  document.getElementById("legend").dataset.alerts = store.alertsLoaded ? "loaded" : "loading";
  const alerts = row("bin b-low alerted", "rect", t("legend.alert"), c.alerts, "alerts");
  show(
    document.getElementById("legend"),
    can("parking.read") ? [
      h("h3", {}, t("map.spaces")),
      h("ul", { class: "legend" },
        row("space s-free", "circle", t("legend.free"), c.spaces.free, "spaces-free"),
        row("space s-occupied", "circle", t("legend.occupied"), c.spaces.occupied, "spaces-occupied"),
        row("space s-unknown", "circle", t("legend.unknown"), c.spaces.unknown, "spaces-unknown"),
        bins ? null : alerts,
      ),
    ] : null,
    bins ? [
      h("h3", {}, t("map.bins")),
      h("ul", { class: "legend" },
        row("bin b-low", "rect", t("legend.binLow"), c.bins.low, "bins-low"),
        row("bin b-mid", "rect", t("legend.binMid"), c.bins.mid, "bins-mid"),
        row("bin b-full", "rect", t("legend.binFull"), c.bins.full, "bins-full"),
        row("bin b-unknown", "rect", t("legend.binUnknown"), c.bins.unknown, "bins-unknown"),
        alerts,
      ),
    ] : null,
  );
}

function drawRoutes() {
  if (!layer.routes) return;
  layer.routes.replaceChildren();
  const work = store.worklist;
  if (!work) return;
  const stations = new Map(store.city.stations.map((s) => [s.id, s]));
  const where = new Map(work.items.map((i) => [i.bin, i]));
  for (const route of work.routes) {
    const station = stations.get(route.station);
    if (!station) continue;
    const stops = route.stops.map((id) => where.get(id)).filter(Boolean);
    const path = [station, ...stops, station].map(project);
    layer.routes.append(
      h("polyline", { points: path.map((p) => p.join(",")).join(" "), class: "route", "data-scale-stroke": 1.5, "data-station": route.station }),
    );
    stops.forEach((stop, index) => {
      const [x, y] = project(stop);
      layer.routes.append(h("text", { x, y, dx: "0.5em", dy: "-0.5em", class: "stop-label", "data-scale-font": 12 }, String(index + 1)));
    });
  }
  applyView();
}

/** Each truck's planned route as a line in its own colour from where it begins through its
 * stops, in order, and where it last reported being. */
function drawPlan() {
  if (!layer.plan) return;
  layer.plan.replaceChildren();
  const plan = store.plan;
  if (!plan) return;
  for (const route of plan.routes) {
    const colour = store.planColours.get(route.truck);
    // From where the truck leaves (its home station, or where it was when re-planned).
    const path = [route.origin, ...route.stops].map(project);
    layer.plan.append(
      h("polyline", {
        points: path.map((p) => p.join(",")).join(" "),
        class: "truck-route",
        stroke: colour,
        "data-truck": route.truck,
        "data-scale-stroke": 3,
      }, h("title", {}, t("dp.truck", { truck: route.truck }))),
    );
  }
  for (const report of store.progress || []) {
    if (report.lat === null || !store.planColours.has(report.truck)) continue;
    const [x, y] = project(report);
    layer.plan.append(
      h("circle", { cx: x, cy: y, r: 1, "data-scale-r": 7, class: "truck-at", fill: store.planColours.get(report.truck), "data-truck": report.truck, "data-scale-stroke": 2 },
        h("title", {}, t("dp.truck", { truck: report.truck }))),
    );
  }
  applyView();
}

/** Select a device: highlight it, optionally centre on it, and show its details. */
export function select(id, centre = false) {
  selected = id;
  const m = markers.get(id);
  layer.selection.replaceChildren(
    h("circle", { cx: m.x, cy: m.y, r: 1, class: "selection-ring", "data-scale-stroke": 3 }),
  );
  layer.selection.firstChild.dataset.ring = "1";
  if (centre) {
    const w = Math.min(view.w, full.w / 6);
    view = { x: m.x - w / 2, y: m.y - (w * view.h) / view.w / 2, w, h: (w * view.h) / view.w };
  }
  applyView();
  const ring = layer.selection.firstChild;
  ring.setAttribute("r", 10 * unitsPerPx());
  paintStates();
  renderDetail(id, true);
}

function field(label, value) {
  return [h("dt", {}, label), h("dd", {}, value)];
}

function alertList(domain, id) {
  const active = alertsFor(domain, id);
  if (!active.length) return empty(t("d.noAlerts"));
  return h("ul", { class: "alerts-mini" }, active.map((a) => h("li", {}, h("strong", {}, t(`kind.${a.kind}`)), ` · ${t(`status.${a.status}`)} · ${said(a.message, a.detail)}`)));
}

let detailRequest = null;

async function renderDetail(id, reload) {
  const box = document.getElementById("detail");
  const today = localDate();
  const start = cityTime(`${today}T00:00`);
  const end = new Date().toISOString();
  if (store.spaceZone.has(id)) {
    const zoneId = store.spaceZone.get(id);
    const zone = store.city.zones.find((z) => z.id === zoneId);
    const s = store.spaces.get(id);
    const history = h("div", {}, loading());
    show(
      box,
      h("h3", {}, t("space.title", { id })),
      h("dl", { class: "facts" },
        field(t("f.zone"), `${named(zone)} (${zoneId})`),
        field(t("f.status"), `${t(`legend.${spaceState(s)}`)}`),
        field(t("f.since"), dateTime(s?.since)),
        field(t("f.lastSeen"), dateTime(s?.last_seen) + (s?.stale && s?.last_seen ? t("f.stale") : "")),
        field(t("f.battery"), s?.battery_v ? `${s.battery_v.toFixed(2)} V` : "—"),
      ),
      h("h4", {}, t("d.alerts")), alertList("parking", id),
      h("h4", {}, t("d.sessionsToday")), history,
    );
    if (!reload && detailRequest?.id === id && detailRequest.data) return paintSessions(history, detailRequest.data);
    detailRequest = { id };
    try {
      const data = await getJson("/api/v1/parking/sessions", { zone: zoneId, space: id, start, end });
      if (detailRequest.id !== id) return;
      detailRequest.data = data;
      paintSessions(history, data);
    } catch (err) {
      show(history, failed(err, () => renderDetail(id, true)));
    }
  } else {
    const districtId = store.binDistrict.get(id);
    const district = store.city.districts.find((d) => d.id === districtId);
    const b = store.bins.get(id);
    const history = h("div", {}, loading());
    show(
      box,
      h("h3", {}, t("bin.title", { id })),
      h("dl", { class: "facts" },
        field(t("f.district"), `${named(district)} (${districtId})`),
        field(t("f.fill"), percent(b?.fill_pct, 1)),
        field(t("f.temp"), b?.temp_c === null || b?.temp_c === undefined ? "—" : `${b.temp_c.toFixed(1)} °C`),
        field(t("f.battery"), b?.battery_v ? `${b.battery_v.toFixed(2)} V` : "—"),
        field(t("f.tilted"), b?.tilted === null || b?.tilted === undefined ? "—" : t(b.tilted ? "f.yes" : "f.no")),
        field(t("f.lastSeen"), dateTime(b?.last_seen)),
      ),
      h("h4", {}, t("d.alerts")), alertList("sanitation", id),
      history,
    );
    if (!reload && detailRequest?.id === id && detailRequest.data) return paintBinHistory(history, id, detailRequest.data);
    detailRequest = { id };
    try {
      const params = { date: today, district: districtId, bin: id };
      const [levels, collections] = await Promise.all([
        getJson("/api/v1/sanitation/levels", params),
        getJson("/api/v1/sanitation/collections", params),
      ]);
      if (detailRequest.id !== id) return;
      detailRequest.data = { levels, collections };
      paintBinHistory(history, id, detailRequest.data);
    } catch (err) {
      show(history, failed(err, () => renderDetail(id, true)));
    }
  }
}

function paintSessions(box, sessions) {
  if (!sessions.length) return show(box, empty(t("d.noSessions")));
  show(box, table(null, [t("col.start"), t("col.end"), t("col.duration"), t("col.fee")],
    sessions.map((s) => [clock(s.start), s.end ? clock(s.end) : t("session.ongoing"), duration(s.duration_s), s.fee ? s.fee.display : "—"]),
    { numeric: [2, 3] }));
}

function paintBinHistory(box, id, { levels, collections }) {
  const today = localDate();
  const points = levels.levels.map((lv) => ({ start: lv.ts, end: lv.ts, value: lv.fill_pct / 100 }));
  const chart = points.length
    ? rateChart({
      points,
      domain: [cityTime(`${today}T00:00`), cityTime(`${today}T23:59`)],
      title: t("chart.fill", { bin: id }),
      summary: `${percent(levels.levels.at(-1).fill_pct)} ${clock(levels.levels.at(-1).ts)}`,
    })
    : empty(t("chart.none"));
  show(
    box,
    h("h4", {}, t("d.fillToday")),
    chart,
    h("h4", {}, t("d.collectionsToday")),
    collections.length
      ? table(null, [t("col.start"), t("col.fill")],
        collections.map((c) => [clock(c.ts), c.before_pct === null ? "—" : `${percent(c.before_pct)} → ${percent(c.after_pct)}`]),
        { numeric: [1] })
      : empty(t("d.noCollections")),
  );
}

