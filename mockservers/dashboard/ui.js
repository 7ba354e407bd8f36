// The dashboard's entry point: tabs, the session the page works in, the admin token, and the
// poll that keeps the visible panel live.
//
// "Live" is a poll, not a push: once a second the page reads what the visible panel shows
// (and the clock and the sessions for the header). The admin API stays plain request/answer,
// every store (memory, file, Redis) works the same, and nothing is pushed to a page nobody
// looks at.

import { AdminError, Stale, Unanswered, call, onTokenRefused, setToken, token } from "./api.js";
import * as controls from "./controls.js";
import * as coverage from "./coverage.js";
import * as forwarded from "./forwarded.js";
import { $, $$, blank, el, markCurrent, render, say } from "./dom.js";
import * as journal from "./journal.js";
import * as state from "./state.js";

const POLL_MS = 1000;
const PANELS = { journal, state, controls, coverage };
// A panel's own name: "#constructor" or "#__proto__" names something every object has.
const isPanel = (name) => Object.hasOwn(PANELS, name);

let tab = isPanel(location.hash.slice(1)) ? location.hash.slice(1) : "journal";
let scope = "";
let sessions = [];
let waitingForToken = false;

// What every panel gets: the kit's catalogue (written into the page by the server), the
// chosen session, and ways to ask for a refresh or another scope.
const ctx = {
  catalogue: JSON.parse($("#catalogue").textContent),
  // The admin contract's bounds a field holds to (a session's name), as the kit checks them.
  limits: JSON.parse($("#limits").textContent),
  // What the kit takes for a field left empty in the global scope (a minted token's tenant).
  defaults: JSON.parse($("#defaults").textContent),
  scope: () => scope,
  sessions: () => sessions,
  useScope,
  reloadSessions,
  entryMayBeGone: journal.closeIfGone,
  refreshSoon: () => schedule(0, true),
};

// -- the poll ----------------------------------------------------------------------------

let timer = null;
let running = false;
let rerun = false;
let forced = false;
let pollFailed = false;

// Never two rounds at once: a round asked for while one runs follows it at once (the round's
// own next one, a second later, must not replace it).
function schedule(delay, force = false) {
  forced = forced || force;
  clearTimeout(timer);
  if (running) rerun = true;
  else timer = setTimeout(tick, delay);
}

// One round: the header and the visible panel.
async function tick() {
  if (document.hidden) return; // a tab in the background asks nothing; visibilitychange resumes
  running = true;
  try {
    await Promise.all([reloadSessions(), forwarded.read()]);
    // The kit answers again: the last round's complaint is stale. Cleared before anything
    // this round says (a session gone meanwhile), not after it.
    if (pollFailed) say("");
    pollFailed = false;
    // Gone since the last round: the session's views go now, in this round, not once its
    // reads are refused.
    if (scope && !sessions.some((s) => s.id === scope)) lost();
    // What was asked for until now, this round's reads see.
    const force = forced;
    forced = rerun = false;
    await Promise.all([clock(), PANELS[tab].refresh(force)]);
    $("#token-prompt").hidden = true;
    waitingForToken = false;
  } catch (error) {
    pollFailed = failed(error);
  }
  running = false;
  if (waitingForToken) return; // nothing more until a token is entered
  schedule(rerun ? 0 : POLL_MS);
  rerun = false;
}

// Shows why a poll failed; true when the complaint is stale once the kit answers again (a
// dropped session's notice stays: it says why the page went back to the whole kit).
function failed(error) {
  if (error instanceof Stale) {
    return pollFailed; // the round of a token that went: the next one, asked already, tells
  } else if (error instanceof Unanswered) {
    say(error.message, "error");
  } else if (!(error instanceof AdminError)) {
    say(`The kit did not answer: ${error.message}`, "error");
  } else if (error.status === 401) {
    // onTokenRefused already shows the prompt. The kit answers: an earlier round's complaint
    // goes (it stood beside the prompt of a kit restarted with another token).
    if (pollFailed) say("");
    return false;
  } else if (error.status === 404 && scope && error.message.startsWith("no live session")) {
    lost(); // between the round's reading of the sessions and its other reads
    return false;
  } else {
    say(error.message, "error");
  }
  return true;
}

// -- header: the clock, the sessions, the token --------------------------------------------

async function clock() {
  const { now } = await call("GET", "/clock", { query: { session: scope } });
  // The fakes' time, which Advance moves: not the wall clock a session's expiry is told in.
  $("#clock").textContent = `kit clock ${now.replace("T", " ").replace(/\.\d+/, "")}`;
  $("#clock").title = `The kit's clock in this scope (Advance moves it): ${now}`;
}

