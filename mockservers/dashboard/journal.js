// The Journal panel: the calls the fakes answered, newest first, refreshed by the page's poll;
// one opens to its request and answer side by side, the kit's diagnosis, the contracts' verdict
// and a curl line.

import { call } from "./api.js";
import { answerCodes, isRefusal, statusMatches } from "./codes.js";
import { $, cell, copy, el, guarded, pairs, pretty, render, say, timeOfDay } from "./dom.js";

const LIMIT = 200; // rows a person can scan; the filters narrow the rest

let ctx;
let selected = null; // the id of the open entry

export function init(context) {
  ctx = context;
  const vendors = $("#f-vendor");
  for (const vendor of ctx.catalogue) vendors.append(el("option", { value: vendor.name }, vendor.title));
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
}

// The operation suggestions: the chosen vendor's, or every vendor's.
function fillOperations() {
  const vendor = $("#f-vendor").value;
  const names = ctx.catalogue
    .filter((v) => !vendor || v.name === vendor)
    .flatMap((v) => v.operations);
  $("#operations").replaceChildren(...[...new Set(names)].map((name) => el("option", { value: name })));
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
  $("#entries").classList.toggle("has-checks", shown.some((e) => e.verdict || e.shadow));
  $("#journal-empty").hidden = shown.length > 0;
  $("#journal-count").textContent =
    entries.length >= LIMIT ? `the ${LIMIT} newest calls` : `${shown.length} of ${entries.length} calls`;
}

function row(entry) {
  const codes = answerCodes(entry);
  return el(
    "tr",
    {
      "data-id": entry.id,
      class: [entry.status >= 400 ? "bad" : "ok", entry.id === selected ? "selected" : ""].join(" "),
      title: [`${entry.method} ${entry.path}`, entry.detail].filter(Boolean).join(": "),
    },
    el("td", { class: "time", title: entry.time }, timeOfDay(entry.time)),
    el("td", {}, entry.vendor),
    el("td", {}, entry.operation),
    // The vendor is in its own column: the path shows what follows its prefix.
    el("td", { class: "call" }, `${entry.method} ${entry.path.replace(`/${entry.vendor}`, "") || "/"}`),
    el("td", { class: "status" }, entry.status),
    el("td", { class: codes.some((c) => isRefusal(entry.vendor, c)) ? "codes bad" : "codes" }, codes.join(" ")),
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
  if (Array.isArray(entry.shadow) && entry.shadow.length) marks.push(`≠ ${entry.shadow.length} shadow`);
  const bad = marks.some((mark) => !mark.startsWith("✓"));
  return el("td", { class: bad ? "checks bad" : "checks" }, marks.join(" "));
}

async function clear() {
  await call("DELETE", "/requests", { query: { session: ctx.scope() } });
  say(ctx.scope() ? `Cleared the journal of session ${ctx.scope()}.` : "Cleared the global journal.");
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
  view.replaceChildren(...entryView(entry).filter(Boolean));
  view.hidden = false;
  $(".journal-split").classList.add("open");
  ctx.refreshSoon();
}

function entryView(entry) {
  const url = entry.path + query(entry.query);
  return [
    el(
      "header",
      {},
      el("h2", {}, `${entry.vendor} · ${entry.operation}`),
      el("button", { type: "button", onclick: close, title: "Close" }, "×"),
    ),
    el(
      "p",
      { class: "quiet" },
      [
        entry.time,
        entry.tenant && `tenant ${entry.tenant}`,
        entry.session ? `session ${entry.session}` : "global scope",
        `${entry.duration_ms} ms`,
        entry.source && entry.source !== "fake" && `answered by ${entry.source}`,
      ]
        .filter(Boolean)
        .join(" · "),
    ),
    entry.detail &&
      el(
        "div",
        { id: "entry-detail", class: "detail" },
        el("strong", {}, "X-Mockservers-Detail: "),
        entry.detail,
      ),
    verdictView(entry.verdict),
    el(
      "div",
      { class: "curl" },
      el("pre", { id: "entry-curl" }, entry.curl),
      el("button", { type: "button", onclick: (e) => copy(entry.curl, e.target.previousSibling) }, "Copy"),
    ),
    el(
      "div",
      { class: "side-by-side" },
      el(
        "div",
        { id: "entry-request" },
        el("h3", {}, "Request"),
        el("p", {}, el("code", {}, `${entry.method} ${url}`)),
        el("h4", {}, "Query"),
        pairs(entry.query),
        el("h4", {}, "Headers"),
        pairs(entry.headers),
        el("h4", {}, "Body"),
        pretty(entry.request),
      ),
      el(
        "div",
        { id: "entry-answer" },
        el("h3", {}, "Answer"),
        el("p", {}, el("code", { class: entry.status >= 400 ? "bad" : "ok" }, `HTTP ${entry.status}`)),
        el("h4", {}, "Headers"),
        pairs(entry.response_headers),
        el("h4", {}, "Body"),
        pretty(entry.response),
      ),
    ),
    behavioursView(entry.behaviours),
    shadowView(entry.shadow),
  ];
}

function query(params) {
  const search = new URLSearchParams(params || {}).toString();
  return search ? `?${search}` : "";
}

// The contracts' verdict: null for a call that is no operation (nothing to check it against).
function verdictView(verdict) {
  if (!verdict) {
    return el("div", { id: "entry-verdict", class: "verdict none" }, "Contract verdict: no contract (not an operation of the vendor)");
  }
  const problems = [
    ...verdict.request.map((text) => `request: ${text}`),
    ...verdict.response.map((text) => `answer: ${text}`),
  ];
  if (!problems.length) {
    return el("div", { id: "entry-verdict", class: "verdict ok" }, "Contract verdict: request and answer meet their contracts");
  }
  return el(
    "div",
    { id: "entry-verdict", class: "verdict bad" },
    `Contract verdict: ${problems.length} violation${problems.length > 1 ? "s" : ""}`,
    el("ul", {}, problems.map((text) => el("li", {}, text))),
  );
}

// The documented situations this call met (coverage).
function behavioursView(behaviours) {
  if (!behaviours || !behaviours.length) return null;
  return el("p", { class: "behaviours" }, "Situations met: ", behaviours.map((b) => el("code", {}, b)));
}

// Where a shadow fake answered otherwise than the real vendor (mockservers proxy --shadow).
function shadowView(differences) {
  if (!Array.isArray(differences)) return null;
  if (!differences.length) return el("p", { class: "verdict ok" }, "Shadow: the fake answered alike");
  return el(
    "div",
    {},
    el("h3", {}, "Shadow differences"),
    el(
      "table",
      {},
      el("thead", {}, el("tr", {}, el("th", {}, "field"), el("th", {}, "upstream"), el("th", {}, "fake"))),
      el(
        "tbody",
        {},
        differences.map((d) => el("tr", {}, el("td", {}, d.field), el("td", {}, cell(d.upstream)), el("td", {}, cell(d.fake)))),
      ),
    ),
  );
}
