// The parking view: zone occupancy now (live) with today's revenue, today's occupancy curve
// and busiest hours, a space's sessions with their fee breakdown, and the fee calculator.

import { getJson } from "./api.js";
import { initAlertList } from "./alerts.js";
import { rateChart, progress } from "./charts.js";
import { h, show, loading, failed, empty, table } from "./dom.js";
import { clock, cityTime, duration, localDate, localInput, yuan } from "./format.js";
import { lang, named, said, t } from "./i18n.js";
import { can, store, subscribe } from "./store.js";

let revenue = null;
let revenueError = null;
let dayData = null;
let lastQuote = null;
let lastSessions = null;

function zoneName(id) {
  return named(store.city.zones.find((z) => z.id === id), id);
}

function tariffOf(zoneId) {
  const id = store.city.zones.find((z) => z.id === zoneId)?.tariff;
  return store.city.tariffs?.find((tariff) => tariff.id === id);
}

function fillZoneSelects() {
  for (const select of document.querySelectorAll(".zone-select")) {
    const chosen = select.value;
    select.replaceChildren(...store.city.zones.map((z) => h("option", { value: z.id }, `${z.id} ${named(z)}`)));
    if (chosen) select.value = chosen;
  }
}

function fillSpaces() {
  const zone = store.city.zones.find((z) => z.id === document.getElementById("sessions-zone").value);
  const select = document.getElementById("sessions-space");
  const chosen = select.value;
  select.replaceChildren(
    h("option", { value: "" }, t("p.allSpaces")),
    ...(zone?.spaces ?? []).map((s) => h("option", { value: s.id }, s.id)),
  );
  if (chosen && zone?.spaces.some((s) => s.id === chosen)) select.value = chosen;
}

function renderZones() {
  const box = document.getElementById("zones");
  if (!store.zones.length) return show(box, loading());
  const money = new Map((revenue?.zones ?? []).map((z) => [z.zone, z]));
  const rows = store.zones.map((z) => {
    const r = money.get(z.zone);
    const rate = z.occupancy_rate;
    return [
      h("span", {}, h("strong", {}, z.zone), ` ${named(z)}`),
      z.capacity, z.occupied, z.free, z.unknown,
      h("span", { class: "rate" }, progress(rate, `${z.zone} ${t("col.rate")}`), rate === null ? "—" : `${Math.round(rate * 100)}%`),
      r ? r.revenue_display : "—",
      r ? r.sessions : "—",
      r ? r.flagged_sessions : "—",
    ];
  });
  const sum = (key) => store.zones.reduce((n, z) => n + z[key], 0);
  rows.push([
    h("strong", {}, t("col.total")), sum("capacity"), sum("occupied"), sum("free"), sum("unknown"), "",
    revenue ? revenue.total.revenue_display : "—", revenue ? revenue.total.sessions : "—", revenue ? revenue.total.flagged_sessions : "—",
  ]);
  show(
    box,
    table(null, [t("col.zone"), t("col.capacity"), t("col.occupied"), t("col.free"), t("col.unknown"), t("col.rate"), t("col.revenue"), t("col.sessions"), t("col.flagged")], rows, { numeric: [1, 2, 3, 4, 5, 6, 7, 8] }),
    revenueError ? failed(revenueError, loadRevenue) : null,
  );
  box.dataset.revenue = revenue ? "loaded" : revenueError ? "failed" : "loading";
}

async function loadRevenue() {
  try {
    revenue = await getJson("/api/v1/parking/revenue", { date: localDate() });
    revenueError = null;
  } catch (err) {
    revenueError = err;
  }
  renderZones();
}

async function loadDay() {
  const zone = document.getElementById("day-zone").value;
  const chartBox = document.getElementById("day-chart");
  const busyBox = document.getElementById("busiest");
  if (!zone) return;
  show(chartBox, loading());
  show(busyBox, loading());
  const today = localDate();
  const start = cityTime(`${today}T00:00`);
  const end = new Date().toISOString();
  try {
    const [history, busiest] = await Promise.all([
      getJson("/api/v1/parking/occupancy/history", { zone, start, end, every: "15m" }),
      getJson("/api/v1/parking/occupancy/busiest-hours", { zone, date: today }),
    ]);
    dayData = { zone, start, end: cityTime(`${today}T23:59`), history, busiest };
    renderDay();
  } catch (err) {
    dayData = null;
    show(chartBox, failed(err, loadDay));
    busyBox.replaceChildren();
  }
}

function renderDay() {
  if (!dayData) return;
  const { zone, start, end, history, busiest } = dayData;
  const points = history.buckets.map((b) => ({ start: b.start, end: b.end, value: b.occupancy_rate }));
  const chartBox = document.getElementById("day-chart");
  const known = points.filter((p) => p.value !== null);
  if (!known.length) show(chartBox, empty(t("chart.none")));
  else {
    const peak = Math.max(...known.map((p) => p.value));
    const latest = known.at(-1);
    show(chartBox, rateChart({
      points, domain: [start, end],
      title: t("chart.occupancy", { zone: `${zone} ${zoneName(zone)}` }),
      summary: `max ${Math.round(peak * 100)}%, ${clock(latest.end)} ${Math.round(latest.value * 100)}%`,
    }));
  }
  const hours = busiest.hours.slice(0, 5);
  show(
    document.getElementById("busiest"),
    hours.length
      ? table(null, [t("col.rank"), t("col.hour"), t("col.mean"), t("col.rate")],
        hours.map((hr) => [hr.rank, `${clock(hr.start)}–${clock(hr.end)}`, hr.occupied_mean.toFixed(1), hr.occupancy_rate === null ? "—" : `${Math.round(hr.occupancy_rate * 100)}%`]),
        { numeric: [0, 2, 3] })
      : empty(t("chart.none")),
  );
}

