// What the page knows, shared by the views; views subscribe to hear what changed.

export const store = {
  city: null, // GET /api/v1/city
  who: null, // GET /api/v1/auth/whoami: name, role, zones, districts, permissions
  asOf: null, // the live snapshot's time
  zones: [], // zone counts from the live stream
  spaces: new Map(), // space id -> latest state
  bins: new Map(), // bin id -> latest state
  alerts: new Map(), // alert id -> active alert (open or acknowledged)
  alertsLoaded: false,
  worklist: null, // GET /api/v1/sanitation/worklist
  plan: null, // GET /api/v1/dispatch/plan
  progress: [], // GET /api/v1/dispatch/progress
  planColours: new Map(), // truck id -> its route's colour (dispatch.js)
  spaceZone: new Map(), // space id -> zone id (registry)
  binDistrict: new Map(), // bin id -> district id (registry)
};

const listeners = new Set();

/** Call fn(topic) on every change: "city", "live", "alerts", "worklist", "plan", "lang", "who",
 * "cases" (the open cases behind alert cards), "caseStep" (a step taken here). */
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

/** Whether the signed-in key's role holds a permission ("parking.read", "alerts.ack", ...). */
export function can(permission) {
  return Boolean(store.who?.permissions?.includes(permission));
}

const AREA = {
  parking: { permission: "parking.read", scope: "zones" },
  sanitation: { permission: "sanitation.read", scope: "districts" },
};

/** Whether the key may read a zone's ("parking") or a district's ("sanitation") data. */
export function mayRead(domain, area) {
  const { permission, scope } = AREA[domain];
  const allowed = store.who?.[scope];
  return can(permission) && (allowed === null || allowed === undefined || allowed.includes(area));
}

/**
 * Whether the signed-in key may acknowledge this alert, as the API decides it: alerts.ack,
 * and the alert's zone or district readable by the key.
 */
export function mayAcknowledge(alert) {
  return can("alerts.ack") && mayRead(alert.domain, alert.domain === "parking" ? alert.zone : alert.district);
}