async function reloadSessions() {
  sessions = await call("GET", "/sessions");
  const options = sessions.map((s) => [s.id, s.name]);
  render($("#scope"), { options, scope }, () => [
    el("option", { value: "" }, "whole kit (global scope)"),
    ...sessions.map((s) =>
      el(
        "option",
        { value: s.id, selected: s.id === scope },
        s.name ? `${s.id} (${s.name})` : s.id,
      ),
    ),
  ]);
}

// The session the page works in has expired or was dropped: the page says so (the notice
// stays, as the reason why the page went back to the whole kit) and goes back to the whole kit.
function lost() {
  say(`Session ${scope} has expired or was dropped: back to the whole kit.`, "error");
  useScope("");
}

function useScope(id) {
  const left = id !== scope;
  if (left) journal.close(); // an entry of the scope left behind
  scope = id;
  if (left) controls.scopeChanged(); // an armed reset, a minted token: the scope left behind's
  $("#scope").value = id;
  markCurrent($$("#sessions tr[data-id]"), (row) => row.dataset.id === id);
  schedule(0, true);
}

$("#scope").addEventListener("change", (event) => {
  say("");
  useScope(event.target.value);
});
document.addEventListener("visibilitychange", () => {
  if (!document.hidden) schedule(0, true);
});

function useToken() {
  const given = $("#token").value.trim();
  if (/[\x00-\x1f\x7f]/.test(given)) {
    // A header cannot carry control characters: said here, where the browser would refuse
    // every call and the page blame the kit.
    say("An admin token holds no control characters: this one does.", "error");
    return;
  }
  setToken(given);
  waitingForToken = false;
  $("#token-prompt").hidden = true;
  say("");
  schedule(0, true);
}

$("#token").value = token();
$("#token-box").hidden = !token();
$("#token-use").addEventListener("click", useToken);
$("#token").addEventListener("keydown", (event) => {
  if (event.key === "Enter") useToken();
});
$("#token-forget").addEventListener("click", () => {
  $("#token").value = "";
  setToken("");
  forgetReads();
  schedule(0, true);
});

// What was read with a token goes with it: after Forget, or once the kit refuses the token,
// none of it stays on the page (the calls, the state, the sessions and their credentials, a
// minted token). The page starts again from the whole kit.
function forgetReads() {
  sessions = [];
  scope = "";
  blank($("#scope"), el("option", { value: "" }, "whole kit (global scope)"));
  $("#clock").textContent = "";
  $("#clock").removeAttribute("title");
  controls.disarm();
  for (const panel of Object.values(PANELS)) panel.forget();
}

onTokenRefused(() => {
  forgetReads();
  waitingForToken = true;
  const prompt = $("#token-prompt");
  prompt.hidden = false;
  prompt.classList.toggle("refused", Boolean(token()));
  $("#token-box").hidden = false;
  $("#token").focus();
});

// -- tabs --------------------------------------------------------------------------------

// The chosen tab is the one Tab reaches (the others by the arrows): one stop, not four.
function show(name) {
  tab = name;
  for (const button of $$("#tabs button")) {
    const chosen = button.dataset.tab === name;
    button.setAttribute("aria-selected", String(chosen));
    button.tabIndex = chosen ? 0 : -1;
  }
  for (const panel of $$("[data-panel]")) panel.hidden = panel.dataset.panel !== name;
  history.replaceState(null, "", `#${name}`);
  schedule(0, true);
}

for (const button of $$("#tabs button"))
  button.addEventListener("click", () => show(button.dataset.tab));

// A panel's link (ui#state) followed on the page, or typed into its address, shows that panel.
addEventListener("hashchange", () => {
  const name = location.hash.slice(1);
  if (isPanel(name) && name !== tab) show(name);
});

// Left and right arrows (round the ends), Home and End: the next tab is chosen and focused.
// With Alt, Ctrl or Meta they are the browser's (Alt+Left goes back) and left to it.
$("#tabs").addEventListener("keydown", (event) => {
  if (event.altKey || event.ctrlKey || event.metaKey) return;
  const buttons = $$("#tabs button");
  const at = buttons.indexOf(event.target);
  const next = {
    ArrowLeft: at - 1,
    ArrowRight: at + 1,
    Home: 0,
    End: buttons.length - 1,
  }[event.key];
  if (at < 0 || next === undefined) return;
  event.preventDefault();
  const button = buttons[(next + buttons.length) % buttons.length];
  show(button.dataset.tab);
  button.focus();
});

for (const panel of Object.values(PANELS)) panel.init(ctx);
show(tab);
