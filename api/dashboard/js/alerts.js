// An alert list of one domain ("parking": overstays and space sensors; "sanitation": bins),
// with filters by kind and status and the API's counts beside them, and an acknowledge button
// that cannot hit the wrong card.

import { areaChoices, areaField, countQuery, inArea } from "./alert_areas.js";
import { assignControl, reloadCases } from "./alert_assign.js";
import { acknowledged, undoControl } from "./alert_undo.js";
import { ApiError, getJson, postJson, savedName } from "./api.js";
import { h, show, loading, empty } from "./dom.js";
import { dateTime } from "./format.js";
import { said, t } from "./i18n.js";
import { changed, mayAcknowledge, store, subscribe } from "./store.js";

// After an acknowledge click a list holds still: the cards keep their order (one
// acknowledged or resolved meanwhile stays where it was) until SETTLE_MS have passed with no
// acknowledge on its way and the pointer off the list. So the second click of a double-click
// lands on the card it was meant for (whose button is already disabled), never on the next one.
const SETTLE_MS = 3000;
const STATUSES = ["active", "open", "acknowledged"];
const RANK = { fire: 0, full: 1, overflow_soon: 2, not_cleared: 3, overstay: 4 };
const pending = new Set(); // ids of the alerts whose acknowledge is on its way
const ackErrors = new Map();

