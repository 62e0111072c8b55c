// The cases view (案件, docs/cases.md): the cases of the key's zones and districts with their
// stage, assignee, due time and whether they went over their limit, filtered by stage, kind
// and area through GET /api/v1/cases; a case's steps from GET /api/v1/cases/{id}. Shown to
// keys that may read alerts, as the API's own rule is; the API keeps each key to its areas.

import { getJson } from "./api.js";
import { empty, failed, h, loading, show, table } from "./dom.js";
import { dateTime } from "./format.js";
import { named, said, t } from "./i18n.js";
import { store, subscribe } from "./store.js";

const STAGES = ["open", "closed", "all"];
const KINDS = ["not_cleared", "full", "fire", "tilted", "overstay", "sensor_silent", "low_battery"];
const filter = { stage: "open", kind: "", area: "" };
// Who acts when the data decides (SYSTEM_ACTOR in curbside/vocabulary/cases.py), and how a
// step through another party is recorded: "王五 via 调度台", "王五 via platform".
const SYSTEM_ACTOR = "curbside";
const PLATFORM = "platform";
let shownCase = null; // the id whose steps are shown
let asked = 0;

function areaQuery() {
  if (!filter.area) return {};
  const [field, id] = filter.area.split(":");
  return { [field]: id };
}

function select(name, options) {
  return h("label", {}, t(`cs.${name}`), " ", h("select", {
    id: `cases-${name}`,
    onchange: (event) => {
      filter[name] = event.target.value;
      loadCases();
    },
  }, options.map(([value, label]) => h("option", { value, selected: value === filter[name] }, label))));
}

function renderFilters() {
  const areas = [
    ...(store.city?.zones || []).map((z) => [`zone:${z.id}`, `${z.id} ${named(z)}`]),
    ...(store.city?.districts || []).map((d) => [`district:${d.id}`, `${d.id} ${named(d)}`]),
  ];
  show(document.getElementById("cases-filters"),
    select("stage", STAGES.map((s) => [s, t(`cs.st.${s}`)])),
    select("kind", [["", t("a.allKinds")], ...KINDS.map((k) => [k, t(`kind.${k}`)])]),
    select("area", [["", t("cs.allAreas")], ...areas]),
  );
}

function row(c) {
  const place = `${c.zone || c.district} · ${c.space || c.bin}`;
  return h("tr", { "data-case": c.id, "data-stage": c.stage, "data-over": String(c.over_limit), class: c.over_limit ? "over" : null },
    h("td", {}, t(`kind.${c.kind}`)),
    h("td", {}, place),
    h("td", {}, t(`cs.stage.${c.stage}`)),
    h("td", {}, c.assignee || "—"),
    h("td", {}, dateTime(c.deadline)),
    h("td", {}, c.over_limit ? h("strong", { class: "late" }, t("cs.over")) : t("cs.inTime")),
    h("td", {}, h("button", { type: "button", class: "steps", onclick: () => showSteps(c.id) }, t("cs.steps"))),
  );
}

/** Who took a step, Curbside's own words (the system, the platform) in the page's language. */
function actor(by) {
  if (by === SYSTEM_ACTOR) return t("cs.bySystem");
  const word = (name) => (name === PLATFORM ? t("cs.platform") : name);
  const at = by.lastIndexOf(" via ");
  return at < 0 ? word(by) : t("cs.via", { who: word(by.slice(0, at)), through: word(by.slice(at + 5)) });
}

async function loadCases() {
  const out = document.getElementById("cases-list");
  const mine = ++asked; // a newer filter's answer wins
  delete out.dataset.count; // set again with the answer: what a test or a reader waits for
  show(out, loading());
  try {
    const query = { stage: filter.stage, limit: 1000, ...areaQuery(), ...(filter.kind ? { kind: filter.kind } : {}) };
    const answer = await getJson("/api/v1/cases", query);
    if (mine !== asked) return;
    out.dataset.count = String(answer.count);
    if (!answer.cases.length) return show(out, empty(t("cs.none")));
    const columns = ["cs.kind", "cs.place", "cs.stage", "cs.assignee", "cs.deadline", "cs.limit", ""].map((k) => (k ? t(k) : ""));
    const listed = table(t("cs.caption", { n: answer.count }), columns, []);
    listed.querySelector("tbody").append(...answer.cases.map(row));
    show(out, listed);
  } catch (err) {
    if (mine === asked) show(out, failed(err, loadCases));
  }
}

async function showSteps(id) {
  shownCase = id;
  const out = document.getElementById("cases-steps");
  show(out, loading());
  try {
    const c = await getJson(`/api/v1/cases/${encodeURIComponent(id)}`);
    if (shownCase !== id) return;
    out.dataset.case = id;
    show(out,
      h("h3", {}, `${t(`kind.${c.kind}`)} ${c.zone || c.district} · ${c.space || c.bin}`),
      table(t("cs.stepsCaption"), [t("cs.seq"), t("cs.event"), t("cs.at"), t("cs.by"), t("cs.assignee"), t("cs.basis")],
        c.events.map((e) => [String(e.seq), t(`cs.ev.${e.event}`), dateTime(e.at), actor(e.by), e.assignee || "—", e.basis ? said(e.message, e.basis) : "—"]),
        { numeric: [0] }),
    );
  } catch (err) {
    show(out, failed(err, () => showSteps(id)));
  }
}

/** Build the filters and load the cases; they follow the language and alert changes. */
export function initCases() {
  renderFilters();
  loadCases();
  subscribe((topic) => {
    if (topic === "lang") {
      renderFilters();
      loadCases();
      if (shownCase) showSteps(shownCase);
    }
    if (topic === "caseStep") loadCases(); // a case dispatched from an alert card
  });
}
