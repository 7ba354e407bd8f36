"""The harness's manners for a shared sandbox — a pace, patience with a 429, a baseline, a report
and a HAR record — against running fakes. Nothing here sleeps on the wall: the injected
``sleep`` moves a fake clock (and the fake's own, ``POST /__admin/clock``)."""

from __future__ import annotations

import io
import itertools
import json
import re
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterator
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import httpx
import pytest

from fuzz import baseline
from fuzz.cli import rate_limit
from fuzz.dispatch import RealRequest
from fuzz.harness import run_harness
from fuzz.plugins import VendorPlugin
from fuzz.plugins.keepit import Plugin as KeepIt
from fuzz.plugins.quoparts import Plugin as QuoParts
from fuzz.report import masked_curl
from fuzz.runner import Finding, OperationReport
from fuzz.target import LIMITED_IN_A_ROW, Exchange, Pacer, Stopped, Target
from mockservers.cli import main
from mockservers.cli.parser import build_parser
from mockservers.testing import MockServer
from tests.proxying import Received, WireUpstream

pytestmark = pytest.mark.fuzz


class FakeTime:
    """A monotonic clock that only ``sleep`` moves; every sleep is kept, and may move a fake."""

    def __init__(self, server: MockServer | None = None) -> None:
        self.now = 0.0
        self.slept: list[float] = []
        self.server = server

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds
        if self.server is not None:
            self.server.advance(seconds)


# -- pace and patience, on a scripted transport ---------------------------------------------
def scripted(*answers: httpx.Response) -> httpx.Client:
    queue = list(answers)
    return httpx.Client(transport=httpx.MockTransport(lambda request: queue.pop(0)))


def probe() -> RealRequest:
    return RealRequest("GET", "http://sandbox.invalid/quoparts/ws_quoparts.php", [("login", "")])


def test_the_pacer_spaces_requests_at_the_rate() -> None:
    time = FakeTime()
    pacer = Pacer(4.0, time.clock, time.sleep)
    for _ in range(5):
        pacer.wait()
    assert time.slept == [0.25] * 4
    time.now += 10  # a pause longer than the interval: the next request goes at once
    pacer.wait()
    assert time.slept == [0.25] * 4


def test_a_429_with_retry_after_is_waited_out_and_sent_again() -> None:
    time, recorded = FakeTime(), []
    limited = httpx.Response(429, headers={"Retry-After": "7"}, json={"code": 429})
    client = scripted(limited, limited, httpx.Response(200, json={"ok": True}))
    target = Target(
        QuoParts.demo(),
        "http://sandbox.invalid/quoparts",
        client,
        rate=2.0,
        retries=3,
        clock=time.clock,
        sleep=time.sleep,
        record=recorded.append,
    )
    response = target.send(probe())
    assert response is not None and response.status_code == 200
    assert target.politeness.retry_waits == [7, 7]
    assert time.slept == [7, 7]  # the pace slot after the first send has long passed
    assert target.sent == 3 and [e.response.status_code for e in recorded] == [429, 429, 200]
    assert all(isinstance(e, Exchange) and e.duration_ms >= 0 for e in recorded)


NOW = "Wed, 21 Oct 2015 07:28:00 GMT"
"""The ``Date`` of the answers 429 below: an HTTP-date in ``Retry-After`` is counted from it."""


@pytest.mark.parametrize(
    "retry_after",
    [
        "0",
        "soon",
        "Wed, 21 Oct 2015 07:27:00 GMT",  # gone by
        "Wed, 21 Oct 99999 07:28:00 GMT",  # beyond any calendar: it was an OverflowError
        "Wed, 32 Oct 2015 07:28:00 GMT",
        "Wed, 21 Oct 2015 07:28:00 GMT garbage",
    ],
)
def test_a_429_it_cannot_wait_out_goes_to_the_checks(retry_after: str) -> None:
    time = FakeTime()
    limited = httpx.Response(429, headers={"Retry-After": retry_after, "Date": NOW}, json={})
    target = Target(QuoParts.demo(), "http://x", scripted(limited), retries=3, sleep=time.sleep)
    response = target.send(probe())
    assert response is not None and response.status_code == 429
    assert time.slept == [] and target.sent == 1 and not target.stopped


@pytest.mark.parametrize(
    "retry_after",
    [
        "Wed, 21 Oct 2015 07:28:07 GMT",  # RFC 9110's IMF-fixdate
        "Wednesday, 21-Oct-15 07:28:07 GMT",  # and its obsolete forms, which it accepts
        "Wed Oct 21 07:28:07 2015",
    ],
)
def test_a_429_with_an_http_date_waits_until_that_date(retry_after: str) -> None:
    """RFC 9110 allows a date in Retry-After: it was taken for no Retry-After at all, and the
    request went again at once."""
    time = FakeTime()
    limited = httpx.Response(429, headers={"Retry-After": retry_after, "Date": NOW}, json={})
    target = Target(
        QuoParts.demo(),
        "http://x",
        scripted(limited, httpx.Response(200, json={})),
        retries=3,
        sleep=time.sleep,
    )
    response = target.send(probe())
    assert response is not None and response.status_code == 200
    assert time.slept == [7] and target.politeness.retry_waits == [7]


def test_retries_are_bounded_and_counted_against_the_budget() -> None:
    time = FakeTime()
    limited = httpx.Response(429, headers={"Retry-After": "1"}, json={})
    target = Target(
        QuoParts.demo(), "http://x", scripted(*[limited] * 3), retries=2, sleep=time.sleep
    )
    with pytest.raises(Stopped):  # the last 429 goes to no check
        target.send(probe())
    assert target.politeness.still_limited == 1 and target.sent == 3 and target.limited
    assert str(target.stop_reason).startswith("still answered 429 after 2 retries (2 s waited")


@pytest.mark.parametrize("plugin", [QuoParts.demo(), KeepIt.demo()], ids=["quoparts", "keepit"])
@pytest.mark.parametrize(
    ("retry_after", "asked"),
    [("3601", "3,601 s (Retry-After: 3601)"), ("Wed, 21 Oct 2015 08:28:00 GMT", "3,600 s")],
)
def test_a_429_asking_longer_than_the_harness_waits_stops_at_once(
    plugin: VendorPlugin, retry_after: str, asked: str
) -> None:
    """A Retry-After past the 300 s the harness waits was KeepIT's 60 s window (sent again
    three times over an hour-long ask), and any other vendor's answer to judge."""
    time = FakeTime()
    limited = httpx.Response(429, headers={"Retry-After": retry_after, "Date": NOW}, json={})
    target = Target(plugin, "http://x", scripted(limited), retries=3, sleep=time.sleep)
    with pytest.raises(Stopped):
        target.send(probe())
    assert time.slept == [] and target.sent == 1 and target.limited
    assert f"answered 429 asking to wait {asked}" in str(target.stop_reason)
    assert "longer than the 300 s the harness waits" in str(target.stop_reason)


def test_429s_in_a_row_it_cannot_wait_out_stop_the_target() -> None:
    """Without a Retry-After, each next case went at once into the full window: 61 requests
    in 4 s, 56 of them after the first 429. Another answer between them starts the count
    again."""
    limited, taken = httpx.Response(429, json={}), httpx.Response(200, json={})
    target = Target(
        QuoParts.demo(), "http://x", scripted(limited, limited, taken, limited, limited, limited)
    )
    target.retries = 3
    statuses = [response.status_code for response in (target.send(probe()) for _ in range(5))]
    assert statuses == [429, 429, 200, 429, 429] and not target.stopped
    with pytest.raises(Stopped):
        target.send(probe())
    assert target.sent == 6 and target.limited and LIMITED_IN_A_ROW == 3
    assert str(target.stop_reason).startswith(
        "answered 429 3 times in a row, the last without a Retry-After it could wait out"
    )


@pytest.mark.parametrize(("text", "rate"), [("5/s", 5.0), ("0.5/s", 0.5), (" 1.5/s", 1.5)])
def test_rate_limit_reads_requests_per_second(text: str, rate: float) -> None:
    assert rate_limit(text) == rate


