// The public HTTP API, with the signed-in key sent as a Bearer token on every request.

const KEY = "curbside.key";
const NAME = "curbside.name";

/** An HTTP error from the API: status 0 means the server could not be reached. */
export class ApiError extends Error {
  constructor(status, detail) {
    super(detail);
    this.status = status;
    this.detail = detail;
  }
}

const unauthorizedHandlers = [];

/** Call fn whenever the API refuses the key (401): the page then asks for another one. */
export function onUnauthorized(fn) {
  unauthorizedHandlers.push(fn);
}

export function savedKey() {
  return sessionStorage.getItem(KEY);
}

export function savedName() {
  return sessionStorage.getItem(NAME) || "";
}

export function signIn(key, name) {
  sessionStorage.setItem(KEY, key);
  sessionStorage.setItem(NAME, name);
}

export function signOut() {
  sessionStorage.removeItem(KEY);
  sessionStorage.removeItem(NAME);
}

function headers(extra = {}) {
  const key = savedKey();
  return key ? { ...extra, Authorization: `Bearer ${key}` } : extra;
}

function url(path, params) {
  const u = new URL(path, location.origin);
  for (const [name, value] of Object.entries(params || {})) {
    if (value !== undefined && value !== null && value !== "") u.searchParams.set(name, value);
  }
  return u;
}

async function failure(response) {
  let detail = `HTTP ${response.status}`;
  try {
    const body = await response.json();
    if (typeof body.detail === "string") detail = body.detail;
    else if (Array.isArray(body.detail)) {
      detail = body.detail.map((e) => `${(e.loc || []).slice(-1)[0]}: ${e.msg}`).join("; ");
    }
  } catch {
    // Not JSON: keep the status line.
  }
  if (response.status === 401) for (const fn of unauthorizedHandlers) fn(detail);
  return new ApiError(response.status, detail);
}

async function send(path, { params, method = "GET", body, signal } = {}) {
  let response;
  try {
    response = await fetch(url(path, params), {
      method,
      signal,
      headers: headers(body ? { "Content-Type": "application/json" } : {}),
      body: body ? JSON.stringify(body) : undefined,
    });
  } catch (err) {
    if (err.name === "AbortError") throw err;
    throw new ApiError(0, String(err.message || err));
  }
  if (!response.ok) throw await failure(response);
  return response;
}

/** GET path?params and parse the JSON answer. */
export async function getJson(path, params, signal) {
  return (await send(path, { params, signal })).json();
}

/** GET path?params and save the answer as a file named by the server (a download that needs
 * the key, which a plain link cannot send). */
export async function download(path, params) {
  const response = await send(path, { params });
  const disposition = response.headers.get("Content-Disposition") || "";
  const name = (disposition.match(/filename="([^"]+)"/) || [])[1] || "download";
  const link = document.createElement("a");
  link.href = URL.createObjectURL(await response.blob());
  link.download = name;
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(link.href), 10_000);
}

/** POST a JSON body and parse the JSON answer. */
export async function postJson(path, body) {
  return (await send(path, { method: "POST", body })).json();
}

/**
 * Read a server-sent-events stream with fetch, so the Authorization header can be sent
 * (EventSource cannot send headers). Calls onEvent(name, data) for each event whose data
 * is JSON and onOpen() once the response has started. Resolves when the stream ends;
 * rejects with ApiError for an HTTP error or a lost connection.
 */
export async function readEvents(path, { params, signal, onOpen, onEvent }) {
  const response = await send(path, { params, signal });
  onOpen?.();
  const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = "";
  for (;;) {
    let chunk;
    try {
      chunk = await reader.read();
    } catch (err) {
      if (err.name === "AbortError") throw err;
      throw new ApiError(0, String(err.message || err));
    }
    if (chunk.done) return;
    buffer += chunk.value;
    let end;
    while ((end = buffer.search(/\r?\n\r?\n/)) >= 0) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end).replace(/^\r?\n\r?\n/, "");
      let name = "message";
      const data = [];
      for (const line of block.split(/\r?\n/)) {
        if (line.startsWith("event:")) name = line.slice(6).trim();
        else if (line.startsWith("data:")) data.push(line.slice(5).replace(/^ /, ""));
      }
      if (data.length) onEvent(name, JSON.parse(data.join("\n")));
    }
  }
}

/**
 * Who the key belongs to and what it may do, from GET /api/v1/auth/whoami:
 * {name, role, zones, districts, permissions}; zones/districts null means every one.
 */
export async function whoami() {
  return getJson("/api/v1/auth/whoami");
}
