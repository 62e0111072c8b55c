// Undo after acknowledge: for as long as the API allows (the ack answer's undo_until), an
// acknowledged card shows "undo" with a countdown; undo puts the alert back to open through
// POST /api/v1/alerts/{id}/unacknowledge, and every view follows the changed alert.

import { ApiError, postJson } from "./api.js";
import { h } from "./dom.js";
import { t } from "./i18n.js";
import { changed, store } from "./store.js";

const until = new Map(); // alert id -> undo deadline (epoch ms), for acknowledges made here
const undoing = new Set(); // ids whose undo is on its way
const undoErrors = new Map(); // id -> why the last undo failed
let ticker = null;

function secondsLeft(id) {
  return Math.ceil((until.get(id) - Date.now()) / 1000);
}

// One timer for every countdown on the page: it rewrites the buttons' seconds, and drops the
// control (a redraw) once a deadline has passed.
function tick() {
  let expired = false;
  for (const id of [...until.keys()]) {
    const left = secondsLeft(id);
    if (left <= 0) {
      until.delete(id);
      expired = true;
      continue;
    }
    for (const button of document.querySelectorAll(`button.undo[data-alert="${CSS.escape(id)}"]`)) {
      button.textContent = t("w.undo", { s: left });
    }
  }
  if (!until.size) {
    clearInterval(ticker);
    ticker = null;
  }
  if (expired) changed("alerts");
}

/** Remember until when the acknowledge the API just answered can be undone. */
export function acknowledged(answer) {
  undoErrors.delete(answer.id);
  if (!answer.undo_until) return;
  // The server's deadline, counted on this clock from now: clocks differ, durations do not.
  const leftMs = Date.parse(answer.undo_until) - Date.parse(answer.acknowledged_at);
  until.set(answer.id, Date.now() + leftMs);
  ticker ??= setInterval(tick, 250);
}

async function undo(id) {
  if (undoing.has(id)) return;
  undoing.add(id);
  undoErrors.delete(id);
  changed("alerts");
  try {
    const reopened = await postJson(`/api/v1/alerts/${encodeURIComponent(id)}/unacknowledge`);
    until.delete(id);
    store.alerts.set(reopened.id, reopened);
  } catch (err) {
    until.delete(id); // refused (too late, or resolved meanwhile): the control goes
    undoErrors.set(id, err instanceof ApiError ? err.detail || String(err.status) : String(err));
  }
  undoing.delete(id);
  changed("alerts");
}

/**
 * The undo control of an acknowledged card (a button with its countdown), an error line if
 * the last undo failed, or null. Placed after the acknowledgement's text, never where the
 * acknowledge button was: a double-click's second click must not undo the first.
 */
export function undoControl(alert) {
  const error = undoErrors.get(alert.id);
  if (error) return h("span", { class: "state error", role: "alert" }, t("w.undoFailed", { detail: error }));
  if (alert.status !== "acknowledged" || !until.has(alert.id) || secondsLeft(alert.id) <= 0) return null;
  const busy = undoing.has(alert.id);
  return h("button", {
    type: "button", class: "undo", "data-alert": alert.id, disabled: busy,
    onclick: (event) => {
      event.currentTarget.disabled = true;
      undo(alert.id);
    },
  }, t("w.undo", { s: secondsLeft(alert.id) }));
}
