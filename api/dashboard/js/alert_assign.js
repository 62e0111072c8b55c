// Assignment from the alert list: the case an alert opened (same id, docs/cases.md) is
// dispatched (派遣) to a crew or truck from the alert's card, through the cases API's own
// step, POST /api/v1/cases/{id}/steps; there is no second path.

import { ApiError, getJson, postJson } from "./api.js";
import { h } from "./dom.js";
import { t } from "./i18n.js";
import { can, changed, store } from "./store.js";

const ASSIGNABLE = new Set(["registered", "dispatched"]); // 派遣, or 改派 once dispatched
const ID_PATTERN = "[A-Za-z0-9_.\\-]{1,64}"; // the API's ID_PATTERN for an assignee
const cases = new Map(); // case id (= alert id) -> the open case, as GET /api/v1/cases lists it
const sending = new Set();
const assignErrors = new Map();
// The list is redrawn on every alert change: what was typed, and where the caret was, survive.
const drafts = new Map(); // alert id -> the assignee typed so far
let typingIn = null; // the alert id whose field has focus
document.addEventListener("focusin", (event) => {
  typingIn = event.target.matches?.("input.assignee") ? event.target.dataset.alert : null;
});
let loading = null;
let reloadTimer = null;

/** Read the open cases of the key's areas again (at most once a second); cards follow. */
export function reloadCases() {
  if (!can("alerts.read") || reloadTimer) return;
  reloadTimer = setTimeout(async () => {
    reloadTimer = null;
    loading ??= getJson("/api/v1/cases", { stage: "open", limit: 1000 });
    try {
      const answer = await loading;
      cases.clear();
      for (const c of answer.cases) cases.set(c.id, c);
      changed("cases");
    } catch {
      // No record store behind the API (cases unavailable): cards simply offer no assignment.
    } finally {
      loading = null;
    }
  }, cases.size ? 1000 : 0);
}

/** Every truck id the page knows of (the dispatch plan's), as suggestions. */
function knownTrucks() {
  return [...new Set((store.plan?.routes || []).map((r) => r.truck))].sort();
}

async function assign(caseId, assignee) {
  const current = cases.get(caseId);
  if (!current || sending.has(caseId)) return;
  sending.add(caseId);
  assignErrors.delete(caseId);
  changed("cases");
  try {
    const answer = await postJson(`/api/v1/cases/${encodeURIComponent(caseId)}/steps`, {
      step: "dispatched", assignee, expected_seq: current.last_seq,
    });
    const { event: _event, ...updated } = answer;
    cases.set(caseId, updated);
    drafts.delete(caseId);
    changed("caseStep"); // the cases view reads its list again
  } catch (err) {
    assignErrors.set(caseId, err instanceof ApiError ? err.detail || String(err.status) : String(err));
    reloadCases(); // it may have moved on: show it as it now is
  }
  sending.delete(caseId);
  changed("cases");
}

/**
 * The assignment line of an alert's card: who its case is assigned to, and (for a key that
 * may work cases) a crew or truck field with a dispatch button; null without an open case.
 */
export function assignControl(alert) {
  const found = cases.get(alert.id);
  if (!found) return null;
  const error = assignErrors.get(alert.id);
  const assigned = found.assignee
    ? h("span", { class: "assigned" }, t("w.assigned", { who: found.assignee }))
    : h("span", { class: "muted" }, t("w.unassigned"));
  const parts = [assigned];
  if (can("cases.work") && ASSIGNABLE.has(found.stage)) {
    const listId = `trucks-${alert.id}`;
    const field = h("input", {
      class: "assignee", "data-alert": alert.id, list: listId, required: true, pattern: ID_PATTERN,
      placeholder: t("w.assignee"), "aria-label": t("w.assignee"), size: 10,
      value: drafts.get(alert.id) ?? "",
      oninput: (event) => drafts.set(alert.id, event.target.value),
    });
    if (typingIn === alert.id) requestAnimationFrame(() => field.isConnected && field.focus());
    parts.push(
      h("form", {
        class: "assign", "data-alert": alert.id,
        onsubmit: (event) => {
          event.preventDefault();
          if (field.checkValidity()) assign(alert.id, field.value.trim());
        },
      },
      field,
      h("datalist", { id: listId }, knownTrucks().map((id) => h("option", { value: id }))),
      h("button", { type: "submit", disabled: sending.has(alert.id) }, t("w.dispatch"))),
    );
  }
  if (error) parts.push(h("p", { class: "state error", role: "alert" }, t("w.assignFailed", { detail: error })));
  return h("div", { class: "alert-case", "data-stage": found.stage }, parts);
}
