// One journal entry, opened: request and answer side by side, the kit's diagnosis, the
// contracts' verdict, a curl line to send it again, and what a validating proxy added.

import { LONG_LINE, cell, charactersPast, clip, copy, el, longNote, pairs, pretty } from "./dom.js";

// The entry's view (GET /__admin/requests/{id}: the entry, its "verdict" and its "curl");
// `close` is what its close button does.
export function entryView(entry, close) {
  // Where a value the entry cuts short (dom.js: cell, pretty) is whole.
  const source = `GET /__admin/requests/${entry.id}`;
  const whole = `${source} has it whole`;
  return [
    el(
      "header",
      {},
      el("h2", {}, `${entry.vendor} · ${entry.operation}`),
      el("button", { type: "button", onclick: close, title: "Close", "aria-label": "Close" }, "×"),
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
    verdictView(entry),
    ...curlView(entry.curl, source),
    el(
      "div",
      { class: "side-by-side" },
      el(
        "div",
        { id: "entry-request" },
        el("h3", {}, "Request"),
        // As sent: percent-escapes, repeated parameters and header lines kept.
        el("p", { class: "request-line" }, el("code", {}, `${entry.method} ${entry.target}`)),
        el("h4", {}, "Query"),
        pairs(queryPairs(entry.target), whole),
        el("h4", {}, "Headers"),
        pairs(entry.header_lines, whole),
        cutNote(entry.cut, "header_lines", entry.header_lines.length),
        el("h4", {}, "Body"),
        entry.body_unread
          ? unreadBody(entry.status)
          : pretty(entry.request, entry.request_format, source),
        cutNote(entry.cut, "request"),
      ),
      el(
        "div",
        { id: "entry-answer" },
        el("h3", {}, "Answer"),
        el(
          "p",
          {},
          el("code", { class: entry.status >= 400 ? "bad" : "ok" }, `HTTP ${entry.status}`),
        ),
        el("h4", {}, "Headers"),
        pairs(entry.response_headers, whole),
        el("h4", {}, "Body"),
        pretty(entry.response, entry.response_format, source),
        cutNote(entry.cut, "response"),
      ),
    ),
    behavioursView(entry.behaviours),
    shadowView(entry.shadow, whole),
  ];
}

// The curl line, and a button that copies it whole. Past LONG_LINE (a body of one long
// value, a very large import) it shows its start, and a note says so.
function curlView(line, source) {
  const size = charactersPast(line, LONG_LINE);
  const pre = el("pre", { id: "entry-curl" }, size ? clip(line, LONG_LINE) : line);
  const copied = `the line; ${source} has it whole, as its "curl"`;
  return [
    el(
      "div",
      { class: "curl" },
      pre,
      el("button", { type: "button", onclick: () => copy(line, pre, copied) }, "Copy"),
    ),
    size > 0 &&
      longNote(
        `a line of ${size.toLocaleString("en-US")} characters shows its first ` +
          `${LONG_LINE.toLocaleString("en-US")} and "…" (Copy copies it whole)`,
        source,
      ),
  ];
}

// The Body of a call whose body was refused unread (its "body_unread"): the kit never read
// it, so never kept it; not "(no body)", which a call that sent none shows.
function unreadBody(status) {
  const why = status === 413 ? "refused over max_body_bytes" : `refused with a ${status}`;
  return el("pre", { id: "entry-unread", class: "empty" }, `(not read: ${why})`);
}

// What the entry shows only the start of (its "cut": the journal keeps 64 KiB of header lines,
// and cuts bodies to fit its bytes; a text body shows its first 64 KiB), said under it.
function cutNote(cut, part, shown) {
  const size = cut && cut[part];
  if (!size) return null;
  const text =
    part === "header_lines"
      ? `Cut short: the first ${shown} of ${size} header lines sent.`
      : `Cut short: the start of a body of ${size} bytes.`;
  return el("p", { class: "quiet cut" }, text);
}

// Every parameter of a target's query string, in order, decoded ("a+b" and "a%20b": "a b").
function queryPairs(target) {
  const at = target.indexOf("?");
  return at < 0 ? [] : [...new URLSearchParams(target.slice(at + 1))];
}

// The contracts' verdict: null for a call that is no operation (nothing to check it against),
// and for a call of one whose body was refused unread ("body_unread": a 413 over
// max_body_bytes, the fake's or the proxy's; the proxy's 403 to a web page).
function verdictView({ verdict, body_unread, operation }) {
  if (!verdict) {
    return el(
      "div",
      { id: "entry-verdict", class: "verdict none" },
      body_unread && operation !== "unknown"
        ? "Contract verdict: none (an operation of the vendor, but its body was refused " +
          "unread: no contract judges what was not read)"
        : "Contract verdict: no contract (not an operation of the vendor)",
    );
  }
  const problems = [
    ...verdict.request.map((text) => `request: ${text}`),
    ...verdict.response.map((text) => `answer: ${text}`),
  ];
  if (!problems.length) {
    return el(
      "div",
      { id: "entry-verdict", class: "verdict ok" },
      "Contract verdict: request and answer meet their contracts",
    );
  }
  return el(
    "div",
    { id: "entry-verdict", class: "verdict bad" },
    `Contract verdict: ${problems.length} violation${problems.length > 1 ? "s" : ""}`,
    el(
      "ul",
      {},
      problems.map((text) => el("li", {}, text)),
    ),
  );
}

// The documented situations this call met (coverage).
function behavioursView(behaviours) {
  if (!behaviours || !behaviours.length) return null;
  return el(
    "p",
    { class: "behaviours" },
    "Situations met: ",
    behaviours.map((b) => el("code", {}, b)),
  );
}

// Where a shadow fake answered otherwise than the real vendor (mockservers proxy --shadow).
function shadowView(differences, whole) {
  if (!Array.isArray(differences)) return null;
  if (!differences.length)
    return el("p", { class: "verdict ok" }, "Shadow: the fake answered alike");
  return el(
    "div",
    {},
    el("h3", {}, "Shadow differences"),
    el(
      "table",
      {},
      el(
        "thead",
        {},
        el("tr", {}, el("th", {}, "field"), el("th", {}, "upstream"), el("th", {}, "fake")),
      ),
      el(
        "tbody",
        {},
        differences.map((d) =>
          el(
            "tr",
            {},
            el("td", {}, cell(d.field, whole)),
            el("td", {}, cell(d.upstream, whole)),
            el("td", {}, cell(d.fake, whole)),
          ),
        ),
      ),
    ),
  );
}
