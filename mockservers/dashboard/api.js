// The admin API, as the page calls it: JSON in and out, the admin token in a header.
//
// The token lives in sessionStorage (this tab only, gone when it closes) and travels only as
// the X-Admin-Token header: never in a URL, where logs, history and Referer would keep it.

// The page is at <admin>/ui and this module at <admin>/ui/api.js: the admin API's root is two
// levels up from here, whatever prefix a proxy in front of the kit adds.
const ROOT = new URL("..", new URL(".", import.meta.url)).pathname.replace(/\/$/, "");
const TOKEN_KEY = "mockservers.admin-token";

export class AdminError extends Error {
  constructor(status, message) {
    super(message);
    this.status = status;
  }
}

// How long a call waits for the kit's whole answer: 5 s, or what the tab's sessionStorage
// says (a kit far away; a test that runs the page's clock ahead of the network, where the
// wait counts in the page's time). A kit that stops answering without closing the connection
// (paused in a debugger, stopped with SIGSTOP) left a fetch waiting for ever, and the page
// stale and silent.
const WAIT_KEY = "mockservers.wait-ms";
function waitMs() {
  return Number(sessionStorage.getItem(WAIT_KEY)) || 5000;
}

// A call the kit did not answer in time: the message says for how long.
export class Unanswered extends Error {}

// The answer to a call sent before the token was set or forgotten: read with a token that is
// no longer the page's, it is never handed to the page (a round of the poll in flight when
// Forget was pressed showed the calls again once its answers came in). Said nowhere.
export class Stale extends Error {}

// Which token the calls are sent with: one more at every setToken.
let generation = 0;

export function token() {
  return sessionStorage.getItem(TOKEN_KEY) || "";
}

export function setToken(value) {
  if (value) sessionStorage.setItem(TOKEN_KEY, value);
  else sessionStorage.removeItem(TOKEN_KEY);
  generation += 1;
}

// Listeners told when a call was refused for want of the right token (401).
const refusedListeners = [];
export function onTokenRefused(listener) {
  refusedListeners.push(listener);
}

// One admin call. `query` values that are empty are left out; `body` is sent as JSON; `wait` is
// how long it may take (a state upload may take longer than a read).
// Answers the parsed JSON; throws AdminError with the API's own {"error"} text, Unanswered
// when the kit said nothing in time, Stale when the token changed meanwhile.
export async function call(method, path, options) {
  return (await exchange(method, path, options)).data;
}

// A read the kit answers only when it has changed since the one whose ETag is `tag` (a look at
// the state): null when it has not (304, nothing sent), else { data, tag }. Throws as call().
export async function readChanged(path, { query, tag } = {}) {
  const headers = tag ? { "If-None-Match": tag } : {};
  const { response, data } = await exchange("GET", path, { query, headers });
  return response.status === 304 ? null : { data, tag: response.headers.get("ETag") };
}

async function exchange(method, path, { query = {}, body, wait = waitMs(), headers = {} } = {}) {
  const sent = generation;
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) {
    if (value !== undefined && value !== null && value !== "") params.set(key, value);
  }
  const search = params.toString();
  const url = ROOT + path + (search ? "?" + search : "");
  headers = { ...headers, Accept: "application/json" };
  // The page's reads are looks, not use: a session left open in a tab still expires when
  // idle (the poll would renew it every second). What a person does in the page renews it.
  if (method === "GET") headers["X-Mockservers-Watch"] = "1";
  if (token()) headers["X-Admin-Token"] = utf8Bytes(token());
  if (body !== undefined) headers["Content-Type"] = "application/json";
  const signal = AbortSignal.timeout(wait);
  let response, text;
  try {
    response = await fetch(url, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      cache: "no-store",
      credentials: "omit",
      signal,
    });
    text = await response.text(); // the body too: a kit may stop half-way through it
  } catch (error) {
    if (sent !== generation) throw new Stale("sent with a token that went");
    if (!signal.aborted) throw error;
    const how = `${wait / 1000} s (${method} ${path}): is it stopped or paused?`;
    throw new Unanswered(`The kit has not answered for ${how}`);
  }
  if (sent !== generation) throw new Stale("sent with a token that went");
  let data = null;
  try {
    data = text ? parseExact(text) : null;
  } catch {
    data = text;
  }
  if (!response.ok && response.status !== 304) {
    if (response.status === 401) refusedListeners.forEach((listener) => listener());
    const message = data && data.error ? data.error : `${response.status} ${response.statusText}`;
    throw new AdminError(response.status, message);
  }
  return { response, data };
}

// JSON with every whole number as written (exactIntegers): an answer of the kit, a state file
// to upload. The reviver costs every value a parse: only a text with a number of 16 digits or
// more may hold one JSON.parse would round.
export function parseExact(text) {
  return JSON.parse(text, /\d{16}/.test(text) ? exactIntegers : undefined);
}

// A whole number past 2^53 as the kit wrote it (a connector may send one, and the kit may be
// refusing it for being too large): JSON.parse would round it, and the page show another
// value. JSON.rawJSON keeps the digits, and JSON.stringify writes them back unchanged.
function exactIntegers(key, value, context) {
  if (typeof value !== "number" || Number.isSafeInteger(value) || !JSON.rawJSON) return value;
  return context && /^-?\d+$/.test(context.source) ? JSON.rawJSON(context.source) : value;
}

// The scope the page works in: a session's id, or "" for the global scope. Reads then see
// that session only (or the whole kit), writes act on it (admin-api.md, "sessions").
export function scoped(session, body = {}) {
  return session ? { ...body, session } : body;
}

/** A token as the kit reads it: its UTF-8 bytes (a header carries bytes, one per character
 * up to U+00FF, as fetch sends them), so that a token beyond ASCII ("più") is sent whole. */
function utf8Bytes(text) {
  return String.fromCharCode(...new TextEncoder().encode(text));
}
