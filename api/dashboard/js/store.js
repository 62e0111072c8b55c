// What the page knows, shared by the views; views subscribe to hear what changed.

export const store = {
  city: null, // GET /api/v1/city
  who: null, // GET /auth/whoami, or null when the server has no keys yet
  asOf: null, // the live snapshot's time
  zones: [], // zone counts from the live stream
  spaces: new Map(), // space id -> latest state
  bins: new Map(), // bin id -> latest state
  alerts: new Map(), // alert id -> active alert (open or acknowledged)
  alertsLoaded: false,
  worklist: null, // GET /api/v1/sanitation/worklist
  spaceZone: new Map(), // space id -> zone id (registry)
  binDistrict: new Map(), // bin id -> district id (registry)
};

const listeners = new Set();

/** Call fn(topic) on every change: "city", "live", "alerts", "worklist", "lang", "who". */
export function subscribe(fn) {
  listeners.add(fn);
}

/** Tell every view that a topic changed. */
export function changed(topic) {
  for (const fn of listeners) fn(topic);
}

/** Index the registry layout for look-ups by device id. */
export function setCity(city) {
  store.city = city;
  for (const zone of city.zones) for (const s of zone.spaces) store.spaceZone.set(s.id, zone.id);
  for (const d of city.districts) for (const b of d.bins) store.binDistrict.set(b.id, d.id);
  changed("city");
}

/** The active alerts about one device ("parking"/"sanitation", device id). */
export function alertsFor(domain, device) {
  return [...store.alerts.values()].filter(
    (a) => a.domain === domain && (a.space === device || a.bin === device),
  );
}

/**
 * Whether the signed-in key may acknowledge this alert. Without whoami (servers without
 * keys) the button is shown and the server decides; 403 is then reported in words.
 */
export function mayAcknowledge(alert) {
  const who = store.who;
  if (!who) return true;
  const role = String(who.role || "").toLowerCase();
  if (role === "admin") return true;
  const parking = /parking|operator/.test(role) && alert.domain === "parking";
  const sanitation = /dispatch/.test(role) && alert.domain === "sanitation";
  if (!parking && !sanitation) return false;
  const scope = alert.domain === "parking" ? who.zones : who.districts;
  const group = alert.domain === "parking" ? alert.zone : alert.district;
  return !Array.isArray(scope) || scope.length === 0 || scope.includes(group);
}
