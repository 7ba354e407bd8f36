"""KeepIT-aware check: the answer a request deserves, predicted from the contracts.

For the request really sent (``response.request``), in the order the service checks a call
(``keepit/openapi.json``):

- ``cmd`` other than ``insertClient_v3``: HTTP 404 ``No alias found for '<cmd>'``;
- credential headers breaking ``insertClient_v3.headers``, or the plug-in's account
  (``username``, ``companyId``, ``siteId``) with another password: HTTP 401, ``code`` 401,
  ``success`` false. Other credentials may be another account's (``fuzz.credentials``): 401, or
  an answer judged as below (such a call does not count towards the plug-in's limit);
- over the call limit: HTTP 429, ``code`` 429, an integer ``Retry-After`` of at least 1 — and,
  where the plug-in makes every call with its credentials (the in-process suites; not a shared
  sandbox, where others' calls fill the same window), only once its own calls in the last window
  exceed the documented 100;
- a body that is not JSON, not an object, or whose ``subjectsRecords`` is missing, empty or not an
  array: HTTP 400, ``code`` 400, no record in any array;
- otherwise record by record (``records.judge_batch``): ``code 400`` and ``errorObjects`` for the
  records that break ``defs/record``, the documented rules for the others, and ``code`` agreeing
  with the arrays.

Without an active target (a plain ``schemathesis`` run) the credentials and the calls made are
unknown; the rules that do not depend on them are still checked. The harness waits out a 429
that carries a ``Retry-After`` and sends the request again (``fuzz.target``): such a 429 never
reaches this check, and the call is counted once, when its retry is answered.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import httpx
import schemathesis
from schemathesis import Case, Response
from schemathesis.checks import CheckContext

from contracts import contract
from fuzz import target as targets
from fuzz.checks import json_or_fail
from fuzz.credentials import Known, judge
from fuzz.plugins.keepit.records import OUTCOMES, judge_batch
from fuzz.quoting import quoted, quoted_value

COMMAND = "insertClient_v3"
RECORDS = "subjectsRecords"
HEADER_NAMES = ("username", "password", "companyId", "siteId")
ACCOUNT = ("username", "companyId", "siteId")  # what names a KeepIT account (and its window)


@schemathesis.check
def keepit_outcomes(ctx: CheckContext, response: Response, case: Case) -> bool | None:
    """KeepIT answers with the status and body the contracts predict for this request."""
    body = json_or_fail(response)
    if not isinstance(body, dict):
        raise AssertionError(f"not a KeepIT answer: {quoted(body, 200)}")
    request = response.request
    status = response.status_code
    query = dict(parse_qsl(urlsplit(request.url).query, keep_blank_values=True))
    if query.get("cmd") != COMMAND:
        _expect(status == 404, f"cmd {query.get('cmd')!r}: HTTP 404 expected, got {status}")
        _expect(
            body.get("message") == f"No alias found for '{query.get('cmd', '')}'",
            f"cmd {query.get('cmd')!r}: message {quoted_value(body.get('message'))}",
        )
        return None
    target = targets.active()
    plugin = _plugin()
    # Read as sent: a password beyond ASCII goes as UTF-8 (httpx would encode it as ASCII).
    headers = httpx.Headers(dict(request.headers), encoding="utf-8")
    authenticated = _authenticated(headers, plugin)
    if authenticated is False or (authenticated is None and status == 401):
        _call_error(status, body, 401, "credentials refused")
        return None
    counting = None
    if authenticated and target is not None:
        plugin.note_call(target.clock())
        counting = None if target.shared else plugin
    if status == 429:
        _rate_limited(response, body, counting, target)
        return None
    content = request.body or b""
    _judge_content(content if isinstance(content, bytes) else content.encode(), status, body)
    return None


def _plugin() -> Any:
    target = targets.active()
    return target.plugin if target is not None and target.plugin.vendor == "keepit" else None


def _authenticated(headers: httpx.Headers, plugin: Any) -> bool | None:
    """True: the plug-in's credentials; False: known to be refused (breaking the headers
    contract, or the plug-in's account with another password); None: they might be right."""
    sent = {name: headers[name] for name in HEADER_NAMES if name in headers}
    if not contract("keepit/insertClient_v3.headers").is_valid(sent):
        return False
    if plugin is None:
        return None
    known = judge(sent, plugin.headers, ACCOUNT)
    return {Known.RIGHT: True, Known.WRONG: False}.get(known)


def _call_error(status: int, body: dict[str, Any], expected: int, why: str) -> None:
    _expect(status == expected, f"{why}: HTTP {expected} expected, got {status}")
    _expect(
        body.get("code") == expected and body.get("success") is False,
        f"{why}: body {quoted(body, 200)} (code {expected}, success false expected)",
    )


def _rate_limited(response: Response, body: dict[str, Any], plugin: Any, target: Any) -> None:
    """A 429's shape; and, when ``plugin`` (counting every call of its credentials) is given,
    that the plug-in's own calls in the window exceed the documented limit."""
    _call_error(429, body, 429, "over the call limit")
    retry_after = response.headers.get("retry-after") or response.headers.get("Retry-After")
    value = retry_after[0] if isinstance(retry_after, list) else retry_after
    _expect(
        value is not None and value.isdigit() and int(value) >= 1,
        f"429 with Retry-After {quoted_value(value)} (whole seconds, at least 1, expected)",
    )
    if plugin is not None:
        made = plugin.calls_in_window(target.clock())
        _expect(
            made > plugin.call_limit,
            f"429 after only {made} call(s) in {plugin.window_seconds:g} s "
            f"(the limit is {plugin.call_limit})",
        )


def _judge_content(raw: bytes, status: int, answer: dict[str, Any]) -> None:
    try:
        sent = json.loads(raw)
    except ValueError:
        sent = None
        refused = "a body that is not JSON"
    else:
        refused = _unusable(sent)
    if refused is not None:
        _call_error(status, answer, 400, refused)
        _expect(
            not any(answer.get(k) for k in OUTCOMES),
            f"{refused}: HTTP 400 with records in the answer: {quoted(answer)}",
        )
        return
    judge_batch(sent[RECORDS], status, answer)


def _unusable(sent: Any) -> str | None:
    """Why the body as a whole is refused, or None when its records are looked at."""
    if not isinstance(sent, dict):
        return "a body that is not a JSON object"
    records = sent.get(RECORDS)
    if records is None or records == [] or not isinstance(records, list):
        return f"{RECORDS} missing, empty or not an array"
    return None


def _expect(condition: bool, message: str) -> None:
    if not condition:
        raise AssertionError(message)
