// The State panel: what a fake holds, per tenant, one table per collection with the vendor's
// own field names; the whole document can be downloaded and uploaded again (the format of
// GET/PUT /__admin/state/{vendor}).

import { call, scoped } from "./api.js";
import { $, blank, cell, el, guarded, pairs, render, say } from "./dom.js";

let ctx;

export function init(context) {
  ctx = context;
  const select = $("#state-vendor");
  for (const vendor of ctx.catalogue)
    select.append(el("option", { value: vendor.name }, vendor.title));
  select.addEventListener("change", () => ctx.refreshSoon());
  $("#state-download").addEventListener("click", guarded(download));
  $("#state-upload").addEventListener("change", guarded(upload));
}

function vendor() {
  return $("#state-vendor").value;
}

export async function refresh() {
  const document = await call("GET", `/state/${vendor()}`, { query: { session: ctx.scope() } });
  $("#state-scope").textContent = ctx.scope() ? `session ${ctx.scope()}` : "global scope";
  render($("#state-tables"), document, tenantsView);
}

// Nothing read left on show (ui.js: the admin token is gone).
export function forget() {
  blank($("#state-tables"));
  $("#state-scope").textContent = "";
}

function tenantsView(document) {
  const tenants = Object.entries(document.tenants || {});
  if (!tenants.length) return el("p", { class: "quiet" }, "No tenant holds anything yet.");
  return tenants.map(([name, tenant]) => {
    const { sequences, ...collections } = tenant;
    return el(
      "div",
      { class: "tenant", "data-tenant": name },
      el("h2", {}, `Tenant ${name}`),
      sequences && Object.keys(sequences).length
        ? el("div", { class: "sequences" }, el("h4", {}, "Sequences"), pairs(sequences))
        : null,
      Object.entries(collections).map(([collection, records]) =>
        collectionView(name, collection, masked(records)),
      ),
    );
  });
}

// The records with every field named like a secret shown as *** at any depth (generated
// passwords, users' passwords, file contents), as the journal shows them; the download keeps
// them, for a state to load again.
function masked(value) {
  if (Array.isArray(value)) return value.map(masked);
  if (!value || typeof value !== "object" || (JSON.isRawJSON && JSON.isRawJSON(value)))
    return value;
  return Object.fromEntries(
    Object.entries(value).map(([name, inner]) => [
      name,
      ctx.secretNames.has(name.toLowerCase()) && inner !== null ? "***" : masked(inner),
    ]),
  );
}

const ROWS = 100;
// Records shown per collection: the newest. Thousands of rows took over a second to draw,
// again at every change, and the page stopped answering; the download has them all.

// One collection as a table: a row per record (the newest ROWS, newest first), a column per
// field any of them has, in the order the records first show them (the vendor's own order).
function collectionView(tenant, name, records) {
  const all = Object.keys(records || {});
  const heading = el("h3", {}, `${name} `, el("span", { class: "quiet" }, `(${all.length})`));
  if (!all.length) return el("div", { class: "collection", "data-collection": name }, heading);
  const keys = all.slice(-ROWS).reverse(); // newest first, as the journal lists its calls
  const fields = [...new Set(keys.flatMap((key) => Object.keys(records[key] || {})))];
  return el(
    "div",
    {
      class: "collection scroll",
      "data-collection": name,
      "data-key": `${tenant}/${name}`,
      role: "region",
      "aria-label": `${name} of tenant ${tenant}`,
    },
    heading,
    all.length > ROWS
      ? el(
          "p",
          { class: "quiet more" },
          `The newest ${ROWS} of ${all.length}: download the state for all of them.`,
        )
      : null,
    el(
      "table",
      {},
      el(
        "thead",
        {},
        el(
          "tr",
          {},
          el("th", {}, "key"),
          fields.map((f) => el("th", {}, f)),
        ),
      ),
      el(
        "tbody",
        {},
        keys.map((key) =>
          el(
            "tr",
            {},
            el("th", {}, key),
            fields.map((f) => el("td", {}, cell(records[key][f]))),
          ),
        ),
      ),
    ),
  );
}

// The document as a file: built in the page (a blob), since the API needs the token header
// that a plain link could not send.
async function download() {
  const document = await call("GET", `/state/${vendor()}`, { query: { session: ctx.scope() } });
  const blob = new Blob([JSON.stringify(document, null, 2) + "\n"], { type: "application/json" });
  const link = el("a", {
    href: URL.createObjectURL(blob),
    download: `${vendor()}-state${ctx.scope() ? "-" + ctx.scope() : ""}.json`,
  });
  link.click();
  setTimeout(() => URL.revokeObjectURL(link.href), 1000);
}

// A document of thousands of records is checked whole before the kit answers.
const UPLOAD_WAIT_MS = 60_000;

async function upload(event) {
  const input = event.target;
  const file = input.files[0];
  input.value = ""; // the same file can be chosen again
  if (!file) return;
  let document;
  try {
    document = JSON.parse(await file.text());
  } catch (error) {
    say(`${file.name} is not JSON: ${error.message}`, "error");
    return;
  }
  const body =
    document && typeof document === "object" && !Array.isArray(document)
      ? scoped(ctx.scope(), document)
      : document;
  try {
    await call("PUT", `/state/${vendor()}`, { body, wait: UPLOAD_WAIT_MS });
    say(`Loaded ${file.name} into ${vendor()}.`);
  } catch (error) {
    say(`The kit refused ${file.name}: ${error.message}`, "error");
  }
  await refresh();
}
