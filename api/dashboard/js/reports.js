// The reports view: a period picker, the report from the records as a table, and its CSV and
// Excel downloads (GET /api/v1/reports/parking and /sanitation, docs/records.md).

import { download, getJson } from "./api.js";
import { empty, failed, h, loading, show, table } from "./dom.js";
import { dayBefore, localDate, yuan } from "./format.js";
import { t } from "./i18n.js";
import { can } from "./store.js";

const PARKING = "/api/v1/reports/parking";
const SANITATION = "/api/v1/reports/sanitation";

function percent(rate) {
  return rate === null || rate === undefined ? "–" : `${(rate * 100).toFixed(1)}%`;
}

function minutes(seconds) {
  return seconds === null || seconds === undefined ? "–" : `${Math.round(seconds / 60)}`;
}

function label(group) {
  return group === "city" ? t("r.city") : group;
}

function query() {
  const form = document.getElementById("reports-form");
  const kind = form.elements.kind.value;
  const group = form.elements.group.value === "area" ? (kind === "parking" ? "zone" : "district") : "city";
  return {
    path: kind === "parking" ? PARKING : SANITATION,
    kind,
    params: { start: form.elements.start.value, end: form.elements.end.value, period: form.elements.period.value, group },
  };
}

function parkingTable(data) {
  return table(
    t("r.parkingCaption", { start: data.start, end: data.end }),
    [t("r.period"), t("r.area"), t("r.sessions"), t("r.billed"), t("r.adjustments"), t("r.meanStay"), t("r.turnover"), t("r.occupancy"), t("r.flagged"), t("r.collected"), t("r.outstanding"), t("r.collectionRate")],
    data.rows.map((r) => [
      r.period, label(r.group), String(r.sessions), yuan(r.billed_fen), `${r.adjustments} (${yuan(r.adjustments_fen)})`,
      minutes(r.mean_stay_s), r.turnover_per_space === null ? "–" : r.turnover_per_space.toFixed(2),
      percent(r.occupancy_rate), String(r.flagged_sessions),
      yuan(r.collected_fen - r.refunded_fen), yuan(r.outstanding_fen), percent(r.collection_rate),
    ]),
    { numeric: [2, 3, 4, 5, 6, 7, 8, 9, 10, 11] },
  );
}

function sanitationTable(data) {
  return table(
    t("r.sanitationCaption", { start: data.start, end: data.end }),
    [t("r.period"), t("r.area"), t("r.needed"), t("r.onTime"), t("r.late"), t("r.notCleared"), t("r.rate"), t("r.corrections")],
    data.rows.map((r) => [
      r.period, label(r.group), String(r.needed), String(r.cleared_on_time), String(r.late),
      String(r.not_cleared), percent(r.clearance_rate), String(r.corrections),
    ]),
    { numeric: [2, 3, 4, 5, 6, 7] },
  );
}

async function showReport() {
  const out = document.getElementById("reports-result");
  const { path, kind, params } = query();
  show(out, loading());
  try {
    const data = await getJson(path, params);
    if (!data.rows.length) return show(out, empty());
    show(out, kind === "parking" ? parkingTable(data) : sanitationTable(data));
  } catch (err) {
    show(out, failed(err, showReport));
  }
}

async function save(format) {
  const out = document.getElementById("reports-result");
  const { path, params } = query();
  try {
    await download(path, { ...params, format });
  } catch (err) {
    show(out, failed(err));
  }
}

/** Wire the form: yesterday by default, the kinds this key may read. */
export function initReports() {
  const form = document.getElementById("reports-form");
  const yesterday = dayBefore(localDate());
  form.elements.start.value = yesterday;
  form.elements.end.value = yesterday;
  for (const option of form.elements.kind.options) {
    option.hidden = !can(option.value === "parking" ? "parking.read" : "sanitation.read");
  }
  if (form.elements.kind.selectedOptions[0]?.hidden) {
    form.elements.kind.value = [...form.elements.kind.options].find((o) => !o.hidden)?.value;
  }
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    showReport();
  });
  document.getElementById("reports-csv").addEventListener("click", () => save("csv"));
  document.getElementById("reports-xlsx").addEventListener("click", () => save("xlsx"));
  show(document.getElementById("reports-result"), h("p", { class: "muted" }, t("r.pick")));
}
