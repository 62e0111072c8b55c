// The dispatch view (docs/dispatch.md): each truck's planned route with arrival times and
// loads, its progress as last reported, and the bins the plan leaves out with the reason.
// The routes themselves are drawn on the map (map.js) in the colours chosen here.

import { getJson, postJson } from "./api.js";
import { h, show, loading, failed, empty, table } from "./dom.js";
import { clock, dateTime } from "./format.js";
import { named, said, t } from "./i18n.js";
import { changed, store, subscribe } from "./store.js";

const REFRESH_MS = 60_000; // the plan changes on re-plans, progress as trucks report
// Distinct on the map's pale ground and from each other (Okabe-Ito and Tableau hues);
// beyond ten trucks, hues go round the wheel by the golden angle, never the same twice.
const PALETTE = ["#0072b2", "#d55e00", "#009e73", "#cc79a7", "#8c564b", "#e6a000", "#56b4e9", "#7f3c8d", "#3b7d23", "#b8002e"];

let state = { plan: null, error: null };

/** The colour of the i-th route of a plan (routes come sorted by truck). */
export function routeColour(index) {
  return index < PALETTE.length ? PALETTE[index] : `hsl(${(index * 137.508) % 360} 70% 38%)`;
}

async function load() {
  try {
    const [plan, progress] = await Promise.all([
      getJson("/api/v1/dispatch/plan"),
      getJson("/api/v1/dispatch/progress"),
    ]);
    setPlan(plan, progress);
  } catch (err) {
    if (err.status === 401) return;
    state = { ...state, error: err };
    render();
  }
}

async function replan() {
  const button = document.getElementById("dispatch-replan");
  button.disabled = true;
  try {
    setPlan(await postJson("/api/v1/dispatch/replan"), store.progress);
  } catch (err) {
    if (err.status !== 401) show(document.getElementById("dispatch-error"), failed(err));
  } finally {
    button.disabled = false;
  }
}

function setPlan(plan, progress) {
  store.plan = plan;
  store.progress = progress;
  store.planColours = new Map(plan.routes.map((r, i) => [r.truck, routeColour(i)]));
  state = { plan, error: null };
  show(document.getElementById("dispatch-error"));
  changed("plan");
}

function stationName(id) {
  return named(store.city.stations.find((s) => s.id === id), id);
}

function progressOf(truck) {
  return (store.progress || []).find((p) => p.truck === truck) || null;
}

/** A route's origin or destination in words: a station, a reported position, or a stop. */
function placeName(place) {
  if (place.kind === "station") return `${place.id} ${stationName(place.id)}`;
  if (place.kind === "position") return t("dp.position", { lat: place.lat.toFixed(5), lon: place.lon.toFixed(5) });
  return place.id;
}

function truckCard(route) {
  const report = progressOf(route.truck);
  const done = new Set(report?.done || []);
  const binsDone = route.stops.filter((s) => s.kind === "bin" && done.has(s.id)).length;
  const where = report && report.lat !== null
    ? t("dp.lastSeen", { at: dateTime(report.ts), lat: report.lat.toFixed(5), lon: report.lon.toFixed(5) })
    : t("dp.noReport");
  const rows = route.stops.map((s, i) => {
    const what = s.kind === "bin" ? s.id : t("dp.unload", { station: `${s.id} ${stationName(s.id)}` });
    return h(
      "tr",
      { "data-stop": s.id, "data-kind": s.kind, "data-arrival": s.arrival, class: done.has(s.id) ? "done" : null },
      h("td", { class: "num" }, String(i + 1)),
      h("td", {}, what),
      h("td", {}, s.district ?? "—"),
      h("td", { class: "num arrival" }, clock(s.arrival)),
      h("td", { class: "num" }, `${s.load_after_l} l`),
      h("td", {}, done.has(s.id) ? t("dp.done") : ""),
    );
  });
  const colour = store.planColours.get(route.truck);
  return h(
    "section",
    { class: "truck", "data-truck": route.truck, style: `--truck: ${colour}` },
    h("h3", {}, h("span", { class: "truck-swatch", "aria-hidden": "true" }), t("dp.truck", { truck: route.truck })),
    h("p", { class: "muted" }, t("dp.summary", {
      bins: route.bins, trips: route.unload_trips, km: (route.distance_m / 1000).toFixed(1),
      start: clock(route.start), end: clock(route.end),
    })),
    h("p", { class: "truck-ends", "data-origin": route.origin.kind }, t("dp.ends", { from: placeName(route.origin), to: placeName(route.destination) })),
    h("p", { class: "truck-progress" }, h("strong", { "data-done": binsDone }, t("dp.progress", { done: binsDone, bins: route.bins })), " · ", where),
    h(
      "table",
      {},
      h("caption", { class: "sr-only" }, t("dp.stops", { truck: route.truck })),
      h("thead", {}, h("tr", {}, ["#", t("dp.stop"), t("f.district"), t("dp.arrival"), t("dp.load"), ""].map((c) => h("th", { scope: "col" }, c)))),
      h("tbody", {}, rows),
    ),
  );
}

function render() {
  const box = document.getElementById("dispatch-routes");
  const risk = document.getElementById("dispatch-risk");
  if (state.error && !state.plan) {
    show(box, failed(state.error, load));
    show(risk);
    return;
  }
  const plan = state.plan;
  if (!plan) {
    show(box, loading());
    show(risk, loading());
    return;
  }
  box.dataset.asOf = plan.as_of;
  show(
    box,
    h("p", { class: "muted" }, t("dp.asOf", { at: dateTime(plan.as_of), km: (plan.distance_m / 1000).toFixed(1), s: plan.solve_s })),
    plan.routes.length ? plan.routes.map(truckCard) : empty(t("dp.noRoutes")),
  );
  // At risk: bins that had to be cleared by a deadline and that no route reaches. Optional
  // bins left out are only counted: the next plans send for them when they must go.
  const atRisk = plan.left_out.filter((o) => o.must);
  const optional = plan.left_out.length - atRisk.length;
  show(
    risk,
    atRisk.length
      ? table(null, [t("dp.bin"), t("f.district"), t("dp.reason")],
        atRisk.map((o) => [o.bin, o.district, h("span", { "data-reason": o.reason }, `${t(`dp.reason.${o.reason}`)} · ${said(o.message, o.detail)}`)]))
      : empty(t("dp.noneAtRisk")),
    optional ? h("p", { class: "muted" }, t("dp.optional", { n: optional })) : null,
  );
}

/** Build the dispatch view and keep it current; for keys that may plan (dispatch.plan). */
export function initDispatch() {
  document.getElementById("dispatch-replan").onclick = replan;
  subscribe((topic) => {
    if (topic === "plan" || topic === "lang") render();
  });
  render();
  load();
  setInterval(load, REFRESH_MS);
}
