// The Controls panel: faults, the clock, tokens, reset and sessions. Every write acts on the
// scope chosen in the header (a session, or the global scope), as the admin API does.

import { call, scoped } from "./api.js";
import { $, $$, blank, el, guarded, render, say } from "./dom.js";
import { isForwarded, mark } from "./forwarded.js";

let ctx;
let offered = false; // the fault form knows which vendors are forwarded

export function init(context) {
  ctx = context;
  for (const id of ["#fault-vendor", "#reset-vendor"]) {
    for (const vendor of ctx.catalogue)
      $(id).append(el("option", { value: vendor.name }, vendor.title));
  }
  $("#fault-vendor").addEventListener("change", faultChoices);
  $("#fault-kind").addEventListener("change", faultKind);
  faultChoices();
  $("#fault-add").addEventListener("click", () => act(addFault));
  $("#faults-clear").addEventListener("click", () => act(clearFaults));

  $("#clock-advance").addEventListener("click", () =>
    act(() => advance(secondsGiven($("#clock-seconds").value))),
  );
  for (const button of $$("[data-advance]")) {
    button.addEventListener("click", () => act(() => advance(Number(button.dataset.advance))));
  }

  // A button for each vendor that issues tokens (the catalogue's "tokens"): one whose
  // credentials travel in every call has none, and its button could only say "Expired 0".
  $("#expire-buttons").replaceChildren(
    ...ctx.catalogue
      .filter((vendor) => vendor.tokens)
      .map((vendor) =>
        el(
          "button",
          {
            type: "button",
            "data-vendor": vendor.name,
            onclick: () => act(() => expire(vendor.name)),
          },
          `Expire ${vendor.title} tokens`,
        ),
      ),
  );
  $("#mint").addEventListener("click", () => act(mint));
  // Enter in a field does what its card's button does, as in the token prompt.
  submitsWith("#clock-seconds", "#clock-advance");
  for (const field of ["#mint-grants", "#mint-ttl", "#mint-tenant"]) submitsWith(field, "#mint");
  for (const field of ["#session-name", "#session-ttl"]) submitsWith(field, "#session-open");
  for (const field of $$("#fault-form input")) submitsWith(field, "#fault-add");
  $("#reset").addEventListener("click", () => act(reset));
  $("#reset-vendor").addEventListener("change", disarm);
  $("#session-open").addEventListener("click", () => act(openSession));
  // A longer name is the kit's 400: the field takes no more (the figure is the contract's).
  $("#session-name").maxLength = ctx.limits.session_name;
  mintTenant();
}

function submitsWith(field, button) {
  const input = typeof field === "string" ? $(field) : field;
  input.addEventListener("keydown", (event) => {
    if (event.key === "Enter") $(button).click();
  });
}

// Run an action, show a refusal in the status line, and show its effect at once.
async function act(action) {
  await guarded(action)();
  ctx.refreshSoon();
}

function where() {
  return ctx.scope() ? `session ${ctx.scope()}` : "the global scope";
}

export async function refresh() {
  const [faults, clock] = await Promise.all([
    call("GET", "/faults", { query: { session: ctx.scope() } }),
    call("GET", "/clock", { query: { session: ctx.scope() } }),
  ]);
  if (!offered) offerFaultVendors();
  $("#clock-now").textContent = clock.now;
  render($("#faults tbody"), faults, (list) => list.map(faultRow));
  drawSessions();
}

// The sessions' table, rebuilt only when the sessions or the chosen one change (an open "show"
// stays open, a focused button keeps the focus: `data-key`); the cells that move every second
// are updated in place.
function drawSessions() {
  const sessions = ctx.sessions();
  const shape = { scope: ctx.scope(), sessions: sessions.map(({ id, name }) => [id, name]) };
  render($("#sessions tbody"), shape, () => sessions.map(sessionRow));
  showArmed();
  for (const session of sessions) {
    const row = $(`#sessions tr[data-id="${CSS.escape(session.id)}"]`);
    if (!row) continue;
    row.cells[2].textContent = session.expires_at;
    row.cells[3].textContent = session.clock;
  }
}

// Nothing read left on show (ui.js: the admin token is gone): a minted token neither.
export function forget() {
  blank($("#faults tbody"));
  blank($("#sessions tbody"));
  $("#clock-now").textContent = "";
  hideMinted();
  mintTenant();
}

