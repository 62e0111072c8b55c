// The sanitation view: today's clearance per district against its deadline, active alerts
// with an acknowledge button, the worklist with its suggested rounds, yesterday's report.

import { ApiError, postJson, getJson, savedName } from "./api.js";
import { progress } from "./charts.js";
import { h, show, loading, failed, empty, table } from "./dom.js";
import { clock, dateTime, dayBefore, duration, localDate, percent } from "./format.js";
import { t } from "./i18n.js";
import { changed, mayAcknowledge, store, subscribe } from "./store.js";

const reports = { today: null, yesterday: null, worklist: null };
const ackErrors = new Map();

function districtName(id) {
  return store.city.districts.find((d) => d.id === id)?.name ?? id;
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
  const stations = new Map(store.city.stations.map((s) => [s.id, s.name]));
  const counts = {};
  for (const i of work.items) counts[i.reason] = (counts[i.reason] || 0) + 1;
  const items = work.items.filter((i) => !workDistrict || i.district === workDistrict);
  const filter = h(
    "select",
    { id: "work-district", onchange: (event) => { workDistrict = event.target.value; renderWorklist(); } },
    h("option", { value: "" }, t("s.allDistricts")),
    store.city.districts.map((d) => h("option", { value: d.id, selected: d.id === workDistrict }, `${d.id} ${d.name}`)),
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
        items.map((i) => [order.get(i.bin) ?? "—", i.bin, i.district, h("span", { class: `reason r-${i.reason}` }, t(`reason.${i.reason}`)), i.detail, percent(i.fill_pct)]),
        { numeric: [5] })),
  );
}

// After an acknowledge click the list holds still: the cards keep their order (one
// acknowledged or resolved meanwhile stays where it was) until SETTLE_MS have passed with no
// acknowledge on its way and the pointer off the list. So the second click of a double-click
// lands on the card it was meant for (whose button is already disabled), never on the next one.
const SETTLE_MS = 3000;
const pending = new Set(); // ids of the alerts whose acknowledge is on its way
let held = null; // the alerts in the order shown, while the list holds still
let settleTimer = null;
let pointerOver = false;

function alertAction(a) {
  const device = a.space || a.bin;
  if (a.status === "resolved") return h("span", { class: "muted" }, t("status.resolved"));
  if (a.status === "acknowledged") {
    return h("span", { class: "acked" }, t("s.acked", { by: a.acknowledged_by, at: dateTime(a.acknowledged_at) }));
  }
  if (!mayAcknowledge(a)) return h("span", { class: "muted" }, t("s.ackNotAllowed"));
  const waiting = pending.has(a.id);
  return h("button", {
    type: "button", class: "ack", "data-alert": a.id, disabled: waiting, "aria-busy": waiting ? "true" : null,
    "aria-label": `${t("s.ack")} ${t(`kind.${a.kind}`)} ${device}`,
    onclick: (event) => {
      event.currentTarget.disabled = true; // at once: the next click must not send it again
      acknowledge(a.id);
    },
  }, t("s.ack"));
}

function alertRow(a) {
  const device = a.space || a.bin;
  const group = a.zone || a.district;
  const error = ackErrors.get(a.id);
  return h("li", { class: `alert k-${a.kind} st-${a.status}`, "data-alert": a.id, tabindex: -1 },
    h("div", { class: "alert-head" }, h("strong", {}, t(`kind.${a.kind}`)), h("span", {}, ` ${group} · ${device}`), h("span", { class: "muted" }, ` · ${dateTime(a.opened_at)}`)),
    h("p", {}, a.detail),
    h("div", { class: "alert-action" }, alertAction(a)),
    error ? h("p", { class: "state error", role: "alert" }, t("s.ackFailed", { detail: error })) : null,
  );
}

function sortedAlerts() {
  const rank = { fire: 0, full: 1, overflow_soon: 2, not_cleared: 3 };
  return [...store.alerts.values()].sort(
    (a, b) => (a.status === "open" ? 0 : 1) - (b.status === "open" ? 0 : 1)
      || (rank[a.kind] ?? 9) - (rank[b.kind] ?? 9)
      || b.opened_at.localeCompare(a.opened_at),
  );
}

/** The alerts in the order to show: sorted, or while the list holds still, as they were
 * (alerts gone meanwhile shown resolved in their place, new ones at the end). */
function shownAlerts() {
  const sorted = sortedAlerts();
  if (!held) return sorted;
  const placed = new Set(held.map((a) => a.id));
  held = [
    ...held.map((a) => store.alerts.get(a.id) ?? { ...a, status: "resolved" }),
    ...sorted.filter((a) => !placed.has(a.id)),
  ];
  return held;
}

function holdStill() {
  held ??= shownAlerts();
  clearTimeout(settleTimer);
  settleTimer = setTimeout(settle, SETTLE_MS);
}

function settle() {
  settleTimer = null;
  if (!held || pending.size || pointerOver) return; // the answer or the pointer leaving settles it
  held = null;
  renderAlerts();
}

function renderAlerts() {
  const box = document.getElementById("alerts");
  if (!store.alertsLoaded) return show(box, loading());
  const active = shownAlerts();
  if (!active.length) return show(box, empty(t("s.noAlerts")));
  const scrolled = box.querySelector(".alert-list")?.scrollTop ?? 0; // a redraw must not scroll
  show(box, h("ul", { class: "alert-list" }, active.map(alertRow)));
  box.querySelector(".alert-list").scrollTop = scrolled;
}

async function acknowledge(id) {
  if (pending.has(id)) return;
  pending.add(id);
  ackErrors.delete(id);
  holdStill();
  changed("alerts");
  try {
    // The API records the key's name; a name typed at sign-in is added as the person
    // behind it ("<name> via <key>"), never the key's own name again.
    const person = savedName();
    const body = person && person !== store.who?.name ? { by: person } : undefined;
    const updated = await postJson(`/api/v1/alerts/${encodeURIComponent(id)}/ack`, body);
    if (updated.status === "resolved") store.alerts.delete(updated.id);
    else store.alerts.set(updated.id, updated);
  } catch (err) {
    ackErrors.set(id, err instanceof ApiError && err.status === 403 ? t("s.ackNotAllowed") : err.detail || String(err));
  }
  pending.delete(id);
  if (!settleTimer) settle();
  changed("alerts");
  // The list was redrawn: keep keyboard focus on the alert just handled.
  document.querySelector(`#alerts li[data-alert="${CSS.escape(id)}"]`)?.focus();
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
    if (topic === "alerts" || topic === "who") renderAlerts();
    if (topic === "lang") {
      renderToday();
      renderYesterday();
      renderWorklist();
      renderAlerts();
    }
  });
  const alerts = document.getElementById("alerts");
  alerts.addEventListener("pointerenter", () => { pointerOver = true; });
  alerts.addEventListener("pointerleave", () => {
    pointerOver = false;
    if (!settleTimer) settle();
  });
  renderAlerts();
  loadToday();
  loadYesterday();
  loadWorklist();
  // The worklist also feeds the map's rounds, so it is kept fresh whichever view is open.
  setInterval(() => {
    loadToday();
    loadWorklist();
  }, 60_000);
}
