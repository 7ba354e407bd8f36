// Small DOM helpers. Every value from the kit goes in as text (textContent), never as HTML:
// journal entries hold whatever a connector sent, including markup.

import { Stale } from "./api.js";

export const $ = (selector, root = document) => root.querySelector(selector);
export const $$ = (selector, root = document) => [...root.querySelectorAll(selector)];

// el("td", {class: "x", title: "y"}, "text", childNode, ...): an element with attributes and
// children; strings become text nodes, null/undefined/false children are skipped.
export function el(tag, attributes = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === undefined || value === null || value === false) continue;
    if (name.startsWith("on")) node.addEventListener(name.slice(2), value);
    else node.setAttribute(name, value === true ? "" : value);
  }
  for (const child of children.flat()) {
    if (child === undefined || child === null || child === false) continue;
    node.append(child instanceof Node ? child : String(child));
  }
  return node;
}

// Marks the current one of a list (the open entry's row, the session in use) for the eye and
// for screen readers alike: aria-current, which the stylesheet shows.
export function markCurrent(rows, isCurrent) {
  for (const row of rows) {
    if (isCurrent(row)) row.setAttribute("aria-current", "true");
    else row.removeAttribute("aria-current");
  }
}

// How long a string in a body an open entry lays out whole may be, in characters; a longer
// one shows its first LONG_CHARS and "…". Laid out whole, one long unbroken value stalled
// the page's thread for seconds (a contact form's 1,000,000-character name: 1.2 s;
// 3,000,000: 4.5 s), in the curl line, in the body, and again in the answer that echoed
// it. Ordinary bodies stay whole.
export const LONG_CHARS = 10_000;

// How long a curl line an open entry lays out whole: one line lays out in tens of
// milliseconds at this length, so an ordinary import's line (a QuoParts 100-row import is
// 22,000 characters) stays whole and copyable by eye.
export const LONG_LINE = 100_000;

// A body as the journal shows it, in a <pre>: JSON as indented text (a JSON string in its
// quotes, null as null: `format` "json"), text that is not JSON (a form, a broken body) as it
// is ("text": the journal shows its first 64 KiB), "(no body)" when there is none (null). A
// string in JSON past LONG_CHARS is cut, and a note under it says so and `source` (where it
// is whole: "GET /__admin/requests/{id}").
export function pretty(value, format, source) {
  if (format === null || format === undefined) return el("pre", { class: "empty" }, "(no body)");
  if (format === "text") return el("pre", { class: "json" }, value);
  const cuts = [];
  const text = cutStrings(JSON.stringify(value, null, 2), cuts);
  return [el("pre", { class: "json" }, text), cutStringsNote(cuts, source)];
}

// `json` (JSON text) with each string of more than LONG_CHARS characters cut (clip), the
// length of each pushed on `cuts`. A string is found by its quotes: in JSON text a quote not
// escaped (\") starts or ends one.
function cutStrings(json, cuts) {
  if (json.length <= LONG_CHARS) return json;
  const parts = [];
  let from = 0;
  for (let start = json.indexOf('"'); start >= 0; ) {
    const end = closingQuote(json, start);
    if (end < 0) break; // none: not JSON.stringify's text
    // Escapes only lengthen a string's text: a short text is a short string.
    if (end - start - 1 > LONG_CHARS) {
      const value = JSON.parse(json.slice(start, end + 1));
      const size = charactersPast(value, LONG_CHARS);
      if (size) {
        cuts.push(size);
        parts.push(json.slice(from, start), JSON.stringify(clip(value, LONG_CHARS)));
        from = end + 1;
      }
    }
    start = json.indexOf('"', end + 1);
  }
  parts.push(json.slice(from));
  return parts.join("");
}

function closingQuote(json, start) {
  let end = start;
  do end = json.indexOf('"', end + 1);
  while (escaped(json, end));
  return end;
}

// Whether the character at `at` follows an odd number of backslashes.
function escaped(text, at) {
  let before = at;
  while (text[before - 1] === "\\") before -= 1;
  return (at - before) % 2 === 1;
}

function cutStringsNote(cuts, source) {
  if (!cuts.length) return null;
  const first = `first ${LONG_CHARS.toLocaleString("en-US")} and "…"`;
  const count = (size) => size.toLocaleString("en-US");
  if (cuts.length === 1)
    return longNote(`a string of ${count(cuts[0])} characters shows its ${first}`, source);
  const longest = count(cuts.reduce((a, b) => Math.max(a, b)));
  const what = `${cuts.length} strings, of up to ${longest} characters, show their ${first}`;
  return longNote(what, source);
}

// The note under what an entry shows cut short past LONG_CHARS: `what`, and where it is whole.
export function longNote(what, source) {
  return el("p", { class: "quiet cut" }, `Cut short: ${what}; ${source} has it whole.`);
}

// `text` cut to its first `limit` characters (code points: an emoji is one, kept whole),
// marked "…".
export function clip(text, limit) {
  let end = 0;
  for (let count = 0; count < limit && end < text.length; count += 1)
    end += pairAt(text, end) ? 2 : 1;
  return text.slice(0, end) + "…";
}

// Whether a surrogate pair (one character outside the BMP: an emoji) starts at `at`.
function pairAt(text, at) {
  const high = text.charCodeAt(at);
  const low = text.charCodeAt(at + 1);
  return high >= 0xd800 && high <= 0xdbff && low >= 0xdc00 && low <= 0xdfff;
}

// How much of a value a table cell shows, in characters. A long unbroken value cost the
// browser's layout of its table time growing with the square of its length (20,000 characters
// in a State table: 15 s; a 1 MB name froze the tab for minutes).
const CELL_CHARS = 300;