// Another scope is chosen (or the session in use ended): nothing of the one left behind stays,
// neither an armed button nor a token minted in it (one of an ended session no longer works).
export function scopeChanged() {
  disarm();
  hideMinted();
  mintTenant();
}

function hideMinted() {
  $("#minted").replaceChildren();
  $("#minted").hidden = true;
}

// -- faults ------------------------------------------------------------------------------

function faultVendor() {
  return ctx.catalogue.find((v) => v.name === $("#fault-vendor").value);
}

// The kinds of the chosen vendor (its own kinds beside the core ones), the chosen one kept;
// its operations from "every operation" (another vendor's are not its own).
function faultChoices() {
  $("#fault-operation").value = "";
  const kind = $("#fault-kind").value || "status";
  $("#fault-kind").replaceChildren(
    ...faultVendor().fault_kinds.map((name) =>
      el("option", { value: name, selected: name === kind }, name),
    ),
  );
  faultKind();
}

// The operations the chosen kind reaches (XTRA's record_error: not a login), the chosen one
// kept when it still is; and the fields the kind reads.
function faultKind() {
  const chosen = $("#fault-operation").value;
  const reached = faultVendor().fault_operations[$("#fault-kind").value];
  $("#fault-operation").replaceChildren(
    el("option", { value: "" }, "every operation"),
    ...reached.map((name) => el("option", { value: name, selected: name === chosen }, name)),
  );
  faultFields();
}

// A vendor mockservers proxy forwards is answered by the real service, which no fault of the
// kit reaches (the API refuses one): the form offers it disabled, and says why.
function offerFaultVendors() {
  offered = true;
  const select = $("#fault-vendor");
  mark(select, ctx.catalogue);
  for (const option of select.options) option.disabled = isForwarded(option.value);
  const open = [...select.options].find((option) => !option.disabled);
  if (open && select.selectedOptions[0].disabled) {
    select.value = open.value;
    faultChoices();
  }
  $("#fault-add").disabled = !open;
  const titles = ctx.catalogue.filter((v) => isForwarded(v.name)).map((v) => v.title);
  const note = $("#fault-forwarded");
  note.hidden = !titles.length;
  note.textContent =
    `Forwarded to the real vendor (mockservers proxy): ${titles.join(", ")}. ` +
    "No fault of the kit reaches their calls.";
}

// Show only the fields the chosen kind reads.
function faultFields() {
  const kind = $("#fault-kind").value;
  for (const label of $$("#fault-form [data-for]")) label.hidden = label.dataset.for !== kind;
}

async function addFault() {
  const kind = $("#fault-kind").value;
  const spec = { vendor: $("#fault-vendor").value, kind };
  const number = (id) => ($(id).value === "" ? undefined : Number($(id).value));
  if ($("#fault-operation").value) spec.operation = $("#fault-operation").value;
  if (kind === "status") spec.status = number("#fault-status");
  if (kind === "latency") spec.latency_ms = number("#fault-latency");
  if (kind === "processing_failure" && $("#fault-reason").value)
    spec.reason = $("#fault-reason").value;
  if (number("#fault-times") !== undefined) spec.times = number("#fault-times");
  if (number("#fault-probability") !== undefined) spec.probability = number("#fault-probability");
  const { id } = await call("POST", "/faults", { body: scoped(ctx.scope(), spec) });
  const calls = spec.operation ? `${spec.vendor} ${spec.operation}` : spec.vendor;
  const how = [
    spec.times !== undefined ? `the next ${spec.times}` : "every",
    spec.probability !== undefined && spec.probability < 1 ? `(p ${spec.probability})` : "",
  ].filter(Boolean);
  say(`Added ${id} in ${where()}: ${how.join(" ")} ${calls} call(s) ${describe(spec)}.`);
}

function describe(fault) {
  if (fault.kind === "status") return `answer ${fault.status}`;
  if (fault.kind === "latency") return `wait ${fault.latency_ms} ms`;
  if (fault.kind === "drop") return "lose their connection";
  if (fault.kind === "malformed") return "get a cut body";
  return `meet ${fault.kind}`;
}

