// The zone (parking) or district (sanitation) filter of an alert list: the choices are the
// areas the key may read (the city layout the API served for it), and a chosen area is asked
// of the API's own filter, so the counts beside it are the API's.

import { store } from "./store.js";

/** "zone" for the parking list, "district" for the sanitation list: the alert's field. */
export function areaField(domain) {
  return domain === "parking" ? "zone" : "district";
}

/** [id, name] of every area of the domain the key may read, in registry order. */
export function areaChoices(domain) {
  const areas = domain === "parking" ? store.city?.zones : store.city?.districts;
  return (areas || []).map((a) => [a.id, a.name ? `${a.id} ${a.name}` : a.id]);
}

/** Whether the alert is in the chosen area ("" = every area). */
export function inArea(alert, area) {
  return !area || alert[areaField(alert.domain)] === area;
}

/** The query of GET /api/v1/alerts/counts for the domain, narrowed to the area if chosen. */
export function countQuery(domain, area) {
  return area ? { domain, [areaField(domain)]: area } : { domain };
}
