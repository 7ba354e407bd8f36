// The Journal panel: the calls the fakes answered, newest first, refreshed by the page's poll,
// filtered; a click opens one (entry.js).

import { AdminError, call } from "./api.js";
import { answerCodes, isRefusal } from "./codes.js";
import { $, $$, blank, el, guarded, markCurrent, render, say, timeOfDay } from "./dom.js";
import { entryView } from "./entry.js";
import { anyMatches, kitOperation, statusMatches, terms } from "./filters.js";

const LIMIT = 200; // rows a person can scan; the filters narrow the rest

let ctx;
let selected = null; // the id of the open entry
// One more at every open asked for and every close (a scope change closes): an entry read
// is shown only if nothing of the kind happened meanwhile (a slow entry, answered after the
// person clicked another, replaced the one chosen).
let opening = 0;

export function init(context) {
  ctx = context;
  const vendors = $("#f-vendor");
  for (const vendor of ctx.catalogue)
    vendors.append(el("option", { value: vendor.name }, vendor.title));
  vendors.addEventListener("change", () => {
    fillOperations();
    ctx.refreshSoon();
  });
  fillOperations();
  for (const id of ["#f-operation", "#f-status", "#f-code"]) {
    $(id).addEventListener("input", () => ctx.refreshSoon());
  }
  $("#live").addEventListener("change", () => ctx.refreshSoon());
  $("#journal-clear").addEventListener("click", guarded(clear));
  $("#entries tbody").addEventListener("click", (event) => {
    const row = event.target.closest("tr[data-id]");
    if (row) guarded(open)(row.dataset.id);
  });
  // Rows take the focus (tabindex), and Enter or Space opens one, as a click does; the focus
  // then goes to the entry (its close button), and Escape brings it back to the row.
  $("#entries tbody").addEventListener("keydown", (event) => {
    const row = event.target.closest("tr[data-id]");
    if (!row || (event.key !== "Enter" && event.key !== " ")) return;
    event.preventDefault();
    guarded(open)(row.dataset.id, { focus: true });
  });
  $("#entry").addEventListener("keydown", (event) => {
    if (event.key === "Escape") closeToRow();
  });
}

// Close the open entry, the keyboard back on its row (Escape, and the entry's × button).
function closeToRow() {
  const id = selected;
  close();
  focusRow(id);
}

// `options` as focus() takes them: { preventScroll: true } leaves the page where it is.
function focusRow(id, options) {
  const row = id && $$("#entries tbody tr[data-id]").find((tr) => tr.dataset.id === id);
  if (row) row.focus(options);
}

// The open entry's row marked, without asking the kit anything (with "live" off the list
// stays as it is).
function markSelected() {
  markCurrent($$("#entries tbody tr[data-id]"), (tr) => tr.dataset.id === selected);
}

// The operations of the chosen vendor, or of every vendor: the suggestions, and the names the
// operation filter is spelt as.
function operations() {
  const vendor = $("#f-vendor").value;
  const names = ctx.catalogue
    .filter((v) => !vendor || v.name === vendor)
    .flatMap((v) => v.operations);
  return [...new Set([...names, "unknown"])];
}

function fillOperations() {
  $("#operations").replaceChildren(...operations().map((name) => el("option", { value: name })));
}

// Called by the page's poll while this panel shows; `forced` after a filter or scope change.
export async function refresh(forced = false) {
  if (!$("#live").checked && !forced) return;
  const wanted = terms($("#f-operation").value);
  // Without their bodies (with the answer's codes instead): a poll every second of large
  // bodies was megabytes, parsed on the page's thread. An opened entry is read whole.
  const query = {
    limit: LIMIT,
    bodies: "false",
    vendor: $("#f-vendor").value,
    operation: kitOperation(wanted, operations()),
    session: ctx.scope(),
  };
  const entries = await call("GET", "/requests", { query });
  if (selected && !entries.some((entry) => entry.id === selected)) {
    // Not among the calls read: gone for sure when they are every call of the scope (the
    // journal was cleared or reset, here, in another tab or through the API); else asked.
    if (!query.vendor && !query.operation && entries.length < LIMIT) close();
    else await closeIfGone();
  }
  const status = terms($("#f-status").value);
  const codes = terms($("#f-code").value);
  const shown = entries.filter(
    (entry) =>
      anyMatches(wanted, [entry.operation]) &&
      statusMatches(status, entry.status) &&
      anyMatches(codes, answerCodes(entry)),
  );
  // Only what a row shows goes into the signature: an unchanged list is not rebuilt. A rebuilt
  // one keeps the keyboard's place: the focused row is focused again, without scrolling to it
  // (on a narrow screen the open entry is below the list, and the person reading it stays
  // there).
  const rows = shown.map((e) => [e.id, e.status, e.session, selected === e.id]);
  const focused = document.activeElement?.closest?.("#entries tbody tr[data-id]")?.dataset.id;
  // Below the list (a narrow screen), the open entry in sight would move down by every new
  // row, out of sight: the page scrolls with it, and it stays where the person reads it.
  const top = entryInSight()?.top;
  render($("#entries tbody"), rows, () => shown.map(row));
  const moved = top === undefined ? 0 : $("#entry").getBoundingClientRect().top - top;
  if (moved) scrollBy(0, moved);
  if (focused && document.activeElement === document.body)
    focusRow(focused, { preventScroll: true });
  $("#entries").classList.toggle(
    "has-checks",
    shown.some((e) => e.verdict || e.shadow),
  );
  // The vendor and operation filters are the kit's: no entry with them set is no match, not
  // an empty journal.
  const narrowed = Boolean($("#f-vendor").value || wanted.length);
  $("#journal-empty").hidden = entries.length > 0 || narrowed;
  $("#journal-nomatch").hidden = shown.length > 0 || (entries.length === 0 && !narrowed);
  // Status, code and several operations are matched here, in the newest calls read: say so
  // when they are the limit.
  const filtered = shown.length !== entries.length;
  $("#journal-count").textContent =
    entries.length >= LIMIT
      ? filtered
        ? `${shown.length} matching among the ${LIMIT} newest calls`
        : `the ${LIMIT} newest calls`
      : `${shown.length} of ${entries.length} call${entries.length === 1 ? "" : "s"}`;
}

