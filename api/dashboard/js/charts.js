// Hand-written SVG charts: enough for an occupancy curve, with no library to vendor.

import { h } from "./dom.js";
import { clock } from "./format.js";

/**
 * A line chart of rates (0..1) over time, with hour ticks in the city's time zone.
 * points: [{start, end, value}] in time order, value null where there is no data (drawn as
 * a gap); domain: [startIso, endIso].
 */
export function rateChart({ points, domain, title, summary }) {
  const W = 480;
  const H = 240;
  const left = 44;
  const right = 12;
  const top = 12;
  const bottom = 32;
  const t0 = Date.parse(domain[0]);
  const t1 = Date.parse(domain[1]);
  const x = (ms) => left + ((ms - t0) / (t1 - t0)) * (W - left - right);
  const y = (v) => top + (1 - v) * (H - top - bottom);
  const grid = [0, 0.25, 0.5, 0.75, 1].map((v) => [
    h("line", { x1: left, x2: W - right, y1: y(v), y2: y(v), class: "grid" }),
    h("text", { x: left - 6, y: y(v), dy: "0.35em", "text-anchor": "end", class: "tick" }, `${v * 100}%`),
  ]);
  const ticks = [];
  const hourMs = 3600e3;
  const step = (t1 - t0) / hourMs > 12 ? 3 : 1;
  for (let ms = Math.ceil(t0 / hourMs) * hourMs; ms <= t1; ms += hourMs) {
    const label = clock(new Date(ms).toISOString());
    if (Number(label.slice(0, 2)) % step) continue;
    ticks.push(
      h("line", { x1: x(ms), x2: x(ms), y1: H - bottom, y2: H - bottom + 4, class: "axis" }),
      h("text", { x: x(ms), y: H - bottom + 16, "text-anchor": "middle", class: "tick" }, label),
    );
  }
  // A point without a value (no sensor reported) is a gap: the line and its area stop there
  // and start again at the next point with one, never dropping to 0 %.
  const segments = [];
  let run = [];
  for (const p of points) {
    if (p.value === null || p.value === undefined) {
      if (run.length) segments.push(run);
      run = [];
    } else run.push(p);
  }
  if (run.length) segments.push(run);
  const mid = (p) => x((Date.parse(p.start) + Date.parse(p.end)) / 2);
  const drawn = segments.map((seg) => {
    const line = seg.map((p) => `${mid(p).toFixed(1)},${y(p.value).toFixed(1)}`).join(" ");
    const area = `${mid(seg[0]).toFixed(1)},${y(0)} ${line} ${mid(seg.at(-1)).toFixed(1)},${y(0)}`;
    return [
      h("polygon", { points: area, class: "area" }),
      seg.length > 1
        ? h("polyline", { points: line, class: "line" })
        : h("circle", { cx: mid(seg[0]).toFixed(1), cy: y(seg[0].value).toFixed(1), r: 2, class: "dot" }),
    ];
  });
  return h(
    "svg",
    { viewBox: `0 0 ${W} ${H}`, class: "chart", role: "img", "aria-label": `${title}. ${summary}` },
    h("title", {}, title),
    grid,
    h("line", { x1: left, x2: W - right, y1: H - bottom, y2: H - bottom, class: "axis" }),
    ticks,
    drawn,
  );
}

/** A horizontal progress bar with its numbers written beside it (not colour alone). */
export function progress(value, label, { late = false } = {}) {
  const pct = Math.round(Math.max(0, Math.min(1, value ?? 0)) * 100);
  return h(
    "div",
    { class: `bar${late ? " late" : ""}`, role: "progressbar", "aria-valuemin": 0, "aria-valuemax": 100, "aria-valuenow": pct, "aria-label": label },
    h("span", { class: "fill", style: `width:${pct}%` }),
  );
}
