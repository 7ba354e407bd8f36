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

// A body as the journal shows it, in a <pre>: JSON as indented text (a JSON string in its
// quotes, null as null: `format` "json"), text that is not JSON (a form, a broken body) as it
// is ("text"), "(no body)" when there is none (null).
export function pretty(value, format) {
  if (format === null || format === undefined) return el("pre", { class: "empty" }, "(no body)");
  const text = format === "text" ? value : JSON.stringify(value, null, 2);
  return el("pre", { class: "json" }, text);
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
  if (text.length <= CELL_CHARS) return text;
  // A surrogate pair (an emoji) is cut before it, not in half.
  const end = /[\uD800-\uDBFF]/.test(text[CELL_CHARS - 1]) ? CELL_CHARS - 1 : CELL_CHARS;
  const title = `${characters(text).toLocaleString("en-US")} characters; ${whole}`;
  return el("span", { class: "clipped", title }, text.slice(0, end), "…");
}

function oneLine(value) {
  if (value === null || value === undefined) return "";
  return typeof value === "object" ? JSON.stringify(value) : String(value);
}

// A text's characters (code points: a surrogate pair is one), as the kit counts them.
function characters(text) {
  return text.length - (text.match(/[\uD800-\uDBFF][\uDC00-\uDFFF]/g)?.length ?? 0);
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

// Copy text to the clipboard; where the browser refuses (no secure context), select it
// so that Ctrl-C works.
export async function copy(text, fallbackNode) {
  try {
    await navigator.clipboard.writeText(text);
    say("Copied.");
  } catch {
    const range = document.createRange();
    range.selectNodeContents(fallbackNode);
    getSelection().removeAllRanges();
    getSelection().addRange(range);
    say("Selected: press Ctrl-C to copy.");
  }
}
