// The State panel: what a fake holds, per tenant, one table per collection with the vendor's
// own field names; the whole document can be downloaded and uploaded again (the format of
// GET/PUT /__admin/state/{vendor}).

import { AdminError, Stale, Unanswered, call, parseExact, readChanged, scoped } from "./api.js";
import { $, blank, cell, el, guarded, pairs, render, say } from "./dom.js";
import { isForwarded, mark } from "./forwarded.js";

// Records shown per collection: the newest. Thousands of rows took over a second to draw,
// again at every change, and the page stopped answering; the download has them all.
const ROWS = 100;
// Where a value a table cuts short (dom.js, cell) is whole.
const WHOLE = "the download has it whole";

let ctx;
// The look on show (GET /state/{vendor}?newest=ROWS): which one (vendor and scope) and its
// ETag. The next round asks for that one again only if it changed: the kit sends nothing when
// it has not (the whole state each second was megabytes, read and parsed on both sides).
let shown = { read: "", tag: null };
// Whether the list has been set to open on a vendor the kit fakes (see `opening`).
let opened = false;

export function init(context) {
  ctx = context;
  const select = $("#state-vendor");
  for (const vendor of ctx.catalogue)
    select.append(el("option", { value: vendor.name }, vendor.title));
  select.addEventListener("change", () => {
    opened = true; // chosen by hand: kept
    ctx.refreshSoon();
  });
  $("#state-download").addEventListener("click", guarded(download));
  $("#state-upload").addEventListener("change", guarded(upload));
}

function vendor() {
  return $("#state-vendor").value;
}

// Behind mockservers proxy, the panel opens on the first vendor the kit fakes, not on one it
// forwards (whose idle fake holds nothing here); once, in the panel's first round, which knows
// which are forwarded (ui.js): a vendor chosen by hand, forwarded or not, stays chosen.
function opening() {
  opened = true;
  if (!isForwarded(vendor())) return;
  const faked = ctx.catalogue.find((v) => !isForwarded(v.name));
  if (faked) $("#state-vendor").value = faked.name;
}

export async function refresh() {
  if (!opened) opening();
  const read = `${vendor()} ${ctx.scope()}`;
  const look = await readChanged(`/state/${vendor()}`, {
    query: { session: ctx.scope(), newest: ROWS },
    tag: shown.read === read ? shown.tag : null,
  });
  $("#state-scope").textContent = ctx.scope() ? `session ${ctx.scope()}` : "global scope";
  mark($("#state-vendor"), ctx.catalogue);
  $("#state-forwarded").hidden = !isForwarded(vendor());
  if (!look) return; // as it is on show
  shown = { read, tag: look.tag };
  render($("#state-tables"), look.data, tenantsView);
}

// Nothing read left on show (ui.js: the admin token is gone).
export function forget() {
  shown = { read: "", tag: null };
  blank($("#state-tables"));
  $("#state-scope").textContent = "";
}

// The look's tenants: each one's sequences, and each collection with its count and its
// newest records (the kit masks their secrets, as in the journal).
function tenantsView(look) {
  const tenants = Object.entries(look.tenants || {});
  if (!tenants.length) return el("p", { class: "quiet" }, "No tenant holds anything yet.");
  return tenants.map(([name, tenant]) => {
    const { sequences, ...collections } = tenant;
    return el(
      "div",
      { class: "tenant", "data-tenant": name },
      el("h2", {}, `Tenant ${name}`),
      sequences && Object.keys(sequences).length
        ? el("div", { class: "sequences" }, el("h4", {}, "Sequences"), pairs(sequences, WHOLE))
        : null,
      Object.entries(collections).map(([collection, { count, newest }]) =>
        collectionView(name, collection, count, newest),
      ),
    );
  });
}

// One collection as a table: a row per record shown ([key, record] pairs, newest first, as
// the journal lists its calls: a list, since an object's keys that look like numbers come
// first), a column per field any of them has, in the order the records first show them (the
// vendor's own order).
function collectionView(tenant, name, count, newest) {
  const heading = el("h3", {}, `${name} `, el("span", { class: "quiet" }, `(${count})`));
  if (!count) return el("div", { class: "collection", "data-collection": name }, heading);
  const fields = [...new Set(newest.flatMap(([, record]) => Object.keys(record || {})))];
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
    count > newest.length
      ? el(
          "p",
          { class: "quiet more" },
          `The newest ${newest.length} of ${count}: download the state for all of them.`,
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
          fields.map((f) => el("th", {}, cell(f, WHOLE))),
        ),
      ),
      el(
        "tbody",
        {},
        newest.map(([key, record]) =>
          el(
            "tr",
            {},
            el("th", {}, cell(key, WHOLE)),
            fields.map((f) => el("td", {}, cell(field(record, f), WHOLE))),
          ),
        ),
      ),
    ),
  );
}

// A record's own field (XTRA keeps the fields it does not know): a field named like one every
// object inherits ("constructor") showed as "function Object() { [native code] }" in every
// record that does not have it.
function field(record, name) {
  return record && Object.hasOwn(record, name) ? record[name] : undefined;
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
    document = parseExact(await file.text()); // an ID past 2^53 sent as it is written
  } catch (error) {
    say(`${file.name} is not JSON: ${error.message}`, "error");
    return;
  }
  const body =
    document && typeof document === "object" && !Array.isArray(document)
      ? scoped(ctx.scope(), document)
      : document;
  const into = vendor(); // the one chosen then, whatever is chosen while the kit loads it
  try {
    await call("PUT", `/state/${into}`, { body, wait: UPLOAD_WAIT_MS });
  } catch (error) {
    if (error instanceof Stale) throw error; // Forget pressed meanwhile: guarded drops it
    say(notLoaded(file.name, error), "error");
    return;
  }
  say(`Loaded ${file.name} into ${into}.`);
  ctx.refreshSoon();
}

// Why a file is not loaded, or may not be: only a refusal says the kit did not load it (one
// that answers slowly, or whose answer is lost on the way, may have).
function notLoaded(name, error) {
  if (error instanceof AdminError) return `The kit refused ${name}: ${error.message}`;
  if (error instanceof Unanswered) {
    const wait = `${UPLOAD_WAIT_MS / 1000} s`;
    return `The kit has not answered about ${name} in ${wait}: it may still load it.`;
  }
  return `The kit did not answer about ${name} (${error.message}): it may have loaded it.`;
}
