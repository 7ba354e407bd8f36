"""QuoParts-aware check: the answer a request deserves, predicted from the contracts.

Every documented QuoParts answer is HTTP 200; the outcome travels in ``errorCode``. For the
request really sent (``response.request``), the check works out what the vendor must say:

- login: a query that breaks ``login.query`` is ``"100"``; the plug-in's credentials give
  ``"0"``; its username with another password ``"101"``; other credentials may be another
  account's (``fuzz.credentials``): ``"0"`` or ``"101"``;
- importCli / importPvt: a token the plug-in did not obtain is ``"101"`` (the token is checked
  first); then a body that is not JSON, not an object or whose ``data`` is not an array is
  ``"100"``; importCli answers row by row (a row that breaks ``defs/customer`` is ``"100"``, the
  others ``"0"``, same count, ``COD_CLI_ERP`` echoed); importPvt is ``"100"`` when the body breaks
  ``importPvt.request``, otherwise ``"0"`` or ``"107"`` (unknown customer).

Without an active target (e.g. in a plain ``schemathesis`` run) tokens and credentials are
unknown, and only the rules that do not depend on them are checked. A successful login with the
plug-in's own credentials hands it the new token, which later cases then use.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import schemathesis
from schemathesis import Case, Response
from schemathesis.checks import CheckContext

from contracts import contract
from fuzz import target as targets
from fuzz.checks import json_or_fail
from fuzz.credentials import Known, judge
from fuzz.quoting import quoted, quoted_value
from fuzz.schema import operation_id

OK, BAD_REQUEST, NOT_ACCREDITED, QUOTE_FAILED = "0", "100", "101", "107"


@schemathesis.check
def quoparts_error_codes(ctx: CheckContext, response: Response, case: Case) -> bool | None:
    """QuoParts answers HTTP 200 with the errorCode the contracts predict for this request."""
    if response.status_code != 200:
        raise AssertionError(
            f"QuoParts answers every request with HTTP 200, got {response.status_code}"
        )
    body = json_or_fail(response)
    if not isinstance(body, dict) or not isinstance(body.get("errorCode"), str):
        raise AssertionError(f"not a QuoParts envelope: {quoted(body, 200)}")
    request = response.request
    query = dict(parse_qsl(urlsplit(request.url).query, keep_blank_values=True))
    content = request.body or b""
    raw = content if isinstance(content, bytes) else content.encode()
    plugin = _plugin()
    operation = operation_id(case.operation)
    if operation == "login":
        allowed = _login(query, plugin)
    else:
        allowed = _import(operation, query, raw, plugin, body)
    code = body["errorCode"]
    if code not in allowed:
        raise AssertionError(
            f"{operation}: errorCode {quoted_value(code)} ({quoted_value(body.get('error'))}), "
            f"expected one of {sorted(allowed)}"
        )
    if operation == "login" and allowed == {OK}:
        # Its own login succeeded: from now on the plug-in uses that token, in case the vendor
        # revokes older ones on a new login (the documents do not say it keeps them).
        plugin.note_login(body)
    return None


def _plugin() -> Any:
    target = targets.active()
    return target.plugin if target is not None and target.plugin.vendor == "quoparts" else None


def _login(query: dict[str, str], plugin: Any) -> set[str]:
    params = {k: query[k] for k in ("login", "username", "password") if k in query}
    if not contract("quoparts/login.query").is_valid(params):
        return {BAD_REQUEST}
    if plugin is None:
        return {OK, NOT_ACCREDITED}
    known = judge(params, plugin.credentials, ("username",))
    return {Known.RIGHT: {OK}, Known.WRONG: {NOT_ACCREDITED}}.get(known, {OK, NOT_ACCREDITED})


def _import(
    operation: str, query: dict[str, str], raw: bytes, plugin: Any, answer: dict[str, Any]
) -> set[str]:
    if plugin is not None and query.get("token") not in plugin.tokens:
        return {NOT_ACCREDITED}
    unknown_token = {NOT_ACCREDITED} if plugin is None else set()
    try:
        body = json.loads(raw)
    except ValueError:
        return {BAD_REQUEST} | unknown_token
    if operation == "importPvt":
        if not contract("quoparts/importPvt.request").is_valid(body):
            return {BAD_REQUEST} | unknown_token
        return {OK, QUOTE_FAILED} | unknown_token
    if not isinstance(body, dict) or not isinstance(body.get("data"), list):
        return {BAD_REQUEST} | unknown_token
    if answer.get("errorCode") == OK:
        _rows(body["data"], answer.get("data"))
    return {OK} | unknown_token


def _rows(sent: list[Any], answered: Any) -> None:
    """One outcome per row, in order: ``"100"`` for a row breaking defs/customer, else ``"0"``."""
    if not isinstance(answered, list) or not all(isinstance(o, dict) for o in answered):
        raise AssertionError(f"importCli: data {quoted_value(answered)} is no list of outcomes")
    if len(sent) != len(answered):
        raise AssertionError(f"importCli: {len(sent)} rows sent, {len(answered)} outcomes")
    customer = contract("quoparts/defs/customer")
    for index, (row, outcome) in enumerate(zip(sent, answered, strict=True)):
        expected = OK if customer.is_valid(row) else BAD_REQUEST
        if outcome.get("errorCode") != expected:
            raise AssertionError(
                f"importCli row {index}: errorCode {quoted_value(outcome.get('errorCode'))}, "
                f"expected {expected!r}"
            )
        if expected == OK and outcome.get("COD_CLI_ERP") != row["COD_CLI_ERP"]:
            raise AssertionError(f"importCli row {index}: COD_CLI_ERP not echoed")