// A compact one-line form of a value for a table cell (objects and arrays as JSON). Past
// CELL_CHARS it is cut, marked "…", and its title gives its length and `whole`: where it can
// be read whole ("the download has it whole").
export function cell(value, whole) {
  const text = oneLine(value);
  const size = charactersPast(text, CELL_CHARS);
  if (!size) return text;
  const title = `${size.toLocaleString("en-US")} characters; ${whole}`;
  return el("span", { class: "clipped", title }, clip(text, CELL_CHARS));
}

function oneLine(value) {
  if (value === null || value === undefined) return "";
  return typeof value === "object" ? JSON.stringify(value) : String(value);
}

// A text's characters (code points: a surrogate pair is one), as the kit counts them.
function characters(text) {
  return text.length - (text.match(/[\uD800-\uDBFF][\uDC00-\uDFFF]/g)?.length ?? 0);
}

// How many characters `text` has when they are more than `limit`, else 0. Each limit, its cut
// (clip) and the note that says how long the whole is count characters alike; its UTF-16
// length bounds them from above, so an ordinary text is never counted.
export function charactersPast(text, limit) {
  if (text.length <= limit) return 0;
  const size = characters(text);
  return size > limit ? size : 0;
}

// A two-column table of a flat object (response headers, sequences), or of [name, value]
// pairs, a name maybe repeated (a request's header lines, query parameters); each a cell(),
// `whole` saying where a long one is whole.
export function pairs(object, whole, empty = "none") {
  const rows = Array.isArray(object) ? object : Object.entries(object || {});
  if (!rows.length) return el("p", { class: "quiet" }, empty);
  return el(
    "table",
    { class: "pairs" },
    el(
      "tbody",
      {},
      rows.map(([name, value]) =>
        el("tr", {}, el("th", {}, cell(name, whole)), el("td", {}, cell(value, whole))),
      ),
    ),
  );
}

// Replace a node's children; skipped when the data it shows has not changed, so that a poll
// every second neither flickers nor drops a person's text selection. A box of it that scrolls
// (`data-key`, the same in the new children) keeps its place: how far it was scrolled, and the
// keyboard's focus when it had it (else the focus fell to the page's body, and a person reading
// a wide table sideways was sent back to its start at every change).
const shown = new WeakMap();
export function render(node, data, build) {
  const signature = JSON.stringify(data);
  if (shown.get(node) === signature) return;
  shown.set(node, signature);
  const places = $$("[data-key]", node).map((box) => ({
    key: box.dataset.key,
    left: box.scrollLeft,
    top: box.scrollTop,
    focused: box.contains(document.activeElement),
  }));
  node.replaceChildren(...[build(data)].flat());
  for (const place of places) {
    const box = $(`[data-key="${CSS.escape(place.key)}"]`, node);
    if (!box) continue;
    box.scrollLeft = place.left;
    box.scrollTop = place.top;
    if (place.focused && !node.contains(document.activeElement)) box.focus({ preventScroll: true });
  }
}

// Empty a node that render() fills (or put `children` in it): its next render builds afresh.
export function blank(node, ...children) {
  shown.delete(node);
  node.replaceChildren(...children);
}

// "2026-11-30T11:24:28.247850Z" -> "11:24:28.247" (the date is in the title).
export function timeOfDay(iso) {
  const match = /T(\d\d:\d\d:\d\d(?:\.\d{1,3})?)/.exec(iso || "");
  return match ? match[1] : iso || "";
}

// How long a message is news. A notice then goes; an error stays (it may say why the page
// changed by itself, as when a session expired), marked as earlier.
const CURRENT_MS = 8000;
let ageing = null;

// Show a short message in the status line, in place of the last one. It belongs to the action
// that said it: the next action starts by clearing it (guarded), whether it says anything or not.
// The same message said again (each round of a poll that keeps failing) is left as it is: a
// screen reader is not told it again, and it ages as one.
export function say(text, kind = "info") {
  const box = $("#message");
  if (text && box.dataset.said === `${kind} ${text}`) return;
  box.dataset.said = text ? `${kind} ${text}` : "";
  clearTimeout(ageing);
  box.replaceChildren(text);
  box.className = kind;
  box.hidden = !text;
  if (text) ageing = setTimeout(() => age(box), CURRENT_MS);
}

function age(box) {
  if (!box.classList.contains("error")) {
    box.hidden = true;
    return;
  }
  box.classList.add("earlier");
  box.prepend(el("strong", {}, "Earlier: "));
}

// An event handler that shows a refusal in the status line instead of losing it in the console
// (an answer read with a token that went is neither shown nor said: api.js, Stale).
export function guarded(action) {
  return (...args) =>
    Promise.resolve()
      .then(() => {
        say("");
        return action(...args);
      })
      .catch((error) => {
        if (!(error instanceof Stale)) say(error.message, "error");
      });
}

// Copy text to the clipboard; where the browser refuses (no secure context), select it in
// `fallbackNode` so that Ctrl-C works, unless the node shows only its start: then say
// `whereWhole` (where the text is whole) instead.
export async function copy(text, fallbackNode, whereWhole) {
  try {
    await navigator.clipboard.writeText(text);
    say("Copied.");
  } catch {
    if (fallbackNode.textContent !== text) {
      const why = "The browser lets the page copy nothing here, and it shows only the start of";
      say(`${why} ${whereWhole}.`, "error");
      return;
    }
    const range = document.createRange();
    range.selectNodeContents(fallbackNode);
    getSelection().removeAllRanges();
    getSelection().addRange(range);
    say("Selected: press Ctrl-C to copy.");
  }
}
