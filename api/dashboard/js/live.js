// Live data: the live-state stream (zone counts, spaces, bins) and the alert stream, each
// read with fetch so the API key can be sent, reconnecting with a growing pause.

import { ApiError, getJson, readEvents } from "./api.js";
import { t } from "./i18n.js";
import { clock } from "./format.js";
import { can, changed, store, subscribe } from "./store.js";

let controller = null;

let shown = { key: "live.connecting", values: {}, ok: false };

function status(key, values, ok) {
  shown = { key, values, ok };
  const el = document.getElementById("live");
  el.textContent = t(key, values);
  el.classList.toggle("ok", ok);
}

subscribe((topic) => topic === "lang" && status(shown.key, shown.values, shown.ok));

function applyChanges(changes) {
  store.asOf = changes.as_of;
  store.zones = changes.zones;
  for (const s of changes.spaces) store.spaces.set(s.space, s);
  for (const b of changes.bins) store.bins.set(b.bin, b);
  status("live.on", { time: clock(changes.as_of) }, true);
  changed("live");
}

function applyAlert(alert) {
  if (alert.status === "resolved") store.alerts.delete(alert.id);
  else store.alerts.set(alert.id, alert);
  changed("alerts");
}

async function loadAlerts() {
  const active = await getJson("/api/v1/alerts", { status: "active", limit: 1000 });
  store.alerts = new Map(active.map((a) => [a.id, a]));
  store.alertsLoaded = true;
  changed("alerts");
}

// Keep one stream open: on any failure wait (1 s, 2 s, ... 30 s) and open it again. A 401
// or 403 stops it: the sign-in form or the panel says why.
async function keepOpen(path, signal, { onOpen, onEvent }) {
  let pause = 1;
  while (!signal.aborted) {
    try {
      await readEvents(path, {
        signal,
        onOpen: () => {
          pause = 1;
          onOpen?.();
        },
        onEvent,
      });
    } catch (err) {
      if (signal.aborted) return;
      if (err instanceof ApiError && (err.status === 401 || err.status === 403)) {
        status(err.status === 401 ? "signin.refused" : "auth.forbidden", {}, false);
        return;
      }
    }
    if (signal.aborted) return;
    status("live.off", { s: pause }, false);
    await new Promise((resolve) => setTimeout(resolve, pause * 1000));
    pause = Math.min(pause * 2, 30);
  }
}

/** Open both streams (closing any open ones). */
export function startLive() {
  stopLive();
  controller = new AbortController();
  const { signal } = controller;
  status("live.connecting", {}, false);
  keepOpen("/api/v1/live/stream", signal, {
    onEvent: (name, data) => name === "changes" && applyChanges(data),
  });
  if (!can("alerts.read")) {
    store.alertsLoaded = true;
    changed("alerts");
    return;
  }
  // The list is read after the stream is open, so no change falls between the two.
  keepOpen("/api/v1/alerts/stream", signal, {
    onOpen: () => loadAlerts().catch(() => {}),
    onEvent: (name, data) => name === "alert" && applyAlert(data),
  });
}

/** Close the streams. */
export function stopLive() {
  controller?.abort();
  controller = null;
}