async function clearFaults() {
  await call("DELETE", "/faults", { query: { session: ctx.scope() } });
  say(
    ctx.scope()
      ? `Cleared the faults of ${where()}.`
      : "Cleared the faults of the global scope (the sessions' faults stay).",
  );
}

function faultRow(fault) {
  const details = [
    fault.status && `status ${fault.status}`,
    fault.latency_ms !== undefined && `${fault.latency_ms} ms`,
    fault.reason && `reason ${fault.reason}`,
    fault.probability < 1 && `p ${fault.probability}`,
  ].filter(Boolean);
  return el(
    "tr",
    { "data-id": fault.id },
    el("td", {}, fault.id),
    el("td", {}, fault.vendor),
    el("td", {}, fault.operation || "every"),
    el("td", {}, fault.kind),
    el("td", {}, details.join(", ")),
    el("td", {}, fault.times ?? "until cleared"),
    el("td", {}, fault.hits),
    el("td", {}, fault.session || ""),
  );
}

// -- clock, tokens, reset ----------------------------------------------------------------

// The field's number of seconds; an empty field is not 0 (it would "move" the clock nowhere).
function secondsGiven(text) {
  const seconds = Number(text);
  if (text.trim() === "" || !Number.isFinite(seconds) || seconds <= 0) {
    throw new Error("Give the seconds to advance by: a number above 0.");
  }
  return seconds;
}

async function advance(seconds) {
  const { now } = await call("POST", "/clock", {
    body: scoped(ctx.scope(), { advance_seconds: seconds }),
  });
  say(`The clock of ${where()} moved ${seconds} s forward: now ${now}.`);
}

async function expire(vendor) {
  const { expired } = await call("POST", `/${vendor}/tokens/expire`, { body: scoped(ctx.scope()) });
  say(`Expired ${expired} ${vendor} token${expired === 1 ? "" : "s"} in ${where()}.`);
}

// The tenant field of the mint form, for the chosen scope. In the global scope it takes one,
// and left empty mints for the kit's default, its placeholder. In a session it shows the
// session's own tenant (its credentials say which), read-only: the kit mints a session's
// tokens for that tenant alone, and a tenant given beside the session is its 400.
function mintTenant() {
  const field = $("#mint-tenant");
  const session = ctx.sessions().find((s) => s.id === ctx.scope());
  if (ctx.scope()) {
    field.value = session?.credentials?.tsdigital?.tenant || "";
    field.readOnly = true;
    field.title = "A session's tokens are for its own tenant";
  } else if (field.readOnly) {
    field.value = ""; // the session's, not one typed for the global scope
    field.readOnly = false;
    field.removeAttribute("title");
  }
  field.placeholder = ctx.scope() ? "" : ctx.defaults.mint_tenant || "";
}

async function mint() {
  const spec = { kind: $("#mint-kind").value };
  const grants = $("#mint-grants")
    .value.split(",")
    .map((g) => g.trim())
    .filter(Boolean);
  if (grants.length) spec.grants = grants;
  if ($("#mint-ttl").value) spec.ttl_seconds = Number($("#mint-ttl").value);
  // In a session the field shows its tenant: the session, sent by scoped(), names it.
  if (!ctx.scope() && $("#mint-tenant").value.trim())
    spec.tenant = $("#mint-tenant").value.trim();
  const minted = await call("POST", "/tsdigital/tokens", { body: scoped(ctx.scope(), spec) });
  const box = $("#minted");
  box.textContent = JSON.stringify(minted, null, 2);
  box.hidden = false;
  const article = /^[aeiou]/i.test(minted.kind) ? "an" : "a"; // "an app-key", "a user-key"
  const until = minted.expires_at;
  say(`Minted ${article} ${minted.kind} token for tenant ${minted.tenant}, valid until ${until}.`);
}

// Two clicks: the first arms the button for a few seconds, the second acts. Choosing another
// vendor or scope in between disarms it, and so does arming another button (Reset, a session's
// Drop): the second click must confirm what it does. A button is armed by its `data-arm` key,
// not as an element: a poll that redraws the sessions' rows (one opened or gone) makes their
// buttons anew, and the armed one must stay armed, saying so.
let armed = null; // { key, text, label, asking, askingLabel, timer }

function armedButton() {
  return armed && document.querySelector(`[data-arm="${CSS.escape(armed.key)}"]`);
}

