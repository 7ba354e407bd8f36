// The Coverage panel: the situations each vendor documents (token expiry, each error code,
// 202 then FAILED...) and how often the calls met them, for the whole kit or one session.
// Generic on purpose: it shows whatever GET /__admin/coverage answers.

import { call } from "./api.js";
import { $, blank, el, render } from "./dom.js";
import { isForwarded } from "./forwarded.js";

let ctx;

export function init(context) {
  ctx = context;
  $("#coverage-missed").addEventListener("change", () => ctx.refreshSoon());
}

export async function refresh() {
  const report = await call("GET", "/coverage", { query: { session: ctx.scope() } });
  $("#coverage-scope").textContent = ctx.scope() ? `session ${ctx.scope()}` : "the whole kit";
  const missedOnly = $("#coverage-missed").checked;
  render($("#coverage-tables"), { report, missedOnly }, () => vendorsView(report, missedOnly));
}

// Nothing read left on show (ui.js: the admin token is gone).
export function forget() {
  blank($("#coverage-tables"));
  $("#coverage-scope").textContent = "";
}

function vendorsView(report, missedOnly) {
  // In the catalogue's order (serve's), then any vendor the page does not know.
  const known = ctx.catalogue.map((v) => v.name);
  const names = [
    ...known.filter((n) => n in report),
    ...Object.keys(report).filter((n) => !known.includes(n)),
  ];
  return names.map((name) => vendorView(name, report[name], missedOnly));
}

function vendorView(name, behaviours, missedOnly) {
  const title = (ctx.catalogue.find((v) => v.name === name) || { title: name }).title;
  // Answered by the real vendor behind mockservers proxy: its situations are never the fake's
  // to meet, and a table of them all missed said there was testing left to do.
  const instead = isForwarded(name)
    ? "Forwarded to its upstream: no coverage."
    : !behaviours.length && "No documented situations catalogued for this vendor.";
  if (instead) {
    return el(
      "div",
      { class: "vendor", "data-vendor": name },
      el("h2", {}, title),
      el("p", { class: "quiet" }, instead),
    );
  }
  const met = behaviours.filter((b) => b.met > 0).length;
  const heading = el(
    "h2",
    {},
    `${title} `,
    el("span", { class: "quiet" }, `${met} of ${behaviours.length} met`),
  );
  const shown = missedOnly ? behaviours.filter((b) => !b.met) : behaviours;
  return el(
    "div",
    { class: "vendor", "data-vendor": name },
    heading,
    el(
      "div",
      { class: "scroll", role: "region", "aria-label": `${title} situations`, "data-key": name },
      el(
        "table",
        {},
        el(
          "thead",
          {},
          el("tr", {}, el("th", {}, "situation"), el("th", {}, "description"), el("th", {}, "met")),
        ),
        el(
          "tbody",
          {},
          shown.map((b) =>
            el(
              "tr",
              { class: b.met ? "ok" : "missed", "data-behaviour": b.behaviour },
              el("td", {}, el("code", {}, b.behaviour)),
              el("td", {}, b.description),
              el("td", { class: "number" }, b.met),
            ),
          ),
        ),
      ),
    ),
  );
}
