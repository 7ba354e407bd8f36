// The Journal panel: the calls the fakes answered, newest first, refreshed by the page's poll,
// filtered; a click opens one (entry.js).

import { call } from "./api.js";
import { answerCodes, isRefusal, statusMatches } from "./codes.js";
import { $, el, guarded, render, say, timeOfDay } from "./dom.js";
import { entryView } from "./entry.js";

const LIMIT = 200; // rows a person can scan; the filters narrow the rest

let ctx;
let selected = null; // the id of the open entry

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
  // Rows take the focus (tabindex), and Enter or Space opens one, as a click does.
  $("#entries tbody").addEventListener("keydown", (event) => {
    const row = event.target.closest("tr[data-id]");
    if (!row || (event.key !== "Enter" && event.key !== " ")) return;
    event.preventDefault();
    guarded(open)(row.dataset.id);
  });
}

// The operation suggestions: the chosen vendor's, or every vendor's.
function fillOperations() {
  const vendor = $("#f-vendor").value;
  const names = ctx.catalogue
    .filter((v) => !vendor || v.name === vendor)
    .flatMap((v) => v.operations);
  $("#operations").replaceChildren(
    ...[...new Set(names)].map((name) => el("option", { value: name })),
  );
}

// Called by the page's poll while this panel shows; `forced` after a filter or scope change.
export async function refresh(forced = false) {
  if (!$("#live").checked && !forced) return;
  const entries = await call("GET", "/requests", {
    query: {
      limit: LIMIT,
      vendor: $("#f-vendor").value,
      operation: $("#f-operation").value.trim(),
      session: ctx.scope(),
    },
  });
  const status = $("#f-status").value;
  const code = $("#f-code").value.trim();
  const shown = entries.filter(
    (entry) => statusMatches(status, entry.status) && (!code || answerCodes(entry).includes(code)),
  );
  // Only what a row shows goes into the signature: an unchanged list is not rebuilt.
  const rows = shown.map((e) => [e.id, e.status, e.session, selected === e.id]);
  render($("#entries tbody"), rows, () => shown.map(row));
  $("#entries").classList.toggle(
    "has-checks",
    shown.some((e) => e.verdict || e.shadow),
  );
  $("#journal-empty").hidden = entries.length > 0;
  $("#journal-nomatch").hidden = entries.length === 0 || shown.length > 0;
  // Status and code are matched here, in the newest calls read: say so when they are the limit.
  const filtered = shown.length !== entries.length;
  $("#journal-count").textContent =
    entries.length >= LIMIT
      ? filtered
        ? `${shown.length} matching among the ${LIMIT} newest calls`
        : `the ${LIMIT} newest calls`
      : `${shown.length} of ${entries.length} calls`;
}

function row(entry) {
  const codes = answerCodes(entry);
  return el(
    "tr",
    {
      "data-id": entry.id,
      tabindex: "0",
      class: [entry.status >= 400 ? "bad" : "ok", entry.id === selected ? "selected" : ""].join(
        " ",
      ),
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
  say(
    ctx.scope() ? `Cleared the journal of session ${ctx.scope()}.` : "Cleared the global journal.",
  );
  close();
  await refresh(true);
}

function close() {
  selected = null;
  $("#entry").hidden = true;
  $(".journal-split").classList.remove("open");
  ctx.refreshSoon();
}

// Open one entry: GET /__admin/requests/{id} adds the verdict and the curl line.
async function open(id) {
  selected = id;
  const entry = await call("GET", `/requests/${encodeURIComponent(id)}`);
  const view = $("#entry");
  view.replaceChildren(...entryView(entry, close).filter(Boolean));
  view.hidden = false;
  $(".journal-split").classList.add("open");
  ctx.refreshSoon();
}