/** Keep the alert list of one domain in box (an element with filters and cards). */
export function initAlertList(box, domain) {
  const prefix = box.id;
  const area = areaField(domain); // "zone" or "district": the list's area filter
  const filter = { kind: "", status: "active", [area]: "" };
  let counts = null; // GET /api/v1/alerts/counts?domain=[&zone|district=], or {error}
  let areaCounts = null; // the same for the whole domain: the numbers beside each area
  let held = null; // the alerts in the order shown, while the list holds still
  let settleTimer = null;
  let pointerOver = false;
  let countsTimer = null;
  let countsAsked = 0;
  const filters = h("div", { class: "row alert-filters" });
  const items = h("div", { class: "alert-items" });
  show(box, filters, items);

  function action(a) {
    const device = a.space || a.bin;
    if (a.status === "resolved") return h("span", { class: "muted" }, t("status.resolved"));
    if (a.status === "acknowledged") {
      return [h("span", { class: "acked" }, t("s.acked", { by: a.acknowledged_by, at: dateTime(a.acknowledged_at) })), undoControl(a)];
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

  function card(a) {
    const error = ackErrors.get(a.id);
    return h("li", { class: `alert k-${a.kind} st-${a.status}`, "data-alert": a.id, tabindex: -1 },
      h("div", { class: "alert-head" }, h("strong", {}, t(`kind.${a.kind}`)), h("span", {}, ` ${a.zone || a.district} · ${a.space || a.bin}`), h("span", { class: "muted" }, ` · ${dateTime(a.opened_at)}`)),
      h("p", { class: "alert-detail" }, said(a.message, a.detail)),
      h("div", { class: "alert-action" }, action(a)),
      assignControl(a),
      error ? h("p", { class: "state error", role: "alert" }, t("s.ackFailed", { detail: error })) : null,
    );
  }

  function wanted(a) {
    return a.domain === domain
      && (!filter.kind || a.kind === filter.kind)
      && (filter.status === "active" || a.status === filter.status)
      && inArea(a, filter[area]);
  }

  function sorted() {
    return [...store.alerts.values()].filter(wanted).sort(
      (a, b) => (a.status === "open" ? 0 : 1) - (b.status === "open" ? 0 : 1)
        || (RANK[a.kind] ?? 9) - (RANK[b.kind] ?? 9)
        || b.opened_at.localeCompare(a.opened_at),
    );
  }

  // Sorted, or while the list holds still, as shown (alerts gone meanwhile shown resolved in
  // their place, new ones at the end).
  function shown() {
    const now = sorted();
    if (!held) return now;
    const placed = new Set(held.map((a) => a.id));
    held = [
      ...held.map((a) => store.alerts.get(a.id) ?? { ...a, status: "resolved" }),
      ...now.filter((a) => !placed.has(a.id)),
    ];
    return held;
  }

  function holdStill() {
    held ??= shown();
    clearTimeout(settleTimer);
    settleTimer = setTimeout(settle, SETTLE_MS);
  }

  function settle() {
    settleTimer = null;
    if (!held || pending.size || pointerOver) return; // the answer or the pointer leaving settles it
    held = null;
    renderItems();
  }

  function renderItems() {
    if (!store.alertsLoaded) return show(items, loading());
    const alerts = shown();
    if (!alerts.length) return show(items, empty(t("s.noAlerts")));
    const scrolled = items.querySelector(".alert-list")?.scrollTop ?? 0; // a redraw must not scroll
    show(items, h("ul", { class: "alert-list" }, alerts.map(card)));
    items.querySelector(".alert-list").scrollTop = scrolled;
  }

  function select(name, options) {
    return [
      h("label", { for: `${prefix}-${name}` }, t(`a.${name}`)),
      h("select", {
        id: `${prefix}-${name}`,
        onchange: (event) => {
          filter[name] = event.target.value;
          held = null; // a new filter is a new list
          renderItems();
          if (name === area) loadCounts(); // the kind and status counts are the area's
        },
      }, options.map(([value, label, n]) => h("option", { value, selected: value === filter[name], "data-count": n ?? "" }, n === undefined ? label : `${label} (${n})`))),
    ];
  }

  function renderFilters() {
    const c = counts && !counts.error ? counts : null;
    const kinds = new Set([...(c ? Object.keys(c.by_kind) : []), filter.kind].filter(Boolean));
    const byArea = areaCounts && !areaCounts.error ? areaCounts : null;
    show(filters,
      select(area, [["", t(`w.all.${area}`), byArea?.active], ...areaChoices(domain).map(([id, label]) => [id, label, byArea?.by_area[id] ?? 0])]),
      select("kind", [["", t("a.allKinds"), c?.active], ...[...kinds].sort().map((k) => [k, t(`kind.${k}`), c?.by_kind[k] ?? 0])]),
      select("status", STATUSES.map((s) => [s, t(`a.st.${s}`), c ? (s === "active" ? c.active : c.by_status[s] ?? 0) : undefined])),
    );
  }

  async function loadCounts() {
    countsTimer = null;
    const asked = ++countsAsked; // an area chosen meanwhile makes this answer stale
    const chosen = filter[area];
    let answer;
    try {
      answer = await Promise.all([
        getJson("/api/v1/alerts/counts", countQuery(domain, chosen)),
        chosen ? getJson("/api/v1/alerts/counts", countQuery(domain, "")) : null,
      ]);
    } catch (err) {
      answer = [{ error: err }, { error: err }];
    }
    if (asked !== countsAsked) return;
    [counts, areaCounts] = answer;
    areaCounts ??= counts;
    box.dataset.counts = counts.error ? "failed" : "loaded";
    box.dataset.countsFor = chosen; // which area the counts beside kind and status are for
    renderFilters();
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
      acknowledged(updated);
      if (updated.status === "resolved") store.alerts.delete(updated.id);
      else store.alerts.set(updated.id, updated);
    } catch (err) {
      ackErrors.set(id, err instanceof ApiError && err.status === 403 ? t("s.ackNotAllowed") : err.detail || String(err));
    }
    pending.delete(id);
    if (!settleTimer) settle();
    changed("alerts");
    // The list was redrawn: keep keyboard focus on the alert just handled.
    items.querySelector(`li[data-alert="${CSS.escape(id)}"]`)?.focus();
  }

  items.addEventListener("pointerenter", () => { pointerOver = true; });
  items.addEventListener("pointerleave", () => {
    pointerOver = false;
    if (!settleTimer) settle();
  });
  subscribe((topic) => {
    if (["alerts", "who", "lang", "cases"].includes(topic)) renderItems();
    if (topic === "alerts" || topic === "who") reloadCases();
    if (topic === "lang" || topic === "city") renderFilters();
    // The counts follow the stream's changes, at most once a second.
    if (topic === "alerts" && !countsTimer) countsTimer = setTimeout(loadCounts, 1000);
  });
  renderFilters();
  renderItems();
  loadCounts();
}
