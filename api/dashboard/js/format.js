// Times in the city's time zone (not the browser's), money from integer fen, durations.

import { locale } from "./i18n.js";

let zone = "Asia/Shanghai";

/** Use the registry's time zone from now on. */
export function setTimeZone(name) {
  zone = name;
}

export function timeZone() {
  return zone;
}

function parts(date) {
  const fmt = new Intl.DateTimeFormat("en-GB", {
    timeZone: zone, year: "numeric", month: "2-digit", day: "2-digit",
    hour: "2-digit", minute: "2-digit", second: "2-digit", hourCycle: "h23",
  });
  return Object.fromEntries(fmt.formatToParts(date).map((p) => [p.type, p.value]));
}

/** "14:05" in the city. */
export function clock(iso) {
  if (!iso) return "—";
  return new Intl.DateTimeFormat(locale(), { timeZone: zone, hour: "2-digit", minute: "2-digit", hourCycle: "h23" }).format(new Date(iso));
}

/** "2026-11-27 14:05" in the city, in both languages: no day/month order to guess. */
export function dateTime(iso) {
  if (!iso) return "—";
  const p = parts(new Date(iso));
  return `${p.year}-${p.month}-${p.day} ${p.hour}:${p.minute}`;
}

/** The city's local date now (or at a Date) as YYYY-MM-DD. */
export function localDate(at = new Date()) {
  const p = parts(at);
  return `${p.year}-${p.month}-${p.day}`;
}

/** YYYY-MM-DD of the day before a YYYY-MM-DD date. */
export function dayBefore(day) {
  const d = new Date(`${day}T12:00:00Z`);
  d.setUTCDate(d.getUTCDate() - 1);
  return d.toISOString().slice(0, 10);
}

/** The city's UTC offset at a moment, as "+08:00". */
function offsetAt(date) {
  const name = new Intl.DateTimeFormat("en-US", { timeZone: zone, timeZoneName: "longOffset" })
    .formatToParts(date)
    .find((p) => p.type === "timeZoneName").value; // "GMT+08:00", or "GMT" for UTC
  return name === "GMT" ? "+00:00" : name.slice(3);
}

/**
 * A local wall-clock time in the city ("2026-11-27T09:00", as a datetime-local input gives)
 * as RFC 3339 with the city's offset at that time.
 */
export function cityTime(local) {
  const base = local.length === 16 ? `${local}:00` : local;
  // The offset an hour either side can differ on DST days; take the one that round-trips.
  const guess = new Date(`${base}Z`);
  for (const probe of [guess, new Date(guess - 12 * 3600e3), new Date(+guess + 12 * 3600e3)]) {
    const candidate = `${base}${offsetAt(probe)}`;
    const p = parts(new Date(candidate));
    if (`${p.year}-${p.month}-${p.day}T${p.hour}:${p.minute}:${p.second}` === base) return candidate;
  }
  return `${base}${offsetAt(guess)}`;
}

/** "2026-11-27T14:05" in the city, for a datetime-local input. */
export function localInput(at = new Date()) {
  const p = parts(at);
  return `${p.year}-${p.month}-${p.day}T${p.hour}:${p.minute}`;
}

/** "¥12.50" from integer fen. */
export function yuan(fen) {
  if (fen === null || fen === undefined) return "—";
  const sign = fen < 0 ? "-" : "";
  const abs = Math.abs(fen);
  return `${sign}¥${Math.floor(abs / 100)}.${String(abs % 100).padStart(2, "0")}`;
}

/** "1 h 05 min" / "1 小时 05 分" from seconds. */
export function duration(seconds) {
  const minutes = Math.floor(seconds / 60);
  const hours = Math.floor(minutes / 60);
  const rest = String(minutes % 60).padStart(2, "0");
  if (locale() === "zh-CN") return hours ? `${hours} 小时 ${rest} 分` : `${minutes} 分钟`;
  return hours ? `${hours} h ${rest} min` : `${minutes} min`;
}

/** "72%" from a percentage, or a dash. */
export function percent(value, digits = 0) {
  return value === null || value === undefined ? "—" : `${value.toFixed(digits)}%`;
}
