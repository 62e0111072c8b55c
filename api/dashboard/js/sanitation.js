// The sanitation view: today's clearance per district against its deadline, the bins' alert
// list, the worklist with its suggested rounds, yesterday's report.

import { getJson } from "./api.js";
import { initAlertList } from "./alerts.js";
import { progress } from "./charts.js";
import { h, show, loading, failed, empty, table } from "./dom.js";
import { clock, dateTime, dayBefore, duration, localDate, percent } from "./format.js";
import { named, said, t } from "./i18n.js";
import { changed, store, subscribe } from "./store.js";

const reports = { today: null, yesterday: null, worklist: null };

function districtName(id) {
  return named(store.city.districts.find((d) => d.id === id), id);
}

function minutesLeft(deadline) {
  // deadline is local HH:MM today; compare with the city's wall clock now.
  const [hh, mm] = deadline.split(":").map(Number);
  const [nh, nm] = clock(new Date().toISOString()).split(":").map(Number);
  return hh * 60 + mm - (nh * 60 + nm);
}

function renderToday() {
  const box = document.getElementById("clearance-today");
  const r = reports.today;
  if (!r) return show(box, loading());
  if (r.error) return show(box, failed(r.error, loadToday));
  const report = r.data;
  show(
    box,
    h("ul", { class: "districts" }, report.districts.map((d) => {
      const left = minutesLeft(d.deadline);
      const passed = left < 0;
      const when = passed
        ? t("s.deadlinePassed", { deadline: d.deadline })
        : t("s.deadlineIn", { deadline: d.deadline, left: duration(left * 60) });
      const label = d.needed ? t("s.progress", { cleared: d.cleared, needed: d.needed }) : t("s.noneNeeded");
      return h("li", { "data-district": d.district },
        h("div", { class: "district-head" }, h("strong", {}, `${d.district} ${districtName(d.district)}`), h("span", { class: passed && d.cleared < d.needed ? "warn" : "muted" }, when)),
        progress(d.needed ? d.cleared / d.needed : 1, `${d.district}: ${label}`, { late: passed && d.cleared < d.needed }),
        h("div", { class: "district-foot" }, h("span", {}, label), d.late.length ? h("span", { class: "muted" }, `${t("col.late")} ${d.late.length}`) : null),
      );
    })),
    report.complete ? null : h("p", { class: "muted" }, `${t("s.soFar")} · ${dateTime(new Date().toISOString())}`),
  );
}

function renderYesterday() {
  const box = document.getElementById("clearance-yesterday");
  const r = reports.yesterday;
  if (!r) return show(box, loading());
  if (r.error) return show(box, failed(r.error, loadYesterday));
  const report = r.data;
  const rate = (v) => (v === null ? "—" : percent(v * 100, 1));
  const rows = report.districts.map((d) => [
    `${d.district} ${districtName(d.district)}`, d.deadline, d.needed, d.cleared, d.late.length,
    h("span", { title: d.not_cleared.join(", ") }, d.not_cleared.length), rate(d.clearance_rate),
  ]);
  const c = report.city;
  rows.push([h("strong", {}, t("s.city")), "", c.needed, c.cleared, c.late.length, c.not_cleared.length, h("strong", {}, rate(c.clearance_rate))]);
  show(box, table(report.date, [t("col.district"), t("col.deadline"), t("col.needed"), t("col.cleared"), t("col.late"), t("col.notCleared"), t("s.rate")], rows, { numeric: [2, 3, 4, 5, 6] }));
}

let workDistrict = "";

function renderWorklist() {
  const box = document.getElementById("worklist");
  const r = reports.worklist;
  if (!r) return show(box, loading());
  if (r.error) return show(box, failed(r.error, loadWorklist));
  const work = r.data;
  if (!work.items.length) return show(box, empty(t("s.noWork")));
  const order = new Map();
  for (const route of work.routes) route.stops.forEach((id, i) => order.set(id, `${route.station}-${i + 1}`));
  const stations = new Map(store.city.stations.map((s) => [s.id, named(s)]));
  const counts = {};
  for (const i of work.items) counts[i.reason] = (counts[i.reason] || 0) + 1;
  const items = work.items.filter((i) => !workDistrict || i.district === workDistrict);
  const filter = h(
    "select",
    { id: "work-district", onchange: (event) => { workDistrict = event.target.value; renderWorklist(); } },
    h("option", { value: "" }, t("s.allDistricts")),
    store.city.districts.map((d) => h("option", { value: d.id, selected: d.id === workDistrict }, `${d.id} ${named(d)}`)),
  );
  show(
    box,
    h("p", { class: "summary" }, t("s.workSummary", { n: work.items.length, time: clock(work.as_of) }), " ",
      Object.entries(counts).map(([reason, n]) => h("span", { class: `chip r-${reason}` }, `${t(`reason.${reason}`)} ${n}`))),
    h("ul", { class: "routes" }, work.routes.map((route) => h("li", {}, t("s.route", { station: stations.get(route.station) ?? route.station, n: route.stops.length, km: (route.distance_m / 1000).toFixed(1) })))),
    h("div", { class: "row" },
      h("label", { for: "work-district" }, t("col.district")), filter,
      h("button", { type: "button", onclick: () => { location.hash = "#map"; } }, t("s.showMap"))),
    h("div", { class: "scroll", tabindex: 0, role: "region", "aria-label": t("s.worklist") },
      table(null, [t("col.order"), t("col.bin"), t("col.district"), t("col.reason"), t("col.detail"), t("col.fill")],
        items.map((i) => [order.get(i.bin) ?? "—", i.bin, i.district, h("span", { class: `reason r-${i.reason}` }, t(`reason.${i.reason}`)), said(i.message, i.detail), percent(i.fill_pct)]),
        { numeric: [5] })),
  );
}

async function load(key, path, params, render) {
  try {
    reports[key] = { data: await getJson(path, params) };
  } catch (err) {
    reports[key] = { error: err };
  }
  if (key === "worklist") {
    store.worklist = reports.worklist.data ?? null;
    changed("worklist");
  }
  render();
}

const loadToday = () => load("today", "/api/v1/sanitation/clearance", { date: localDate() }, renderToday);
const loadYesterday = () => load("yesterday", "/api/v1/sanitation/clearance", { date: dayBefore(localDate()) }, renderYesterday);
const loadWorklist = () => load("worklist", "/api/v1/sanitation/worklist", {}, renderWorklist);

/** Build the sanitation view and start keeping its reports fresh. */
export function initSanitation() {
  subscribe((topic) => {
    if (topic === "lang") {
      renderToday();
      renderYesterday();
      renderWorklist();
    }
  });
  initAlertList(document.getElementById("alerts"), "sanitation");
  loadToday();
  loadYesterday();
  loadWorklist();
  // The worklist also feeds the map's rounds, so it is kept fresh whichever view is open.
  setInterval(() => {
    loadToday();
    loadWorklist();
  }, 60_000);
}