// Where the open entry is, when some of it is on the screen.
function entryInSight() {
  if ($("#entry").hidden) return null;
  const box = $("#entry").getBoundingClientRect();
  return box.top < innerHeight && box.bottom > 0 ? box : null;
}

function row(entry) {
  const codes = answerCodes(entry);
  return el(
    "tr",
    {
      "data-id": entry.id,
      tabindex: "0",
      class: entry.status >= 400 ? "bad" : "ok",
      "aria-current": entry.id === selected ? "true" : null,
      title: [`${entry.method} ${entry.path}`, entry.detail].filter(Boolean).join(": "),
    },
    el("td", { class: "time", title: entry.time }, timeOfDay(entry.time)),
    el("td", {}, entry.vendor),
    el("td", {}, entry.operation),
    // The vendor is in its own column: the path shows what follows its prefix.
    el(
      "td",
      { class: "call" },
      `${entry.method} ${entry.path.replace(`/${entry.vendor}`, "") || "/"}`,
    ),
    el("td", { class: "status" }, entry.status),
    el(
      "td",
      { class: codes.some((c) => isRefusal(entry.vendor, c)) ? "codes bad" : "codes" },
      codes.join(" "),
    ),
    el("td", {}, entry.session || ""),
    el("td", { class: "number" }, entry.duration_ms),
    checks(entry),
  );
}

// What a validating proxy journals beside a call (mockservers proxy): the contracts' verdict
// and the shadow fake's differences. The kit's own entries carry neither: an empty cell.
function checks(entry) {
  const marks = [];
  if (entry.verdict) {
    const count = entry.verdict.request.length + entry.verdict.response.length;
    marks.push(count ? `✗ ${count} contract` : "✓ contract");
  }
  if (Array.isArray(entry.shadow) && entry.shadow.length)
    marks.push(`≠ ${entry.shadow.length} shadow`);
  const bad = marks.some((mark) => !mark.startsWith("✓"));
  return el("td", { class: bad ? "checks bad" : "checks" }, marks.join(" "));
}

async function clear() {
  await call("DELETE", "/requests", { query: { session: ctx.scope() } });
  // Every vendor's calls of the scope, whatever the filters show: said as it is.
  say(
    ctx.scope()
      ? `Cleared the journal of session ${ctx.scope()} (every vendor).`
      : "Cleared the global journal (every vendor; the sessions' journals stay).",
  );
  close();
  await refresh(true);
}

// Nothing read left on show (ui.js: the admin token is gone).
export function forget() {
  close();
  $("#entry").replaceChildren();
  blank($("#entries tbody"));
  $("#journal-count").textContent = "";
  $("#journal-empty").hidden = $("#journal-nomatch").hidden = true;
}

// The open entry closed when the kit no longer holds it (after a reset, say). Asked without
// its bodies: the entry never changes once journalled, and the page has it whole since it
// opened (an entry the filters leave out of the list is asked for at every round).
export async function closeIfGone() {
  const id = selected;
  if (!id) return;
  try {
    const query = { session: ctx.scope(), bodies: "false" };
    await call("GET", `/requests/${encodeURIComponent(id)}`, { query });
  } catch (error) {
    if (!(error instanceof AdminError && error.status === 404)) throw error;
    if (selected === id) close(); // not another one opened meanwhile
  }
}

export function close() {
  opening += 1;
  selected = null;
  $("#entry").hidden = true;
  markSelected();
}

// Open one entry: GET /__admin/requests/{id} adds the verdict and the curl line. The entry
// is the selected one only once it is read (one that is gone leaves the open one as it was).
async function open(id, { focus = false } = {}) {
  const asked = ++opening;
  const entry = await call("GET", `/requests/${encodeURIComponent(id)}`);
  if (asked !== opening) return; // another one asked for, or closed, since
  selected = id;
  const view = $("#entry");
  view.replaceChildren(...entryView(entry, closeToRow).filter(Boolean));
  view.hidden = false;
  markSelected();
  // Where the list leaves no room beside it (a narrow window, a phone), the entry is below the
  // list, maybe out of sight.
  view.scrollIntoView({ block: "nearest" });
  if (focus) $("button", view)?.focus({ preventScroll: true });
}