function feeBreakdown(fee, zoneId) {
  const bands = tariffOf(zoneId)?.bands ?? {};
  const rows = fee.items.map((i) => [bands[i.band]?.[lang()] ?? i.band, `${clock(i.start)}–${clock(i.end)}`, i.units, yuan(i.unit_fen), yuan(i.subtotal_fen), said(i.message, i.description)]);
  if (fee.cap_deduction_fen) rows.push([t("quote.cap"), "", "", "", yuan(-fee.cap_deduction_fen), ""]);
  rows.push([h("strong", {}, t("col.total")), "", "", "", h("strong", {}, fee.display), ""]);
  return table(null, [t("col.band"), t("col.hour"), t("col.units"), t("col.unit"), t("col.subtotal"), t("col.item")], rows, { numeric: [2, 3, 4] });
}

function renderQuote() {
  const box = document.getElementById("quote-result");
  if (!lastQuote) return;
  if (lastQuote.error) return show(box, failed(lastQuote.error));
  const q = lastQuote.data;
  show(
    box,
    h("p", { class: "total", "data-fen": q.fee.fen }, t("quote.total", { fee: q.fee.display })),
    h("p", { class: "muted" }, t("quote.zoneLabel", { zone: `${q.zone} ${zoneName(q.zone)}`, tariff: named(tariffOf(q.zone), q.tariff) }), " · ", t("quote.duration", { d: duration(q.duration_s) })),
    q.fee.grace_applied ? h("p", {}, t("quote.grace")) : null,
    feeBreakdown(q.fee, q.zone),
  );
}

async function submitQuote(event) {
  event.preventDefault();
  const zone = document.getElementById("quote-zone").value;
  const startLocal = document.getElementById("quote-start").value;
  const endLocal = document.getElementById("quote-end").value;
  const box = document.getElementById("quote-result");
  if (!startLocal || !endLocal) return;
  if (endLocal <= startLocal) {
    lastQuote = null;
    return show(box, h("p", { class: "state error", role: "alert" }, t("quote.badWindow")));
  }
  show(box, loading());
  const start = cityTime(startLocal);
  const end = cityTime(endLocal);
  try {
    lastQuote = { data: await getJson("/api/v1/parking/fees/quote", { zone, start, end }) };
  } catch (err) {
    lastQuote = { error: err };
  }
  // What the result is for, so a reader (or a test) can tell it from the previous one.
  box.dataset.for = `${zone} ${start} ${end}`;
  renderQuote();
}

function renderSessions() {
  const box = document.getElementById("sessions");
  if (!lastSessions) return;
  if (lastSessions.error) return show(box, failed(lastSessions.error, loadSessions));
  const list = lastSessions.data;
  if (!list.length) return show(box, empty(t("d.noSessions")));
  show(
    box,
    h("div", { class: "scroll", tabindex: 0, role: "region", "aria-label": t("p.sessions") }, table(null, [t("col.space"), t("col.start"), t("col.end"), t("col.duration"), t("col.fee"), t("col.flags")],
      list.map((s) => [
        s.space,
        clock(s.start),
        s.end ? clock(s.end) : t("session.ongoing"),
        duration(s.duration_s),
        s.fee ? h("details", {}, h("summary", {}, s.fee.display), feeBreakdown(s.fee, s.zone)) : "—",
        s.flags.map((f) => t(`flag.${f}`)).join(", "),
      ]),
      { numeric: [3] })),
  );
}

async function loadSessions(event) {
  event?.preventDefault();
  const zone = document.getElementById("sessions-zone").value;
  const space = document.getElementById("sessions-space").value;
  const day = document.getElementById("sessions-date").value || localDate();
  const next = nextDay(day);
  show(document.getElementById("sessions"), loading());
  try {
    const data = await getJson("/api/v1/parking/sessions", { zone, space, start: cityTime(`${day}T00:00`), end: cityTime(`${next}T00:00`) });
    lastSessions = { data };
  } catch (err) {
    lastSessions = { error: err };
  }
  renderSessions();
}

function nextDay(day) {
  const d = new Date(`${day}T12:00:00Z`);
  d.setUTCDate(d.getUTCDate() + 1);
  return d.toISOString().slice(0, 10);
}

/** Build the parking view once the city layout is known. */
export function initParking() {
  if (can("alerts.read")) {
    document.getElementById("parking-alerts-card").hidden = false;
    initAlertList(document.getElementById("parking-alerts"), "parking");
  }
  fillZoneSelects();
  fillSpaces();
  const now = new Date();
  document.getElementById("quote-start").value = localInput(new Date(now - 3600e3));
  document.getElementById("quote-end").value = localInput(now);
  document.getElementById("sessions-date").value = localDate();
  document.getElementById("day-zone").onchange = loadDay;
  document.getElementById("sessions-zone").onchange = fillSpaces;
  document.getElementById("quote-form").onsubmit = submitQuote;
  document.getElementById("sessions-form").onsubmit = loadSessions;
  subscribe((topic) => {
    if (topic === "live") renderZones();
    if (topic === "lang") {
      fillSpaces();
      renderZones();
      renderDay();
      renderQuote();
      renderSessions();
    }
  });
  renderZones();
}

let started = false;

/** Load what the view shows the first time it is opened, then keep revenue fresh. */
export function openParking() {
  if (started) return;
  started = true;
  loadRevenue();
  loadDay();
  setInterval(loadRevenue, 60_000);
}
