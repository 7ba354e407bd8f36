"""``--report FILE.html``: one self-contained page about a harness run, for people.

A summary (what to run again to repeat it: seed, cases per operation and mode, the harness's
version; cases, requests sent, 429s waited out, records the vendor kept, failures new and known;
a run the server stopped before its end said to be incomplete), then one section per failure:
operation, mode, check, HTTP status, the message and a ``curl`` line to repeat it. The page is
meant to be kept and passed around (a CI artifact), so in its ``curl`` lines every
secret (tokens, passwords, keys; the journal's names) is masked as ``***``, as on the console
(where ``--show-secrets`` keeps the runnable ones). Inline CSS, no script, nothing fetched: it
opens offline. Every text from the run goes through :func:`html.escape`.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TypeVar
from urllib.parse import quote

from fuzz.baseline import Comparison
from fuzz.dispatch import RealRequest
from fuzz.runner import Finding, OperationReport
from mockservers import __version__
from mockservers.core.secretnames import MASK, secret_header, secret_parameter
from mockservers.core.secrets import masked_bytes

T = TypeVar("T")

_CSS = """
body{font:15px/1.45 system-ui,sans-serif;margin:2em auto;max-width:70em;padding:0 1em;color:#222}
h1{font-size:1.5em}h2{margin-top:2em;border-bottom:1px solid #ccc}
table{border-collapse:collapse}td,th{padding:.2em .8em;text-align:left;border-bottom:1px solid #eee}
section{border:1px solid #ddd;border-left:6px solid #c33;border-radius:4px;padding:.5em 1em;
margin:1em 0}section.known{border-left-color:#d90}
.badge{font-size:.75em;padding:.1em .5em;border-radius:3px;background:#c33;color:#fff}
.known .badge{background:#d90}
pre{background:#f6f6f6;padding:.6em;overflow-x:auto;white-space:pre-wrap;word-break:break-all}
dl{display:grid;grid-template-columns:max-content auto;gap:.1em 1em}dt{color:#666}dd{margin:0}
.ok{color:#282}.failed{color:#c33}
"""


@dataclass(frozen=True)
class RunFacts:
    """What the page says about the run as a whole."""

    vendor: str
    base_url: str
    cases: int
    sent: int
    elapsed: float
    retry_waits: Sequence[int] = ()
    still_limited: int = 0
    stopped: str | None = None
    """Why the run stopped before its end (its budget spent, a server still answering 429)."""
    baselined: bool = False
    interrupted: bool = False
    """Stopped by Ctrl-C or SIGTERM: the operation it was in is not counted."""
    window_waits: int = 0
    """How many of the waits were the vendor's call window (a 429 without Retry-After)."""
    incomplete: bool = False
    """Stopped by the server before its end (its call limit, the vendor behind the kit's proxy
    gone; ``stopped`` says which): what ran is no verdict on the whole."""
    seed: int | None = None
    """``--seed`` (``None``: the fixed cases)."""
    max_examples: int | None = None
    kept: int | None = None
    """The records the vendor said it stored (``None``: a dry run, nothing sent)."""
    printed: int | None = None
    """The requests a dry run printed (``None``: a run that sends): nothing was checked."""
    version: str = __version__
    """The harness's (the kit's) version: the cases it generates are its own."""

    @property
    def rerun(self) -> list[tuple[str, str]]:
        """What repeats the run's cases: ``--seed``, ``--max-examples`` and the harness's
        version (the kit's)."""
        seed = "fixed (none given)" if self.seed is None else str(self.seed)
        examples = "" if self.max_examples is None else str(self.max_examples)
        return [("seed", seed), ("max-examples", examples), ("version", self.version)]


def verdict(facts: RunFacts, comparison: Comparison) -> str:
    """What the run found, in a few words (the console's closing line, the page's title)."""
    failed = len(comparison.new) + len(comparison.known)
    if facts.printed is not None:  # "all checks passed" of requests never sent
        said = dry_run(facts.printed)
    elif not failed:
        said = "all checks passed"
    elif comparison.known:
        said = f"{failed} failed check(s): {len(comparison.new)} new, {len(comparison.known)} known"
    else:
        said = f"{failed} failed check(s)"
    if facts.interrupted:  # "0 cases, 28 requests sent: all checks passed" said too much
        return f"interrupted; in the operations that finished, {said}"
    if facts.incomplete:  # "stopped: …", then "all checks passed" of 3 cases out of 10
        return f"incomplete, stopped by the server; in what ran, {said}"
    return said


def dry_run(printed: int) -> str:
    """What a dry run did: no check passed or failed, none ran."""
    return f"dry run: {printed} requests printed, nothing sent or checked"


def kept(facts: RunFacts) -> str:
    """The records the vendor kept: the harness deletes none."""
    return (
        f"{facts.kept} record(s) stored by {facts.vendor} (the harness deletes nothing: "
        "see docs/fuzzing.md, Against a shared sandbox)"
    )


def waits(facts: RunFacts) -> str:
    """The answers 429 waited out, how, and for how long in all."""
    how = "Retry-After"
    if facts.window_waits:
        how += f", or the vendor's call window for {facts.window_waits} without one"
    return f"{len(facts.retry_waits)} answer(s) 429 ({how}, {sum(facts.retry_waits)} s in all)"


def masked_curl(request: RealRequest, *, placeholders: bool = False) -> str:
    """``request`` as ``curl`` with every secret header, query value and JSON field as ``***``;
    with ``placeholders``, a dry run's stand-in for a token (``$XTRA_TOKEN``) stays: it is no
    secret, and says what to put in."""
    body = request.content
    if body:  # bytes that masking leaves alone stay as sent (not UTF-8: no replacement marks)
        body = masked_bytes(body)

    def shown(name: str, value: T, secret: Callable[[str], bool]) -> T | str:
        kept = placeholders and isinstance(value, str) and _PLACEHOLDER.fullmatch(value)
        return value if kept or not secret(name) else MASK

    masked = RealRequest(
        request.method,
        request.url,
        [(name, shown(name, value, secret_parameter)) for name, value in request.params],
        {name: shown(name, value, secret_header) for name, value in request.headers.items()},
        body,
    )
    # httpx percent-encodes the mask in the URL; the reader should see the same *** as elsewhere.
    return masked.as_curl().replace(f"={quote(MASK)}", f"={MASK}")


_PLACEHOLDER = re.compile(r"(?:Bearer )?\$[A-Z][A-Z0-9_]*")
"""What a dry run sends in place of a token it has not got: ``$QUOPARTS_TOKEN``, ``Bearer
$TSDIGITAL_TOKEN``, ``$MOCKSERVERS_ADMIN_TOKEN``."""


def shown_curl(finding: Finding) -> str:
    """A finding's ``curl`` line as shown where it may be passed around: secrets masked."""
    return masked_curl(finding.request) if finding.request is not None else finding.curl


def write(
    path: str | Path,
    facts: RunFacts,
    reports: Sequence[OperationReport],
    comparison: Comparison,
) -> Path:
    """Write the page to ``path`` (its folder is created)."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(render(facts, reports, comparison), "utf-8")
    return target


def render(facts: RunFacts, reports: Sequence[OperationReport], comparison: Comparison) -> str:
    title = f"mockservers fuzz {facts.vendor}: {verdict(facts, comparison)}"
    repeats = {(r.operation, r.mode): r.repeats for r in reports}
    parts = [
        "<!doctype html>",
        '<html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{_e(title)}</title><style>{_CSS}</style></head><body>",
        f"<h1>{_e(title)}</h1>",
    ]
    if facts.incomplete:
        parts.append(
            f'<p class="failed" id="incomplete">Incomplete: {_e(str(facts.stopped))}. The '
            "operations after it did not run, and the baseline was left as it was.</p>"
        )
    parts += [_summary(facts, comparison), "<h2>Failures</h2>"]
    new = "new" if facts.baselined else "failed"
    failures = [(f, new) for f in comparison.new] + [(f, "known") for f in comparison.known]
    if facts.printed is not None:
        parts.append("<p>A dry run: nothing was sent, so no check ran.</p>")
    elif not failures:
        parts.append('<p class="ok">No check failed.</p>')
    for number, (finding, kind) in enumerate(failures, 1):
        count = repeats.get((finding.operation, finding.mode), {}).get(finding.check, 1)
        parts.append(_failure(number, finding, kind, count))
    if comparison.fixed:
        parts.append("<h2>Fixed since the baseline</h2><ul>")
        parts += [f"<li>{_e(key.label)}</li>" for key in comparison.fixed]
        parts.append(
            "</ul><p>Accepted failures that no longer occur: "
            "<code>--update-baseline</code> drops them.</p>"
        )
    parts.append(_operations(reports, dry=facts.printed is not None))
    parts.append("</body></html>\n")
    return "\n".join(parts)


def _summary(facts: RunFacts, comparison: Comparison) -> str:
    rows = [
        ("vendor", facts.vendor),
        ("base URL", facts.base_url),
        ("finished", datetime.now(UTC).isoformat(timespec="seconds")),
        *facts.rerun,
        ("cases", str(facts.cases)),
        _requests(facts),
        ("time", f"{facts.elapsed:.1f} s"),
    ]
    if facts.incomplete:
        rows.append(("complete", f"no: {facts.stopped}"))
    if facts.kept is not None:
        rows.append(("writes accepted", kept(facts)))
    checked = facts.printed is None  # a dry run checked nothing: no count of failures
    if checked and facts.baselined:
        rows.append(
            (
                "failed checks",
                f"{len(comparison.new)} new, {len(comparison.known)} known (baseline)",
            )
        )
        rows.append(("fixed since the baseline", str(len(comparison.fixed))))
    elif checked:
        rows.append(("failed checks", str(len(comparison.new))))
    if facts.retry_waits:
        rows.append(("429s waited out", waits(facts)))
    if facts.still_limited:
        rows.append(("still 429 after the retries", str(facts.still_limited)))
    cells = "".join(f"<tr><th>{_e(k)}</th><td>{_e(v)}</td></tr>" for k, v in rows)
    return f'<table class="summary">{cells}</table>'


def _requests(facts: RunFacts) -> tuple[str, str]:
    """The summary's row of requests: sent (and why the run stopped), or a dry run's printed."""
    if facts.printed is not None:
        return ("requests printed", f"{facts.printed} (a dry run: none sent)")
    return ("requests sent", str(facts.sent) + (f" ({facts.stopped})" if facts.stopped else ""))


def _failure(number: int, finding: Finding, kind: str, count: int) -> str:
    curl = shown_curl(finding)
    facts = [
        ("operation", finding.operation),
        ("mode", finding.mode),
        ("check", finding.check),
        ("HTTP status", str(finding.status) if finding.status else "no answer"),
        ("cases that failed it", str(count)),
    ]
    details = "".join(f"<dt>{_e(k)}</dt><dd>{_e(v)}</dd>" for k, v in facts)
    return (
        f'<section class="failure {kind}" id="failure-{number}">'
        f"<h3>{_e(finding.operation)}[{_e(finding.mode)}] — {_e(finding.check)} "
        f'<span class="badge">{kind}</span></h3>'
        f"<dl>{details}</dl>"
        f'<p>{_e(finding.title)}</p><pre class="message">{_e(finding.message.strip())}</pre>'
        "<p>Repeat the first failing case (secrets masked as <code>***</code>):</p>"
        f'<pre class="curl">{_e(curl)}</pre></section>'
    )


def _operations(reports: Sequence[OperationReport], *, dry: bool = False) -> str:
    """Each operation and mode's cases and failed checks (a dry run's: printed)."""
    rows = "".join(
        f"<tr><td>{_e(r.name)}</td><td>{r.cases}</td>"
        + (
            f'<td class="failed">{_e(", ".join(f.check for f in r.findings))}</td>'
            if r.findings
            else "<td>printed</td>"
            if dry
            else '<td class="ok">ok</td>'
        )
        + "</tr>"
        for r in reports
    )
    return (
        "<h2>Operations</h2><table><tr><th>operation[mode]</th><th>cases</th>"
        f"<th>failed checks</th></tr>{rows}</table>"
    )


def _e(text: str) -> str:
    return html.escape(text, quote=True)
