// A small element builder and the loading / empty / error states every panel shows.

import { t } from "./i18n.js";

/** Create an element: h("td", {class: "num"}, "12"); children may be strings, nodes or arrays. */
export function h(tag, attrs = {}, ...children) {
  const svg = ["svg", "g", "circle", "rect", "path", "polyline", "line", "text", "title", "polygon"];
  const el = svg.includes(tag)
    ? document.createElementNS("http://www.w3.org/2000/svg", tag)
    : document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value === undefined || value === null || value === false) continue;
    if (name.startsWith("on")) el.addEventListener(name.slice(2), value);
    else if (name === "dataset") Object.assign(el.dataset, value);
    else el.setAttribute(name, value === true ? "" : String(value));
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const child of children) {
    if (child === undefined || child === null || child === false) continue;
    if (Array.isArray(child)) append(el, child);
    else el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

/** Replace the content of a container. */
export function show(container, ...children) {
  container.replaceChildren();
  append(container, children);
}

/** A "loading" line, announced politely to screen readers. */
export function loading() {
  return h("p", { class: "state loading", role: "status" }, t("loading"));
}

/** An "empty" line with its own text. */
export function empty(text = t("empty")) {
  return h("p", { class: "state empty" }, text);
}

/** What went wrong, in words, with a retry button when a retry makes sense. */
export function failed(err, retry) {
  let text;
  if (err.status === 403) text = t("auth.forbidden");
  else if (err.status === 0) text = t("error.network");
  else if (err.status === 503) text = t("error.unavailable", { detail: err.detail });
  else text = t("error.generic", { detail: err.detail || String(err) });
  return h(
    "div",
    { class: "state error", role: "alert" },
    h("p", {}, text),
    retry && err.status !== 403 ? h("button", { type: "button", onclick: retry }, t("retry")) : null,
  );
}

/** A table with a caption, column headings and rows of cells (cells may be nodes). */
export function table(caption, columns, rows, { numeric = [] } = {}) {
  return h(
    "table",
    {},
    caption ? h("caption", {}, caption) : null,
    h("thead", {}, h("tr", {}, columns.map((c, i) => h("th", { scope: "col", class: numeric.includes(i) ? "num" : null }, c)))),
    h(
      "tbody",
      {},
      rows.map((cells) =>
        h("tr", {}, cells.map((c, i) => h("td", { class: numeric.includes(i) ? "num" : null }, c))),
      ),
    ),
  );
}