@pytest.mark.parametrize(("option", "value"), [("--max-examples", "0"), ("--budget", "-1")])
def test_cases_and_budget_must_be_above_zero(
    option: str, value: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """0 cases was a traceback after the login was sent; a budget of 0 ran nothing and passed."""
    with pytest.raises(SystemExit) as exited:
        main(["fuzz", "quoparts", "--base-url", "http://127.0.0.1:9/q", option, value])
    assert exited.value.code == 2
    assert f"argument {option}" in capsys.readouterr().err


@pytest.mark.parametrize("text", ["5", "5/m", "0/s", "-1/s", "fast", "5 /s"])
def test_any_other_rate_limit_is_a_usage_error(
    text: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["fuzz", "quoparts", "--base-url", "http://127.0.0.1:9/q", "--rate-limit", text])
    assert exited.value.code == 2
    assert "argument --rate-limit" in capsys.readouterr().err


# -- KeepIT's call window, waited out through the clock --------------------------------------
def test_keepit_429s_are_waited_out_through_the_clock_and_the_run_passes(tmp_path: Path) -> None:
    """One call per 60 s: the harness is refused again and again, waits exactly what each
    Retry-After asks (moving the fake's clock), sends again and passes; the oracle never sees
    a 429 it would have to explain."""
    har = tmp_path / "keepit.har"
    with MockServer({"keepit": {"rate_limit_calls": 1}}) as server:
        time = FakeTime(server)
        # Only a case the plug-in gives the account's credentials counts in the window, and
        # which ones it does is drawn: 8 cases per mode hold several whatever the draws (over
        # 40 seeds, 5 to 12 waits; with 3, nearly a third of the seeds had one or none).
        argv = [
            *("fuzz", "keepit", "--base-url", server.base_url("keepit")),
            *("--username", "demo", "--password", "demo", "--company-id", "1", "--site-id", "1"),
            *("--max-examples", "8", "--rate-limit", "2/s", "--record", str(har)),
        ]
        out = io.StringIO()
        args = build_parser().parse_args(argv)
        status = run_harness(args, out, sleep=time.sleep, clock=time.clock)
        # Each call the account's window held (every one not refused 401), oldest first: the
        # probe went through; every later call was refused once, then sent again and taken.
        held = [e["status"] for e in reversed(server.requests(vendor="keepit"))]
        held = [s for s in held if s != 401]
    assert status == 0, out.getvalue()
    taken, refused = held[::2], held[1::2]
    assert 429 not in taken and refused == [429] * (len(taken) - 1), held
    answers = [e["response"] for e in json.loads(har.read_text())["log"]["entries"]]
    asked = [
        int(h["value"])
        for a in answers
        if a["status"] == 429
        for h in a["headers"]
        if h["name"].lower() == "retry-after"
    ]
    assert len(asked) == len(refused) >= 2, "the window filled more than once"
    assert [s for s in time.slept if s != 0.5] == asked  # the rest is the 2/s pace
    assert f"waited out {len(asked)} answer(s) 429 (Retry-After, {sum(asked)} s" in out.getvalue()
    assert "all checks passed" in out.getvalue()


# -- baseline and report ---------------------------------------------------------------------
def quoparts(server: MockServer, *extra: str) -> list[str]:
    return [
        *("fuzz", "quoparts", "--base-url", server.base_url("quoparts")),
        *("--username", "demo", "--password", "demo", "--max-examples", "2", *extra),
    ]


def test_the_baseline_accepts_known_failures_fails_on_new_ones_and_reports_fixed_ones(
    mockserver: MockServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    baseline = tmp_path / "fuzz-baseline.json"
    mockserver.fault(vendor="quoparts", operation="importPvt", kind="status", status=404)

    assert main(quoparts(mockserver, "--baseline", str(baseline))) == 1  # no file yet: all new
    assert "NEW:   importPvt[positive] status_code_conformance" in capsys.readouterr().out

    assert main(quoparts(mockserver, "--baseline", str(baseline), "--update-baseline")) == 0
    accepted = json.loads(baseline.read_text())["accepted"]
    keys = {(e["vendor"], e["operation"], e["mode"], e["check"]) for e in accepted}
    assert ("quoparts", "importPvt", "positive", "status_code_conformance") in keys
    assert {e["operation"] for e in accepted} == {"importPvt"}

    junit = tmp_path / "fuzz.xml"
    assert main(quoparts(mockserver, "--baseline", str(baseline), "--junit-xml", str(junit))) == 0
    out = capsys.readouterr().out
    assert "known: importPvt[positive] status_code_conformance (in the baseline)" in out
    assert re.search(r"failed check\(s\): 0 new, \d+ known", out)
    # The JUnit file agrees with the exit status: a known failure is listed, not failed.
    suite = ET.parse(junit).getroot()
    assert suite.findall(".//failure") == [] and suite[0].get("failures") == "0"
    listed = "".join(o.text or "" for o in suite.iter("system-out"))
    assert "known failures (accepted by the baseline)" in listed and "token=***" in listed

    mockserver.reset()
    mockserver.fault(vendor="quoparts", operation="importCli", kind="malformed")
    assert main(quoparts(mockserver, "--baseline", str(baseline))) == 1
    out = capsys.readouterr().out
    assert "NEW:   importCli[positive] response_matches_contract" in out
    assert "fixed: importPvt[positive] status_code_conformance (in the baseline" in out


def finding(operation: str, mode: str, check: str) -> Finding:
    return Finding(operation, mode, check, "title", f"{check} failed", "curl …", 500)


def operation_report(operation: str, mode: str, *checks: str) -> OperationReport:
    report = OperationReport(operation, mode, cases=2)
    for check in checks:
        report.add(finding(operation, mode, check))
    return report


def test_a_baseline_update_keeps_notes_other_vendors_and_what_did_not_complete(
    tmp_path: Path,
) -> None:
    path = tmp_path / "baseline.json"
    accepted = {
        baseline.Key("quoparts", "login", "positive", "old_check"): {"note": "ticket 12"},
        baseline.Key("quoparts", "importCli", "positive", "kept_check"): {"note": "ticket 7"},
        baseline.Key("quoparts", "importPvt", "negative", "not_run"): {"note": ""},
        baseline.Key("xtra", "login", "positive", "other_vendor"): {"note": ""},
    }
    for key, entry in accepted.items():
        entry.update(vendor=key.vendor, operation=key.operation, mode=key.mode, check=key.check)
    reports = [
        operation_report("login", "positive"),
        operation_report("importCli", "positive", "kept_check", "new_check"),
        operation_report("importPvt", "positive", "cut_check"),  # the budget ran out here
    ]
    ran = baseline.completed(reports, cut=True)
    result = baseline.compare(accepted, "quoparts", reports, ran)
    assert [f.check for f in result.new] == ["new_check", "cut_check"]
    assert [f.check for f in result.known] == ["kept_check"]
    assert [k.check for k in result.fixed] == ["old_check"]

    baseline.write(path, accepted, "quoparts", reports, ran)
    stored = baseline.load(path)
    assert {k.check: e["note"] for k, e in stored.items()} == {
        "kept_check": "ticket 7",
        "new_check": "",
        "cut_check": "",
        "not_run": "",
        "other_vendor": "",
    }
    assert stored[baseline.Key("quoparts", "importCli", "positive", "new_check")]["message"] == (
        "new_check failed"
    )


@pytest.mark.parametrize("content", ["[]", '{"format": 2, "accepted": []}', "not json"])
def test_an_unreadable_baseline_is_a_usage_error(
    content: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "baseline.json"
    path.write_text(content)
    argv = ["fuzz", "quoparts", "--base-url", "http://127.0.0.1:9/quoparts"]
    assert main([*argv, "--username", "u", "--password", "p", "--baseline", str(path)]) == 2
    assert "not a fuzz baseline" in capsys.readouterr().err


@pytest.mark.parametrize("extra", [[], ["--baseline", "b.json", "--dry-run"]])
def test_update_baseline_needs_a_baseline_and_a_run_that_sends(
    extra: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ["fuzz", "quoparts", "--base-url", "http://127.0.0.1:9/quoparts", "--update-baseline"]
    assert main([*argv, "--username", "u", "--password", "p", *extra]) == 2
    assert "--update-baseline needs --baseline FILE" in capsys.readouterr().err


class Page(HTMLParser):
    """The text of a page, and every attribute that could fetch something."""

    def __init__(self) -> None:
        super().__init__()
        self.text: list[str] = []
        self.tags: set[str] = set()
        self.fetching: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.add(tag)
        self.fetching += [f"{k}={v}" for k, v in attrs if k in ("src", "href", "action")]

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def test_the_masked_curl_repeats_bytes_that_are_not_utf8_as_sent() -> None:
    """Masking reads a body as text: one that is not UTF-8 (a negative case) came back with
    replacement marks, so the report's line sent other bytes than the failing case."""
    raw = b"\xd4\xdb\xd8\x9b\xc8\x8a\x05~"
    request = RealRequest("POST", "http://sandbox.invalid/xtra/api", [], {}, raw)
    assert masked_curl(request) == request.as_curl()
    assert "--data-raw $'\\xd4\\xdb" in masked_curl(request)
    secret = RealRequest("POST", "http://sandbox.invalid/x", [], {}, b'{"Password":"pw-123456"}')
    assert '"Password":"***"' in masked_curl(secret)


def test_the_report_is_one_self_contained_page_with_each_failure_its_check_and_curl(
    mockserver: MockServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    mockserver.fault(vendor="quoparts", operation="importPvt", kind="status", status=404)
    page = tmp_path / "report" / "fuzz.html"
    assert main(quoparts(mockserver, "--report", str(page))) == 1
    html = page.read_text("utf-8")
    parsed = Page()
    parsed.feed(html)
    text = "".join(parsed.text)
    assert "mockservers fuzz quoparts: " in text and "failed check(s)" in text
    assert "importPvt[positive] — status_code_conformance" in text
    assert "quoparts_error_codes" in text and "HTTP status404" in text
    curl = (
        f"curl -sS -X POST '{mockserver.base_url('quoparts')}/ws_quoparts.php?importPvt=&token=***'"
    )
    assert curl in text, "the curl line, its token masked"
    assert "script" not in parsed.tags and parsed.fetching == []
    urls = set(re.findall(r"https?://[^\s'\"<>]+", html))
    assert urls and all(u.startswith(mockserver.base_url("quoparts")) for u in urls), urls


# -- HAR --------------------------------------------------------------------------------------
SECRET_KEYS = {"TOKEN", "Token", "RefreshToken", "token", "COD_PWD", "AccessToken"}


def _secrets_in(value: Any) -> list[str]:
    """The values under secret names in a JSON answer (tokens a login issued, passwords)."""
    found: list[str] = []
    if isinstance(value, dict):
        for key, item in value.items():
            if key in SECRET_KEYS and isinstance(item, str | int):
                found.append(str(item))
            else:
                found += _secrets_in(item)
    elif isinstance(value, list):
        for item in value:
            found += _secrets_in(item)
    return found


HAR_RUNS = {
    "quoparts": ["--username", "alice", "--password", "Quo-S3cret-pw"],
    "xtra": [
        *("--public-key", "acme-public", "--secret-key", "Xtra-S3cret-key"),
        *("--username", "mario", "--password", "Xtra-S3cret-pw"),
    ],
    "keepit": [
        *("--username", "alice", "--password", "Keep-S3cret-pw"),
        *("--company-id", "7", "--site-id", "3"),
    ],
    "tsdigital": [],
}


@pytest.mark.parametrize("vendor", sorted(HAR_RUNS))
def test_a_recorded_har_meets_the_har_schema_and_holds_no_secret(
    vendor: str,
    accounts_server: MockServer,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from contracts import contract
    from fuzz.recording import HarFile

    seen: list[Exchange] = []
    original = HarFile.add
    monkeypatch.setattr(HarFile, "add", lambda self, e: (seen.append(e), original(self, e)))
    path = tmp_path / f"{vendor}.har"
    argv = [
        *("fuzz", vendor, "--base-url", accounts_server.base_url(vendor), *HAR_RUNS[vendor]),
        *("--max-examples", "2", "--record", str(path)),
    ]
    assert main(argv) == 0
    text = path.read_text("utf-8")
    document = json.loads(text)
    assert contract("har/har").check(document) == []
    assert len(document["log"]["entries"]) == len(seen) > 4
    issued = [s for e in seen if e.response is not None for s in _secrets_in(e.response.json())]
    given = [v for k, v in itertools.pairwise(argv) if k in ("--password", "--secret-key")]
    assert issued or vendor == "keepit", "the run obtained tokens"
    leaked = [secret for secret in [*issued, *given] if secret in text]
    assert leaked == []
    for entry, exchange in zip(document["log"]["entries"], seen, strict=True):
        assert exchange.response is not None
        assert entry["request"]["bodySize"] == len(exchange.request.content)
        assert entry["response"]["bodySize"] == exchange.response.num_bytes_downloaded


def test_a_recorded_answer_keeps_its_size_on_the_wire_and_each_side_its_version(
    tmp_path: Path,
) -> None:
    """A gzip answer from an HTTP/1.0 server: ``bodySize`` as it came (the decoded size stood
    for it), ``content.size`` decoded, and the request's version its own request line's (the
    answer's stood for it). An answer made in memory never came over a wire: its size there
    is not known (-1)."""
    from datetime import UTC, datetime

    from contracts import contract
    from fuzz.recording import HarFile
    from tests.proxying import WireUpstream, gzip_in_http_1_0

    answer = json.dumps({"errorCode": "0", "error": "", "data": [{"COD_CLI": "000001"}] * 30})
    sent, packed = gzip_in_http_1_0(answer.encode())
    recording = HarFile(tmp_path / "run.har")
    with WireUpstream(sent) as upstream, httpx.Client(trust_env=False) as client:
        url = f"{upstream.url}/quoparts/ws_quoparts.php?importCli=&token=t"
        request = client.build_request("POST", url, json={"data": [{"COD_CLI_ERP": "C1"}]})
        recording.add(Exchange(request, client.send(request), datetime.now(UTC), 1.0))
    made = httpx.Response(200, headers={"content-encoding": "gzip"}, content=packed)
    recording.add(Exchange(request, made, datetime.now(UTC), 1.0))
    document = json.loads(recording.write("run").read_text("utf-8"))
    assert contract("har/har").check(document) == []
    (received,) = upstream.received
    wire, in_memory = document["log"]["entries"]
    assert wire["request"]["httpVersion"].encode() == received.request_line[2] == b"HTTP/1.1"
    assert wire["request"]["bodySize"] == len(received.body) > 0
    assert wire["response"]["httpVersion"] == "HTTP/1.0"
    assert wire["response"]["bodySize"] == len(packed)
    assert wire["response"]["content"]["size"] == len(answer) > len(packed)
    assert wire["response"]["content"]["compression"] == len(answer) - len(packed)
    assert in_memory["response"]["bodySize"] == -1
    assert in_memory["response"]["content"]["size"] == len(answer)
    assert "compression" not in in_memory["response"]["content"]


def test_the_har_is_written_even_when_the_run_stops_early(
    accounts_server: MockServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "failed.har"
    argv = ["fuzz", "quoparts", "--base-url", accounts_server.base_url("quoparts")]
    argv += ["--username", "alice", "--password", "Wrong-S3cret-pw", "--record", str(path)]
    assert main(argv) == 2
    assert "cannot authenticate" in capsys.readouterr().err
    text = path.read_text("utf-8")
    (entry,) = json.loads(text)["log"]["entries"]
    assert entry["request"]["url"].endswith("login=&username=alice&password=***")
    assert "Wrong-S3cret-pw" not in text


def test_a_run_stopped_by_sigterm_writes_what_it_found_and_exits_130(
    accounts_server: MockServer,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """A CI job cancelled or timed out sends SIGTERM: the run stops as on Ctrl-C, and the
    recording, the JUnit file and the report hold what ran until then (none was written)."""
    import os
    import signal

    from fuzz.recording import HarFile

    original, sent, before = HarFile.add, [], signal.getsignal(signal.SIGTERM)

    def add(self: HarFile, exchange: Exchange) -> None:
        original(self, exchange)
        sent.append(exchange)
        if len(sent) == 12:  # the login, then some cases
            os.kill(os.getpid(), signal.SIGTERM)

    monkeypatch.setattr(HarFile, "add", add)
    har, junit, page = tmp_path / "run.har", tmp_path / "junit.xml", tmp_path / "run.html"
    argv = ["fuzz", "quoparts", "--base-url", accounts_server.base_url("quoparts")]
    argv += [*HAR_RUNS["quoparts"], "--max-examples", "20", "--record", str(har)]
    assert main([*argv, "--junit-xml", str(junit), "--report", str(page)]) == 130
    (summary,) = [line for line in capsys.readouterr().out.splitlines() if " cases, " in line]
    assert ": interrupted; in the operations that finished, all checks passed" in summary
    assert len(json.loads(har.read_text("utf-8"))["log"]["entries"]) >= 12
    assert ET.parse(junit).getroot() is not None and page.exists()
    assert signal.getsignal(signal.SIGTERM) == before  # the process's own handler, back


# -- a sandbox that misbehaves: small stand-in servers on a socket ----------------------------
def answer(status: int, body: Any, *headers: tuple[str, str]) -> bytes:
    """An HTTP/1.1 answer with ``body`` as JSON (bytes: as they are). It says the connection
    closes, as a :class:`WireUpstream` closes it: the client sent its next call on it when it
    had not yet seen the close, and a busy machine made that a case failing ``transport``."""
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    head = [f"HTTP/1.1 {status} Whatever", "Content-Type: application/json", "Connection: close"]
    head += [f"{name}: {value}" for name, value in headers]
    head.append(f"Content-Length: {len(raw)}")
    return ("\r\n".join(head) + "\r\n\r\n").encode() + raw


KEEPIT_PASSWORD = "Keep-S3cret-pw"
KEEPIT_ARGS = [
    *("--username", "alice", "--password", KEEPIT_PASSWORD),
    *("--company-id", "7", "--site-id", "3"),
]
PROBE = b'{"subjectsRecords": []}'


def keepit_quoting_the_password(received: Received) -> bytes:
    """The probe answered as the vendor does; any other call, whatever credentials it carried,
    a 500 quoting the account's password."""
    if received.body == PROBE:
        return answer(400, {"success": False, "code": 400, "message": "subjectsRecords vuoto"})
    message = f"Errore interno: password {KEEPIT_PASSWORD} scaduta"
    return answer(500, {"success": False, "code": 500, "message": message})


def keepit_echoing_the_password(received: Received) -> bytes:
    """As :func:`keepit_quoting_the_password` for the probe and the calls with the account's
    password; any other call refused."""
    if received.body == PROBE or f"password: {KEEPIT_PASSWORD}\r\n".encode() in received.head:
        return keepit_quoting_the_password(received)
    return answer(401, {"success": False, "code": 401, "message": "Credenziali non valide."})


def reproduced_passwords(out: str) -> set[str]:
    """The password headers of the reproduce: lines."""
    return set(re.findall(r"-H 'password: ([^']*)'", out))


def test_a_password_the_vendor_echoes_is_blotted_out_of_every_output(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The HAR blotted it, but the console, the report, the JUnit file and the baseline (which
    the docs say to commit) quoted the 500's body as it came."""
    outputs = {
        "--report": tmp_path / "e.html",
        "--junit-xml": tmp_path / "e.xml",
        "--record": tmp_path / "e.har",
        "--baseline": tmp_path / "baseline.json",
    }
    with WireUpstream(keepit_quoting_the_password) as sandbox:
        argv = ["fuzz", "keepit", "--base-url", sandbox.base_url("keepit"), *KEEPIT_ARGS]
        argv += [
            "--max-examples",
            "2",
            *itertools.chain(*[(k, str(v)) for k, v in outputs.items()]),
        ]
        assert main([*argv, "--update-baseline"]) == 0
    said = capsys.readouterr()
    assert "FAILED no_server_error (HTTP 500" in said.out
    assert "Errore interno: password *** scaduta" in said.out
    assert reproduced_passwords(said.out) == {"***"}, "the reproduce: lines mask it too"
    for path in outputs.values():
        text = path.read_text("utf-8")
        assert "scaduta" in text or path.suffix == ".har", path
        assert KEEPIT_PASSWORD not in text, path
    assert KEEPIT_PASSWORD not in said.out + said.err
    accepted = json.loads(outputs["--baseline"].read_text("utf-8"))["accepted"]
    assert any("password *** scaduta" in entry["message"] for entry in accepted)


def test_with_show_secrets_the_reproduce_lines_carry_the_credentials(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """A console's output goes into CI logs: the real password only when asked for."""
    with WireUpstream(keepit_echoing_the_password) as sandbox:
        argv = ["fuzz", "keepit", "--base-url", sandbox.base_url("keepit"), *KEEPIT_ARGS]
        # Only a call with the account's password fails, and which cases carry it is drawn:
        # 5 cases per mode hold some whatever the draws (over 40 seeds, 2 to 8; with 2, a
        # quarter of the seeds had none).
        assert main([*argv, "--max-examples", "5", "--show-secrets"]) == 1
    out = capsys.readouterr().out
    assert reproduced_passwords(out) == {KEEPIT_PASSWORD}
    assert "Errore interno: password *** scaduta" in out, "the messages stay blotted"


def test_a_token_the_vendor_echoes_is_blotted_out_too(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A token learned from the login's answer, quoted back by a 500 (``token … non valido``)."""
    token = "TOKEN-1234567890abc"

    def quoparts(received: Received) -> bytes:
        if b"login=" in received.request_line[1]:
            return answer(200, {"errorCode": "0", "error": "", "data": [{"TOKEN": token}]})
        return answer(500, {"errorCode": "500", "error": f"token {token} non valido", "data": []})

    out, page, junit = _failed_quoparts_run(quoparts, tmp_path, capsys)
    assert "token *** non valido" in out
    for text in (out, page, junit):
        assert token not in text and "Quo-S3cret-pw" not in text


def test_a_token_the_vendor_echoes_php_escaped_is_blotted_out(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """PHP's JSON writes ``/`` as ``\\/``: a base64 token quoted so was none of the spellings
    searched for, and showed in the console, the report and the JUnit file."""
    token = "Zm9v/YmFy+cXV4LXRva2Vu"
    escaped = token.replace("/", "\\/").encode()

    def quoparts(received: Received) -> bytes:
        if b"login=" in received.request_line[1]:
            return answer(
                200, b'{"errorCode":"0","error":"","data":[{"TOKEN":"' + escaped + b'"}]}'
            )
        return answer(500, b'{"errorCode":"500","error":"token ' + escaped + b' non valido"}')

    out, page, junit = _failed_quoparts_run(quoparts, tmp_path, capsys)
    assert "token *** non valido" in out
    for text in (out, page, junit):
        assert "Zm9v" not in text


def test_a_usage_problem_quoting_the_answer_blots_the_password_out(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """The probe's refusal is quoted on standard error: ``Password errata: <password>``."""
    refusal = {"success": False, "code": 401, "message": f"Password errata: {KEEPIT_PASSWORD}"}
    with WireUpstream(answer(401, refusal)) as sandbox:
        argv = ["fuzz", "keepit", "--base-url", sandbox.base_url("keepit"), *KEEPIT_ARGS]
        assert main(argv) == 2
    err = capsys.readouterr().err
    assert "keepit refused the probe (HTTP 401)" in err and "Password errata: ***" in err
    assert KEEPIT_PASSWORD not in err


def straddling(*cuts: int) -> bytes:
    """A body that is not JSON, the password at each of ``cuts`` 7 bytes before it: a quote
    cut there, before the blotting, showed its first 7 characters."""
    body, password = b"", KEEPIT_PASSWORD.encode()
    for cut in cuts:
        body += b"e" * (cut - 7 - len(body)) + password
    return body + b"e" * 20


def test_a_password_a_quote_cuts_in_two_is_blotted_out_before_the_cut(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The checks quote an answer's first 300 (a 5xx) or 200 (not JSON) bytes; blotted after
    the cut, a password the cut split was not found, and its start showed in the console, the
    report, the JUnit file and the baseline."""
    outputs = {
        "--report": tmp_path / "e.html",
        "--junit-xml": tmp_path / "e.xml",
        "--baseline": tmp_path / "baseline.json",
    }
    failing = answer(500, straddling(200, 300))

    def keepit(received: Received) -> bytes:
        return keepit_quoting_the_password(received) if received.body == PROBE else failing

    with WireUpstream(keepit) as sandbox:
        argv = ["fuzz", "keepit", "--base-url", sandbox.base_url("keepit"), *KEEPIT_ARGS]
        argv += [
            "--max-examples",
            "1",
            *itertools.chain(*[(k, str(v)) for k, v in outputs.items()]),
        ]
        assert main([*argv, "--update-baseline"]) == 0
    out = capsys.readouterr().out
    assert "FAILED no_server_error (HTTP 500" in out and "the answer is not JSON: b'eee" in out
    for text in [out, *(path.read_text("utf-8") for path in outputs.values())]:
        assert "eee***eee" in text and KEEPIT_PASSWORD[:6] not in text


def test_a_refusal_quoted_on_standard_error_is_blotted_out_before_the_cut(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """The probe's refusal is quoted up to 200 characters: a password the cut split showed."""
    with WireUpstream(answer(401, straddling(200))) as sandbox:
        argv = ["fuzz", "keepit", "--base-url", sandbox.base_url("keepit"), *KEEPIT_ARGS]
        assert main(argv) == 2
    err = capsys.readouterr().err
    assert "keepit refused the probe (HTTP 401): eee" in err
    assert KEEPIT_PASSWORD[:6] not in err and err.rstrip().endswith("eee***eeee…(227 characters)")


XTRA_KEYS = ["--public-key", "acme-public", "--secret-key", "Xtra-S3cret-key"]
NOT_GZIP = answer(200, b"this is not gzip", ("Content-Encoding", "gzip"))


def test_a_long_answer_is_quoted_by_its_start_in_every_output(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A stand-in XTRA answering a 200 KB ``message`` (a stack trace), the secret key at its
    end: jsonschema's messages and the plug-in's quoted it whole, a 200,200-character console
    line and a 1.2 MB report."""
    message = "y" * 200_000 + " key=Xtra-S3cret-key " + "z" * 10
    long = answer(200, {"statusCode": 200, "errorCode": None, "message": message, "result": None})
    outputs = {"--report": tmp_path / "l.html", "--junit-xml": tmp_path / "l.xml"}
    with WireUpstream(long) as sandbox:
        argv = ["fuzz", "xtra", "--base-url", sandbox.base_url("xtra"), *XTRA_KEYS]
        argv += [
            "--max-examples",
            "1",
            *itertools.chain(*[(k, str(v)) for k, v in outputs.items()]),
        ]
        assert main(argv) == 1
    out = capsys.readouterr().out
    assert "FAILED" in out and f"…({len(message) + 2:,} characters)" in out
    # The quotes of the answer, not the lengths of lines or files: a reproduce: line carries
    # the generated request whole, however long the draw made it.
    for text in [out, *(path.read_text("utf-8") for path in outputs.values())]:
        quoted = re.findall("y{100,}", text)
        assert quoted and max(map(len, quoted)) < 3000, [len(q) for q in quoted]
    assert "Xtra-S3cret-key" not in out + "".join(p.read_text("utf-8") for p in outputs.values())


def test_a_body_that_does_not_decode_is_a_failed_check_not_a_crash(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """``Content-Encoding: gzip`` over bytes that are not: httpx's DecodingError is no
    TransportError, and the run ended in a Hypothesis traceback, exit 1, no report, no JUnit,
    an empty HAR."""
    har, junit, page = tmp_path / "bx.har", tmp_path / "bx.xml", tmp_path / "bx.html"
    with WireUpstream(NOT_GZIP) as sandbox:
        argv = ["fuzz", "xtra", "--base-url", sandbox.base_url("xtra"), *XTRA_KEYS]
        argv += ["--max-examples", "2", "--record", str(har), "--junit-xml", str(junit)]
        assert main([*argv, "--report", str(page)]) == 1
        sent = len(sandbox.received)
    out = capsys.readouterr().out
    assert "FAILED content_encoding (HTTP 200, 2 case(s)): HTTP 200 with a body that is not" in out
    assert "DecodingError" in out and "Traceback" not in out
    assert ET.parse(junit).getroot().findall(".//failure") and page.exists()
    entries = json.loads(har.read_text("utf-8"))["log"]["entries"]
    assert len(entries) == sent > 0
    assert {e["response"]["status"] for e in entries} == {200}
    assert all(e["comment"].startswith("its body could not be read: ") for e in entries)


def test_a_probe_answered_with_a_body_that_does_not_decode_is_a_usage_problem(
    capsys: pytest.CaptureFixture[str],
) -> None:
    with WireUpstream(NOT_GZIP) as sandbox:
        argv = ["fuzz", "keepit", "--base-url", sandbox.base_url("keepit"), *KEEPIT_ARGS]
        assert main(argv) == 2
    err = capsys.readouterr().err
    assert "cannot authenticate against" in err and "DecodingError" in err


# -- KeepIT's 429: without Retry-After its call window; one that never ends, a stop ----------
def keepit_run(server: MockServer, time: FakeTime, *extra: str) -> tuple[int, str]:
    argv = [
        *("fuzz", "keepit", "--base-url", server.base_url("keepit")),
        *("--username", "demo", "--password", "demo", "--company-id", "1", "--site-id", "1"),
        *("--max-examples", "2", *extra),
    ]
    out = io.StringIO()
    status = run_harness(build_parser().parse_args(argv), out, sleep=time.sleep, clock=time.clock)
    return status, out.getvalue()


def keepit_limited_then(server: MockServer, times: int) -> Callable[[Received], bytes]:
    """KeepIT answering its first ``times`` calls with a 429 that has no Retry-After (the
    vendor documents none; the fake's own 429s, a fault's too, say one), and every later call
    as ``server``'s fake does (relayed to it)."""
    limited = answer(429, {"success": False, "code": 429, "message": "Troppe richieste"})
    left = itertools.count(times, -1)

    def keepit(received: Received) -> bytes:
        if next(left) > 0:
            return limited
        method, target, _ = received.request_line
        lines = received.head.decode("latin-1").split("\r\n")[1:]
        headers = [tuple(line.split(": ", 1)) for line in lines if line]
        kept = [(k, v) for k, v in headers if k.lower() not in ("host", "content-length")]
        relayed = httpx.request(
            method.decode(), server.url + target.decode(), headers=kept, content=received.body
        )
        return answer(relayed.status_code, relayed.content)

    return keepit


def test_a_keepit_429_without_retry_after_waits_out_the_vendors_window(
    mockserver: MockServer,
) -> None:
    """The vendor documents only "a limit of 100 calls"; Retry-After is the kit's assumption.
    A bare 429 got no back-off at all: every later case went at once, and failed."""
    from fuzz.plugins.keepit import Plugin as KeepIt
    from mockservers.keepit.settings import KeepItSettings

    time = FakeTime(mockserver)
    with WireUpstream(keepit_limited_then(mockserver, 2)) as sandbox:
        argv = ["fuzz", "keepit", "--base-url", sandbox.base_url("keepit"), "--max-examples", "2"]
        argv += ["--username", "demo", "--password", "demo", "--company-id", "1", "--site-id", "1"]
        out = io.StringIO()
        args = build_parser().parse_args(argv)
        status = run_harness(args, out, sleep=time.sleep, clock=time.clock)
    said = out.getvalue()
    assert status == 0, said
    window = KeepItSettings().rate_limit_window_seconds
    assert KeepIt.window_seconds == window == 60  # the vendor's window, the fake's default
    assert time.slept == [window, window]  # the probe waited twice, then the cases ran
    assert "waited out 2 answer(s) 429 (Retry-After, or the vendor's call window for 2" in said
    assert "all checks passed" in said


def test_a_keepit_429_that_does_not_end_stops_the_run_and_says_so(
    mockserver: MockServer, capsys: pytest.CaptureFixture[str]
) -> None:
    mockserver.fault(vendor="keepit", kind="status", status=429)
    time = FakeTime(mockserver)
    status, out = keepit_run(mockserver, time)
    assert status == 2 and len(out.splitlines()) == 1  # the opening line: no case ran
    assert time.slept == [60, 60, 60] and len(mockserver.requests(vendor="keepit")) == 4
    err = capsys.readouterr().err
    assert "no case can be sent to" in err and "still answered 429 after 3 retries" in err


def test_a_run_the_429s_catch_up_with_stops_instead_of_hammering(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Each refused call may count in the vendor's window: going on kept it full. The stop is
    no verdict: it said "stopped: …", then "all checks passed", exit 0, and the JUnit file had
    one passing test."""
    limited = answer(429, {"success": False, "code": 429, "message": "Troppe richieste"})

    def keepit(received: Received) -> bytes:
        return keepit_echoing_the_password(received) if received.body == PROBE else limited

    junit, time, out = tmp_path / "limited.xml", FakeTime(), io.StringIO()
    with WireUpstream(keepit) as sandbox:
        argv = ["fuzz", "keepit", "--base-url", sandbox.base_url("keepit"), *KEEPIT_ARGS]
        args = build_parser().parse_args([*argv, "--max-examples", "2", "--junit-xml", str(junit)])
        status = run_harness(args, out, sleep=time.sleep, clock=time.clock)
        sent = len(sandbox.received)
    said = out.getvalue()
    assert status == 2, said
    assert sent == 1 + 4 and time.slept == [60, 60, 60]  # the probe, one case and its retries
    assert "still answered 429 after 3 retries (180 s waited in all)" in said
    assert "insertClient_v3[positive]           0 cases  ok (the run stopped here)" in said
    assert re.search(
        r"\n0 cases, 5 requests sent, [0-9.]+ s: incomplete, stopped by the server; in what "
        r"ran, all checks passed\n$",
        said,
    )
    assert "FAILED" not in said, "the last 429 is judged by no check"
    err = capsys.readouterr().err
    assert err.startswith("mockservers fuzz: the run is incomplete, its verdict is only on what")
    suite = ET.parse(junit).getroot()[0]
    assert suite.get("errors") == "1" and suite.get("failures") == "0"
    assert (suite.get("tests"), suite.get("skipped")) == ("2", "1")  # as many as a whole run
    case, never_ran = suite.iter("testcase")
    (error,) = case.iter("error")
    assert error.get("type") == "incomplete"
    assert "still answered 429 after 3 retries" in error.get("message", "")
    assert never_ran.get("name") == "insertClient_v3[negative]"
    assert [(c.tag, c.text, c.attrib) for c in never_ran] == [
        ("skipped", "not run: the run was stopped by the server", {})  # junit-4.xsd: text only
    ]


# -- a sandbox that does not answer, or only a byte at a time --------------------------------
def test_timeout_bounds_each_call_whole_even_a_trickling_answer(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """httpx's timeout of 30 s bounded each wait alone: an answer sent a byte at a time held
    each case for as long as the server liked (45 s for a 40-byte body)."""
    head = b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 100000\r\n\r\n"
    har = tmp_path / "slow.har"
    with WireUpstream(head, trickle=0.05) as sandbox:
        argv = ["fuzz", "xtra", "--base-url", sandbox.base_url("xtra"), *XTRA_KEYS]
        argv += ["--max-examples", "1", "--timeout", "0.3", "--record", str(har)]
        assert main(argv) == 1
    out = capsys.readouterr().out
    assert "FAILED transport (HTTP 0, 1 case(s)): no whole answer within 0.3 s (--timeout)" in out
    times = [e["time"] for e in json.loads(har.read_text("utf-8"))["log"]["entries"]]
    assert len(times) == 4 and all(300 <= t < 10_000 for t in times), times


@pytest.mark.parametrize(
    ("vendor", "credentials"),
    [("xtra", XTRA_KEYS), ("tsdigital", ["--token", "a-token-of-the-sandbox"])],
)
def test_a_server_that_never_answers_the_first_request_is_a_usage_problem(
    vendor: str, credentials: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    """No login, no probe: every case ran into the wall (30 s each) and the run exited 1, a
    "check failed"."""
    with WireUpstream(b"", hold=True) as silent:
        argv = ["fuzz", vendor, "--base-url", silent.base_url(vendor), *credentials]
        assert main([*argv, "--max-examples", "2", "--timeout", "0.2"]) == 2
        assert len(silent.received) == 1
    said = capsys.readouterr()
    assert said.err.strip() == (
        f"mockservers fuzz: cannot reach {silent.base_url(vendor)}: "
        "no whole answer within 0.2 s (--timeout)"
    )


def test_a_refused_first_request_is_a_usage_problem(capsys: pytest.CaptureFixture[str]) -> None:
    from tests.servers import free_port

    url = f"http://127.0.0.1:{free_port()}/xtra"
    assert main(["fuzz", "xtra", "--base-url", url, *XTRA_KEYS]) == 2
    err = capsys.readouterr().err
    assert f"mockservers fuzz: cannot reach {url}: ConnectError" in err


@pytest.mark.parametrize("timeout", ["0", "-1", "soon"])
def test_a_timeout_that_is_no_time_limit_is_a_usage_error(
    timeout: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["fuzz", "xtra", "--base-url", "http://127.0.0.1:9/xtra", "--timeout", timeout])
    assert exited.value.code == 2 and "argument --timeout" in capsys.readouterr().err


# -- credentials beyond ASCII ------------------------------------------------------------------
ACCENTED = {
    "keepit": {
        "accounts": [
            {"username": "négozio", "password": "Sup3rSecrétKI", "company_id": "7", "site_id": "1"}
        ]
    },
    "xtra": {"accounts": [{"name": "acme", "public_key": "acmé", "secret_key": "Sécret-kéy"}]},
}
ACCENTED_ARGS = {
    "keepit": [
        *("--username", "négozio", "--password", "Sup3rSecrétKI"),
        *("--company-id", "7", "--site-id", "1"),
    ],
    "xtra": ["--public-key", "acmé", "--secret-key", "Sécret-kéy"],
}


@pytest.fixture(scope="module")
def accented_server() -> Iterator[MockServer]:
    with MockServer(ACCENTED) as server:
        yield server


@pytest.mark.parametrize("vendor", sorted(ACCENTED_ARGS))
@pytest.mark.parametrize("dry_run", [False, True])
def test_credentials_beyond_ascii_go_as_utf8_headers(
    vendor: str, dry_run: bool, accented_server: MockServer, capsys: pytest.CaptureFixture[str]
) -> None:
    """httpx encodes a text header as ASCII: a password "Sup3rSecrétKI" was a traceback (exit
    1), even with --dry-run. Sent as UTF-8, as the TS Digital admin token already was, the
    fake (which reads headers as UTF-8) takes them."""
    argv = ["fuzz", vendor, "--base-url", accented_server.base_url(vendor), *ACCENTED_ARGS[vendor]]
    argv += ["--max-examples", "2", *(["--dry-run", "--show-secrets"] if dry_run else [])]
    accented_server.clear_requests()
    assert main(argv) == 0
    out = capsys.readouterr().out
    assert ("nothing sent or checked" if dry_run else "all checks passed") in out
    if dry_run:
        assert ACCENTED_ARGS[vendor][3] in out  # printed as given, asked for
    else:  # the account's calls were served as its own: KeepIT's probe, which always carries
        # the credentials given (its empty records refused only once they are taken), and
        # XTRA's positive updates, which always carry the key pair given
        tenant, status = {"keepit": ("7/1", 400), "xtra": ("acme", 200)}[vendor]
        assert accented_server.count(vendor=vendor, tenant=tenant, status=status) > 0


# -- a sandbox with its own CA -------------------------------------------------------------------
def test_cacert_trusts_a_sandboxs_own_ca_for_fuzz_and_replay(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """httpx trusts certifi's roots, not the system's: a sandbox behind its own CA (here
    ``serve --tls-self-signed``'s) was refused, and only an undocumented SSL_CERT_FILE helped."""
    from tests.servers import serving

    folder, har = tmp_path / "tls", tmp_path / "run.har"
    with serving("--tls-self-signed", str(folder), scheme="https") as served:
        url = f"{served.url}/quoparts"
        argv = ["fuzz", "quoparts", "--base-url", url, "--username", "demo", "--password", "demo"]
        assert main([*argv, "--max-examples", "1"]) == 2
        refused = capsys.readouterr().err
        assert "CERTIFICATE_VERIFY_FAILED" in refused and "--cacert FILE" in refused

        ca = str(folder / "ca.pem")
        trusted = [*argv, "--max-examples", "1", "--cacert", ca, "--record", str(har)]
        assert main(trusted) == 0
        assert "all checks passed" in capsys.readouterr().out

        replay = ["replay", str(har), "--base-url", url]
        assert main(replay) == 2
        assert "CERTIFICATE_VERIFY_FAILED" in capsys.readouterr().err
        main([*replay, "--cacert", ca])
        said = capsys.readouterr()
        assert f"exchanges against {url}" in said.out and said.err == ""


@pytest.mark.parametrize("command", ["fuzz", "replay"])
def test_a_cacert_that_holds_no_certificate_is_a_usage_error(
    command: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    junk = tmp_path / "ca.pem"
    junk.write_text("not a certificate")
    first = ["quoparts"] if command == "fuzz" else [str(junk)]
    argv = [command, *first, "--base-url", "https://127.0.0.1:9/quoparts", "--cacert", str(junk)]
    with pytest.raises(SystemExit) as exited:
        main(argv)
    assert exited.value.code == 2 and "argument --cacert" in capsys.readouterr().err


# -- interrupted, stopped early, answered by the proxy -------------------------------------------
def test_an_interrupt_during_the_login_still_writes_the_report_and_the_junit_file(
    accounts_server: MockServer,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """A CI step publishing fuzz.xml found none: the login's interrupt skipped every output."""
    import os
    import signal

    from fuzz.recording import HarFile

    original = HarFile.add

    def add(self: HarFile, exchange: Exchange) -> None:
        original(self, exchange)
        os.kill(os.getpid(), signal.SIGTERM)  # as the login's answer comes

    monkeypatch.setattr(HarFile, "add", add)
    har, junit, page = tmp_path / "run.har", tmp_path / "junit.xml", tmp_path / "run.html"
    argv = ["fuzz", "quoparts", "--base-url", accounts_server.base_url("quoparts")]
    argv += [*HAR_RUNS["quoparts"], "--record", str(har), "--junit-xml", str(junit)]
    assert main([*argv, "--report", str(page)]) == 130
    out = capsys.readouterr().out
    assert "interrupted before the first case" in out and "0 cases, 1 requests sent" in out
    suite = ET.parse(junit).getroot()[0]
    assert (suite.get("tests"), suite.get("skipped")) == ("6", "6") and page.exists()
    skipped = {s.text for s in suite.iter("skipped")}
    assert skipped == {"not run: the run was interrupted"}
    assert len(json.loads(har.read_text("utf-8"))["log"]["entries"]) == 1


def test_the_call_in_flight_at_an_interrupt_is_in_the_recording(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """It was counted as sent, and may have changed the sandbox's data, but the HAR left it out
    ("13 requests sent", "recorded 12 exchange(s)")."""
    import os
    import signal

    def interrupting(received: Received) -> bytes:
        os.kill(os.getpid(), signal.SIGTERM)  # the request came whole; no answer goes back
        return b""

    har = tmp_path / "run.har"
    with WireUpstream(interrupting, hold=True) as sandbox:
        argv = ["fuzz", "xtra", "--base-url", sandbox.base_url("xtra"), *XTRA_KEYS]
        assert main([*argv, "--max-examples", "2", "--record", str(har)]) == 130
    out = capsys.readouterr().out
    assert "0 cases, 1 requests sent" in out and "recorded 1 exchange(s)" in out
    (entry,) = json.loads(har.read_text("utf-8"))["log"]["entries"]
    assert entry["comment"] == "no complete answer: interrupted before its answer came"
    assert entry["request"]["url"] == f"{sandbox.base_url('xtra')}/api/sync/v1/login"


def test_a_502_the_proxy_made_is_no_answer_and_the_vendor_cannot_be_reached(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Through ``mockservers proxy`` with its upstream down, every case was the vendor's
    failure (exit 1, ``--update-baseline`` wrote them all, turning those checks off), the
    proxy's reason only noted: as for a dead port, it is ``cannot reach``, exit 2."""
    from mockservers.proxy import create_proxy_app
    from tests.servers import embedded, free_port

    path = tmp_path / "baseline.json"
    upstream = f"http://127.0.0.1:{free_port()}/xtra"
    with embedded(create_proxy_app({"xtra": upstream})) as kit:
        argv = ["fuzz", "xtra", "--base-url", f"{kit}/xtra", *XTRA_KEYS, "--max-examples", "2"]
        assert main([*argv, "--baseline", str(path), "--update-baseline"]) == 2
    said = capsys.readouterr()
    assert said.err.startswith(
        f"mockservers fuzz: cannot reach {kit}/xtra: 502 made by the kit, not the vendor: "
        f"{upstream}: ConnectError"
    )
    assert "FAILED" not in said.out and not path.exists()


def test_a_502_the_proxy_made_after_the_vendor_answered_leaves_the_run_incomplete(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The upstream gone after the probe: each case was judged a failure of the vendor's."""
    reason = "https://sandbox.example/keepit: ReadTimeout"
    made = answer(502, {"success": False, "code": 502}, ("X-Mockservers-Detail", reason))

    def keepit(received: Received) -> bytes:
        return keepit_quoting_the_password(received) if received.body == PROBE else made

    path, junit = tmp_path / "baseline.json", tmp_path / "fuzz.xml"
    with WireUpstream(keepit) as kit:
        argv = ["fuzz", "keepit", "--base-url", kit.base_url("keepit"), *KEEPIT_ARGS]
        argv += ["--max-examples", "2", "--junit-xml", str(junit), "--baseline", str(path)]
        assert main([*argv, "--update-baseline"]) == 2
        assert len(kit.received) == 2  # the probe, and the case it stopped at
    said = capsys.readouterr()
    stopped = (
        f"cannot reach {kit.base_url('keepit')}: 502 made by the kit, not the vendor: {reason}"
    )
    assert f"stopped: {stopped}" in said.out and "FAILED" not in said.out
    assert said.err.strip().endswith(stopped) and "incomplete" in said.err
    assert not path.exists()
    (error,) = ET.parse(junit).getroot().iter("error")
    assert error.get("message") == f"incomplete: stopped by the server: {stopped}"


def test_an_injected_502_of_a_fake_is_still_judged(
    mockserver: MockServer, capsys: pytest.CaptureFixture[str]
) -> None:
    """A fake's status fault carries the kit's detail too, but there the fake is the vendor."""
    mockserver.fault(vendor="xtra", operation="updateIdentities", kind="status", status=502)
    argv = ["fuzz", "xtra", "--base-url", mockserver.base_url("xtra"), "--max-examples", "1"]
    assert main([*argv, "--public-key", "demo-public", "--secret-key", "demo-secret"]) == 1
    assert "FAILED no_server_error (HTTP 502" in capsys.readouterr().out


def test_tsdigital_through_a_proxy_forwarding_it_asks_for_a_token(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """The tokens were minted by the proxy's own fake, which the real upstream does not know:
    every case a 401, reported as the sandbox's failures."""
    from mockservers.proxy import create_proxy_app
    from tests.servers import embedded

    refusal = answer(401, {"code": "401", "message": "token sconosciuto", "subErrors": []})
    with WireUpstream(refusal) as upstream:
        with embedded(create_proxy_app({"tsdigital": upstream.base_url("tsdigital")})) as kit:
            argv = ["fuzz", "tsdigital", "--base-url", f"{kit}/tsdigital", "--max-examples", "2"]
            assert main(argv) == 2
        assert upstream.received == []
    assert capsys.readouterr().err == (
        f"mockservers fuzz: cannot authenticate against {kit}/tsdigital: the kit at {kit} "
        "forwards tsdigital to a real upstream: give --token\n"
    )


# -- a stop forced by the sandbox's 429: no verdict ------------------------------------------
QUOPARTS_TOKEN = "TOKEN-1234567890abc"


def quoparts_limited(*limit: tuple[str, str]) -> Callable[[Received], bytes]:
    """A QuoParts sandbox that takes the first call, the harness's login, and answers every
    other 429 (``limit``: its headers)."""
    calls = itertools.count()

    def sandbox(received: Received) -> bytes:
        if next(calls) == 0:
            token = {"errorCode": "0", "error": "", "data": [{"TOKEN": QUOPARTS_TOKEN}]}
            return answer(200, token)
        return answer(429, {"errorCode": "429", "error": "Troppe richieste", "data": []}, *limit)

    return sandbox


def test_a_run_the_429s_stop_is_incomplete_and_writes_no_baseline(tmp_path: Path) -> None:
    """The last 429 was judged (QuoParts answers 200, so every check failed on it) and
    --update-baseline wrote those failures in: the checks were off from then on."""
    path, junit, page = tmp_path / "baseline.json", tmp_path / "fuzz.xml", tmp_path / "run.html"
    time, out = FakeTime(), io.StringIO()
    with WireUpstream(quoparts_limited(("Retry-After", "1"))) as sandbox:
        argv = [
            "fuzz",
            "quoparts",
            "--base-url",
            sandbox.base_url("quoparts"),
            *HAR_RUNS["quoparts"],
        ]
        argv += ["--max-examples", "3", "--junit-xml", str(junit), "--report", str(page)]
        argv += ["--baseline", str(path), "--update-baseline"]
        status = run_harness(
            build_parser().parse_args(argv), out, sleep=time.sleep, clock=time.clock
        )
        assert len(sandbox.received) == 1 + 4  # the login, one case and its 3 retries
    said = out.getvalue()
    assert status == 2, said
    assert time.slept == [1, 1, 1] and "FAILED" not in said and "baseline updated" not in said
    assert not path.exists()
    parsed = Page()
    parsed.feed(page.read_text("utf-8"))
    text = "".join(parsed.text)
    assert "mockservers fuzz quoparts: incomplete, stopped by the server" in text
    assert "Incomplete: still answered 429 after 3 retries (3 s waited in all)" in text
    suite = ET.parse(junit).getroot()[0]
    assert [e.get("type") for e in suite.iter("error")] == ["incomplete"]


def test_429s_without_a_retry_after_stop_the_run_instead_of_going_on_at_full_speed(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """XTRA's 429 has no call window to wait: each was judged, and the next case went at once
    (61 requests in 4 s, 56 after the first 429)."""
    limited = answer(429, {"statusCode": 429, "errorCode": "ER.LIMIT", "message": "Troppe"})
    with WireUpstream(limited) as sandbox:
        argv = ["fuzz", "xtra", "--base-url", sandbox.base_url("xtra"), *XTRA_KEYS]
        assert main([*argv, "--max-examples", "10"]) == 2
        assert len(sandbox.received) == LIMITED_IN_A_ROW
    said = capsys.readouterr()
    assert "(HTTP 429, 2 case(s))" in said.out, "the ones before the stop are judged"
    assert "stopped: answered 429 3 times in a row, the last without a Retry-After" in said.out
    assert "the run is incomplete" in said.err


@pytest.mark.parametrize(
    ("vendor", "credentials", "budget", "before"),
    [
        ("quoparts", ["--username", "demo", "--password", "demo"], "1", 1),
        ("tsdigital", [], "5", 5),  # the kit's health, four mints
        (
            "keepit",
            ["--username", "u", "--password", "p", "--company-id", "1", "--site-id", "1"],
            "1",
            1,
        ),
    ],
)
def test_a_budget_the_login_alone_spends_is_a_usage_problem(
    vendor: str,
    credentials: list[str],
    budget: str,
    before: int,
    mockserver: MockServer,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """``--budget 1`` sent the login, ran no case and passed: "0 cases, 1 requests sent: all
    checks passed", exit 0."""
    argv = ["fuzz", vendor, "--base-url", mockserver.base_url(vendor), *credentials]
    assert main([*argv, "--budget", budget]) == 2
    assert capsys.readouterr().err == (
        f"mockservers fuzz: --budget {budget} leaves no request for a case: {vendor} sends "
        f"{before} before them with these credentials (see docs/fuzzing.md)\n"
    )
    assert mockserver.requests() == []


def test_a_budget_of_one_is_enough_where_nothing_goes_before_the_cases(
    mockserver: MockServer, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ["fuzz", "xtra", "--base-url", mockserver.base_url("xtra"), "--budget", "1"]
    assert main([*argv, "--public-key", "demo-public", "--secret-key", "demo-secret"]) == 0
    assert "1 cases, 1 requests sent" in capsys.readouterr().out


# -- a deadline passed before the connection opened ------------------------------------------
def test_a_connection_opened_after_the_deadline_is_cut_as_it_opens(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A name lookup slower than --timeout (glibc's 5 s when the first DNS server is down): the
    cut found no socket, the one opened after it was never shut down, and a server sending a
    byte at a time held the call until its whole answer came."""
    import socket
    import threading

    from fuzz.deadline import Deadline
    from fuzz.target import CallFailed

    cut, resolve, real_cut = threading.Event(), socket.getaddrinfo, Deadline._cut

    def cutting(self: Deadline, call: Any) -> None:
        real_cut(self, call)
        cut.set()

    def slow_lookup(*args: Any, **kwargs: Any) -> Any:
        assert cut.wait(10), "the deadline never passed"
        return resolve(*args, **kwargs)

    monkeypatch.setattr(Deadline, "_cut", cutting)
    monkeypatch.setattr(socket, "getaddrinfo", slow_lookup)
    head = b"HTTP/1.1 200 OK\r\ncontent-length: 40\r\n\r\n"  # 40 spaces, one every 0.05 s
    with WireUpstream(head, trickle=0.05) as sandbox, httpx.Client() as client:
        target = Target(QuoParts.demo(), sandbox.url, client, timeout=0.2)
        with pytest.raises(CallFailed) as failed:
            target.send(RealRequest("GET", f"{sandbox.url}/quoparts/ws_quoparts.php", []))
    assert failed.value.check == "transport"
    assert str(failed.value) == "no whole answer within 0.2 s (--timeout)"


# -- a 429's wait interrupted ----------------------------------------------------------------
def test_a_429_wait_interrupted_is_not_reported_as_waited_out(mockserver: MockServer) -> None:
    """The wait was counted before it began: a run stopped by SIGTERM 3 s into KeepIT's 60 s
    said "waited out 1 answer(s) 429 (… 60 s in all) and sent them again", though it had
    waited 3 s and sent nothing again."""

    class Interrupted(FakeTime):
        def sleep(self, seconds: float) -> None:
            raise KeyboardInterrupt  # as SIGTERM does, during the wait

    mockserver.fault(vendor="keepit", kind="status", status=429, times=1)
    status, out = keepit_run(mockserver, Interrupted(mockserver))
    assert status == 130, out
    assert "interrupted before the first case" in out and "waited out" not in out
    assert "0 cases, 1 requests sent" in out


# -- credentials in the base URL -------------------------------------------------------------
@pytest.mark.parametrize("userinfo", ["gw:Gateway-S3cret@", "gw@", ":Gateway-S3cret@"])
def test_a_base_url_with_credentials_in_it_is_a_usage_error(
    userinfo: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """httpx sent them as Basic auth, which no vendor takes, and the password was in the
    console's first line, every HAR entry and the report, though the Authorization header
    was masked. (``mockservers replay`` takes them, for a sandbox behind Basic auth, as the
    proxy's ``--upstream`` does: tests/kit/test_replay.py.)"""
    url = f"http://{userinfo}127.0.0.1:9/quoparts"
    argv = ["fuzz", "quoparts", "--base-url", url, "--username", "demo", "--password", "demo"]
    try:
        status = main(argv)
    except SystemExit as exited:  # fuzz's argument parser
        status = exited.code
    assert status == 2
    err = capsys.readouterr().err
    assert "--base-url: credentials in the URL (user:password@host) are refused" in err
    assert "give them with the credential options (--username, --password" in err
    assert "Gateway-S3cret" not in err


# -- a dry run's lines ---------------------------------------------------------------------------
DRY_RUNS = {
    "quoparts": (
        ["--username", "alice", "--password", "Quo-S3cret-pw"],
        "password=***",
        "token=%24QUOPARTS_TOKEN",
    ),
    "keepit": (KEEPIT_ARGS, "-H 'password: ***'", "-H 'username: alice'"),
    "xtra": (
        ["--username", "alice", "--password", "Xtra-S3cret-pw"],
        '"Password":"***"',
        "-H 'AccessToken: $XTRA_TOKEN'",
    ),
}
"""Per vendor: credentials, how the login shows the password masked, what a dry run shows
either way (the placeholder where a token goes is no secret)."""


@pytest.mark.parametrize("vendor", sorted(DRY_RUNS))
@pytest.mark.parametrize("show_secrets", [False, True])
def test_a_dry_run_masks_the_credentials_unless_show_secrets(
    vendor: str, show_secrets: bool, capsys: pytest.CaptureFixture[str]
) -> None:
    """A PR job running --dry-run to show what would be sent put the password in its log,
    though the reproduce: lines mask it and the CI advice says that, without --show-secrets,
    the log holds no secret."""
    credentials, masked, shown = DRY_RUNS[vendor]
    secrets = [value for value in credentials if "S3cret" in value]
    argv = ["fuzz", vendor, "--base-url", f"http://127.0.0.1:9/{vendor}", *credentials]
    argv += ["--max-examples", "1", "--dry-run", *(["--show-secrets"] if show_secrets else [])]
    assert main(argv) == 0
    out = capsys.readouterr().out
    login = out.splitlines()[1]  # the login's (the probe's) request, with the credentials given
    if show_secrets:
        assert all(secret in out for secret in secrets) and masked not in login
    else:
        assert masked in login and not any(secret in out for secret in secrets)
    assert shown in out


def _failed_quoparts_run(
    sandbox: Callable[[Received], bytes], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> tuple[str, str, str]:
    """A QuoParts run against ``sandbox`` that fails its checks: the console, the report and
    the JUnit file, as text."""
    page, junit = tmp_path / "q.html", tmp_path / "q.xml"
    with WireUpstream(sandbox) as upstream:
        argv = ["fuzz", "quoparts", "--base-url", upstream.base_url("quoparts")]
        argv += ["--username", "alice", "--password", "Quo-S3cret-pw", "--max-examples", "2"]
        assert main([*argv, "--report", str(page), "--junit-xml", str(junit)]) == 1
    return capsys.readouterr().out, page.read_text("utf-8"), junit.read_text("utf-8")