export function disarm() {
  if (!armed) return;
  clearTimeout(armed.timer);
  const button = armedButton();
  if (button) {
    button.textContent = armed.text;
    if (armed.label) button.setAttribute("aria-label", armed.label);
  }
  armed = null;
}

// The armed button, as drawn now, says what its second click does.
function showArmed() {
  const button = armedButton();
  if (!button) return;
  button.textContent = armed.asking;
  if (armed.label) button.setAttribute("aria-label", armed.askingLabel);
}

// True on the second click; the first arms `button`, which then says `asking` (and `label`,
// the name a screen reader gives it, when it has one).
function confirmed(button, asking, label) {
  const key = button.dataset.arm;
  if (armed?.key === key) {
    disarm();
    return true;
  }
  disarm();
  armed = {
    key,
    text: button.textContent,
    label: button.getAttribute("aria-label"),
    asking,
    askingLabel: label,
    timer: setTimeout(disarm, 4000),
  };
  showArmed();
  return false;
}

async function reset() {
  if (!confirmed($("#reset"), "Click again to reset")) return;
  const vendor = $("#reset-vendor").value;
  const body = scoped(ctx.scope(), vendor ? { vendor } : {});
  const { reset: names } = await call("POST", "/reset", { body });
  say(`Reset ${names.join(", ")} in ${where()}.`);
  await ctx.entryMayBeGone(); // an open journal entry of a call the reset forgot
}

// -- sessions ----------------------------------------------------------------------------

async function openSession() {
  const body = {};
  if ($("#session-name").value.trim()) body.name = $("#session-name").value.trim();
  if ($("#session-ttl").value) body.ttl_seconds = Number($("#session-ttl").value);
  const session = await call("POST", "/sessions", { body });
  await ctx.reloadSessions();
  ctx.useScope(session.id);
  say(`Opened session ${session.id}: the page now works in it; its credentials are in the table.`);
}

async function dropSession(session, button) {
  if (!confirmed(button, "Click again to drop", `Click again to drop session ${named(session)}`))
    return;
  await call("DELETE", `/sessions/${encodeURIComponent(session.id)}`);
  if (ctx.scope() === session.id) ctx.useScope("");
  const at = ctx.sessions().findIndex((s) => s.id === session.id);
  await ctx.reloadSessions();
  drawSessions();
  // The keyboard's place, its button gone with its row: the Drop of the row that took its place
  // (or of the one before, for the last), or the table when no session is left.
  const next = ctx.sessions()[Math.min(at, ctx.sessions().length - 1)];
  if (!document.activeElement || document.activeElement === document.body)
    (next ? $(`[data-key="${CSS.escape(`drop:${next.id}`)}"]`) : $("#sessions-box"))?.focus();
  say(`Dropped session ${session.id} and everything it held.`);
}

// A session as its row's buttons name it: "3f2a9c1e (ci-job-7)", as the header's list does.
function named(session) {
  return session.name ? `${session.id} (${session.name})` : session.id;
}

function sessionRow(session) {
  const label = `Drop session ${named(session)}`;
  const key = `drop:${session.id}`; // a redrawn row's button is still the one armed, focused
  const drop = el(
    "button",
    { type: "button", "aria-label": label, "data-arm": key, "data-key": key },
    "Drop",
  );
  drop.addEventListener("click", () => act(() => dropSession(session, drop)));
  return el(
    "tr",
    { "data-id": session.id, "aria-current": session.id === ctx.scope() ? "true" : null },
    el("td", {}, el("code", {}, session.id)),
    el("td", {}, session.name || ""),
    el("td", {}, session.expires_at),
    el("td", {}, session.clock),
    el(
      "td",
      {},
      el(
        "details",
        {},
        el("summary", { "aria-label": `show credentials of session ${named(session)}` }, "show"),
        el("pre", {}, JSON.stringify(session.credentials, null, 2)),
      ),
    ),
    el(
      "td",
      {},
      // A choice of scope, as the header's list: the last action's message goes.
      el(
        "button",
        {
          type: "button",
          "aria-label": `Use session ${named(session)}`,
          "data-key": `use:${session.id}`, // focused still once the new scope redraws the table
          onclick: guarded(() => ctx.useScope(session.id)),
        },
        "Use",
      ),
      drop,
    ),
  );
}
