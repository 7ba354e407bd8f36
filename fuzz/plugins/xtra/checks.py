"""XTRA-aware check: the answer a request deserves, predicted from the contracts.

Every XTRA answer is the envelope ``{statusCode, errorCode, message, result[, debug]}`` whose
``statusCode`` equals the HTTP status, and ``debug`` is there exactly when ``debug=true``. For
the request really sent (``response.request``), its body's names read in any case as ASP.NET
binds them (``contracts.binding``), the check works out which answers the vendor may give:

- whole-call errors: a query that breaks its contract (its names in any case, as ASP.NET binds
  them), a body that is not JSON (login: not ``login.request``; irs/update: not an array of
  objects) are 400 ``ER.IR.INVAL``; no credentials, half a key pair, the plug-in's public key
  with another secret, an AccessToken the plug-in did not obtain, and an AccessToken used
  beyond its own identity and user (another ``ID``, as a number or its text, an insert,
  another user, a contact form; a malformed ``ID`` is left to its record) are 403.
  Credentials the plug-in was not given may be good (``fuzz.credentials``): another key pair,
  and any login but the plug-in's own sent without keys (users are looked up in every
  account, and the run creates users), may get 200 or 403. When a request breaks
  several rules any of their statuses will do (the contracts set no order);
- otherwise HTTP 200, and for irs/update one ``Item1..Item6`` per record in request order: a
  record that breaks its context's schema (``defs/identity`` or, with ``contactForm=true``,
  ``defs/contactFormIdentity``) or whose ``Password`` differs from ``ConfirmPassword`` is
  ``ER.IR.INVAL``; any other record succeeds or fails only with a code its shape allows
  (``ER.IR.NOFOUND`` needs an ``ID``, ``ER.IR.EXISTS`` an insert with an ``ExternalKey``...);
  ``Item1``/``Item2`` echo the ``ID`` and the key sent (``EMail_Surname_Name`` for a contact
  form), and ``Item5``/``Item6`` are keyed by each destination's/contact's ``ExternalKey`` or
  index.

Without an active target (a plain Schemathesis run) credentials are unknown: a 403 is then
allowed wherever a 200 is.
"""

from __future__ import annotations

import json
import math
import re
from collections import Counter
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import schemathesis
from schemathesis import Case, Response
from schemathesis.checks import CheckContext

from contracts import contract
from contracts.binding import body_names, bound_body
from contracts.messages import bound_query, request_contract
from fuzz import target as targets
from fuzz.checks import json_or_fail
from fuzz.credentials import Known, judge
from fuzz.quoting import quoted, quoted_value
from fuzz.schema import operation_id

OK, BAD_REQUEST, FORBIDDEN = 200, 400, 403
INVALID, UNHANDLED = "ER.IR.INVAL", "ER.IR.UNERR"
NOT_FOUND, EXISTS, INSERT_FAILED = "ER.IR.NOFOUND", "ER.IR.EXISTS", "ER.IR.INS"
DOC_EXISTS, DOC_NOT_IMPORTED, DOC_UNHANDLED = "ER.DOC.EXISTS", "ER.DOC.RNOIMPORT", "ER.DOC.UNERR"
_RECORD = {False: contract("xtra/defs/identity"), True: contract("xtra/defs/contactFormIdentity")}
_OUTCOME = contract("xtra/defs/recordResult")
KEY_HEADERS = ("SyncPublicKey", "SyncSecretKey")
_QUERY = {
    "login": contract("xtra/login.query"),
    "updateIdentities": contract("xtra/updateIdentities.query"),
}


@schemathesis.check
def xtra_error_codes(ctx: CheckContext, response: Response, case: Case) -> bool | None:
    """XTRA answers with the status, errorCode and per-record outcomes the contracts predict."""
    body = json_or_fail(response)
    if not isinstance(body, dict) or "statusCode" not in body:
        raise AssertionError(f"not an XTRA envelope: {quoted(body, 200)}")
    if body["statusCode"] != response.status_code:
        raise AssertionError(
            f"statusCode {quoted_value(body['statusCode'])} differs from the HTTP status "
            f"{response.status_code}"
        )
    request = response.request
    content = request.body or b""
    raw = content if isinstance(content, bytes) else content.encode()
    operation = operation_id(case.operation)
    sent = parse_qsl(urlsplit(request.url).query, keep_blank_values=True)
    query = bound_query(_QUERY[operation], sent)  # its names in any case, as ASP.NET binds them
    plugin = _plugin()
    if operation == "login":
        allowed = _login(query, raw, request.headers, plugin)
    else:
        allowed = _update(query, raw, request.headers, plugin)
    status = response.status_code
    if status not in allowed:
        raise AssertionError(
            f"{operation}: HTTP {status} {quoted_value(body.get('errorCode'))} "
            f"({quoted_value(body.get('message'))}), "
            f"expected HTTP {' or '.join(map(str, sorted(allowed)))}"
        )
    expected_code = {BAD_REQUEST: INVALID, 500: UNHANDLED}.get(status)
    if expected_code is not None and body.get("errorCode") != expected_code:
        raise AssertionError(f"HTTP {status} with errorCode {quoted_value(body.get('errorCode'))}")
    _debug(query, body)
    if status == OK and operation == "login":
        result = body["result"]
        if not isinstance(result, dict):
            raise AssertionError(f"login: HTTP 200 with result {quoted(result, 200)}")
        username = _read(raw, operation, query)["Username"]
        answered = result.get("Username")
        if answered != username:
            raise AssertionError(f"login as {username!r} answered for {quoted_value(answered)}")
        if plugin is not None and allowed == {OK}:
            # Its own login: later cases use this token, in case a new login revokes older ones.
            plugin.note_login(result)
    if status == OK and operation == "updateIdentities":
        _records(_read(raw, operation, query), body["result"], _true(query, "contactForm"))
    return None


def _plugin() -> Any:
    target = targets.active()
    return target.plugin if target is not None and target.plugin.vendor == "xtra" else None


def _true(query: dict[str, str], name: str) -> bool:
    return query.get(name, "").lower() == "true"


def _is_id(value: Any) -> bool:
    """An integer as the contracts count them: ``1`` and ``1.0``, never ``true``; and an
    infinity, read for a number past a double's range (``1e400``), whole as ``1e300`` is."""
    if isinstance(value, float):
        return value.is_integer() or math.isinf(value)
    return isinstance(value, int) and not isinstance(value, bool)


def _debug(query: dict[str, str], body: dict[str, Any]) -> None:
    wanted = _true(query, "debug")
    if wanted != ("debug" in body):
        state = "without" if wanted else "with"
        raise AssertionError(f"debug={query.get('debug')!r} answered {state} a debug block")


def _bad_query(operation: str, query: dict[str, str]) -> bool:
    names = _QUERY[operation].schema.get("properties", {})
    return not _QUERY[operation].is_valid({k: v for k, v in query.items() if k in names})


def _read(raw: bytes, operation: str, query: dict[str, str]) -> Any:
    """The body as the vendor reads it: parsed, each object's names as its contract spells
    them (in any case, as ASP.NET binds them: ``x-names-any-case``); ``_NOT_JSON`` if it is
    not JSON."""
    try:
        body = json.loads(raw)
    except ValueError:
        return _NOT_JSON
    return bound_body(body_names(request_contract("xtra", operation, query)), body)


_NOT_JSON = object()


def _keys(headers: Any, plugin: Any) -> Known | None:
    """What is known of the key pair sent (``None``: none sent). Half a pair is refused, as the
    headers contract wants both; the plug-in's public key with another secret is refused; any
    other pair may be another account's."""
    sent = {name: headers.get(name) for name in KEY_HEADERS}
    if all(value is None for value in sent.values()):
        return None
    if any(value is None for value in sent.values()):
        return Known.WRONG
    return judge(sent, plugin.key_pair, ("SyncPublicKey",))


def _refusals(known: Known | None) -> tuple[set[int], set[int]]:
    """(statuses required, statuses allowed) for credentials known that way; ``None``: none
    sent, which is refused (the caller's IP is assumed not to be authorised by itself)."""
    if known is None or known is Known.WRONG:
        return {FORBIDDEN}, set()
    if known is Known.UNKNOWN:
        return set(), {FORBIDDEN}
    return set(), set()


def _login(query: dict[str, str], raw: bytes, headers: Any, plugin: Any) -> set[int]:
    errors = set()
    if _bad_query("login", query):
        errors.add(BAD_REQUEST)
    body = _read(raw, "login", query)
    if body is _NOT_JSON or not contract("xtra/login.request").is_valid(body):
        errors.add(BAD_REQUEST)
    if plugin is None:
        return errors | {FORBIDDEN} if errors else {OK, FORBIDDEN}
    keys = _keys(headers, plugin)
    required, allowed = _refusals(keys) if keys is not None else (set(), set())
    errors |= required
    if BAD_REQUEST not in errors:
        # Only the plug-in's own login, sent without keys, must succeed: other credentials may
        # be a user of any account (the run's own updates create users too), and with keys the
        # user is looked up in that account only, which may not be the login's.
        login = {name: body.get(name) for name in ("Username", "Password")}
        if keys is not None or judge(login, plugin.login_body, None) is not Known.RIGHT:
            allowed.add(FORBIDDEN)
    return errors | allowed if errors else {OK} | allowed


def _update(query: dict[str, str], raw: bytes, headers: Any, plugin: Any) -> set[int]:
    errors: set[int] = set()
    allowed: set[int] = set()
    session = None
    if plugin is not None:
        token = headers.get("AccessToken")
        if token is not None:
            # A token the plug-in did not obtain is refused: tokens are random, so a generated
            # one is never live.
            session = plugin.sessions.get(token)
            if session is None:
                errors.add(FORBIDDEN)
        else:
            required, allowed = _refusals(_keys(headers, plugin))
            errors |= required
    if _bad_query("updateIdentities", query):
        errors.add(BAD_REQUEST)
    body = _read(raw, "updateIdentities", query)
    if not isinstance(body, list) or not all(isinstance(record, dict) for record in body):
        errors.add(BAD_REQUEST)
    elif session is not None and _beyond(session, body, _true(query, "contactForm")):
        errors.add(FORBIDDEN)
    if plugin is None:
        return errors | {FORBIDDEN} if errors else {OK, FORBIDDEN}
    return errors | allowed if errors else {OK} | allowed


def _beyond(session: Any, records: list[dict[str, Any]], contact_form: bool) -> bool:
    """An AccessToken caller reaching beyond its own identity and user."""
    if contact_form:
        return True
    for record in records:
        if _elsewhere(record.get("ID"), session.irid):
            return True
        users = record.get("Users")
        for user in users if isinstance(users, list) else []:
            if isinstance(user, dict) and _elsewhere(user.get("ID"), session.user_id):
                return True
    return False


def _elsewhere(value: Any, own: int) -> bool:
    """An ``ID`` that names no record or another one than ``own``: absent or ``null`` (an
    insert), another integer, or another integer's text (``"2"``, as .NET's binders read it). A
    malformed ID (``true``, ``2.5``, ``"x"``, ``"1"`` for ``1``) names none: ``ER.IR.INVAL``."""
    if value is None:
        return True
    if isinstance(value, str) and re.fullmatch(r"[+-]?[0-9]+", value):
        try:
            return int(value) != own
        except ValueError:  # too long for Python's int: no Int32 either
            return True
    return _is_id(value) and value != own


# -- per-record outcomes -----------------------------------------------------------------------
def _records(sent: list[dict[str, Any]], result: Any, contact_form: bool) -> None:
    answered = result.get("records") if isinstance(result, dict) else None
    if not isinstance(answered, list):
        raise AssertionError(f"irs/update: HTTP 200 with result {quoted(result, 200)}")
    if len(answered) != len(sent) or result.get("count") != len(sent):
        raise AssertionError(
            f"irs/update: {len(sent)} records sent, {len(answered)} outcomes "
            f"(count {quoted_value(result.get('count'))})"
        )
    for index, (record, outcome) in enumerate(zip(sent, answered, strict=True)):
        # What _record reads (Item1 a number, Item4 an object with a Code...) is the contract's.
        if not _OUTCOME.is_valid(outcome):
            raise AssertionError(
                f"irs/update record {index}: {quoted(outcome, 200)} breaks {_OUTCOME.name}"
            )
        problem = _record(record, outcome, contact_form)
        if problem:
            raise AssertionError(f"irs/update record {index}: {problem}")


def _record(record: dict[str, Any], outcome: dict[str, Any], contact_form: bool) -> str | None:
    code = None if outcome["Item3"] else outcome["Item4"]["Code"]
    allowed = _allowed_codes(record, contact_form)
    if code not in allowed:
        return f"{code or 'success'}, expected {' or '.join(sorted(map(str, allowed)))}"
    rid = record.get("ID") if _is_id(record.get("ID")) else None
    # A refused record echoes its ID (0 for an insert); an ID beyond what the vendor can even
    # read (over Int32: the record is ER.IR.INVAL) may come back as 0.
    echoed = {rid or 0, 0} if code == INVALID else {rid or 0}
    if (code is not None or rid is not None) and outcome["Item1"] not in echoed:
        return f"Item1 {outcome['Item1']}, the record was sent with ID {rid or 0}"
    if code is None and rid is None and outcome["Item1"] < 1:
        return f"inserted with Item1 {outcome['Item1']}"
    key = _key(record, contact_form)
    if (code is not None or key is not None) and outcome["Item2"] != key:
        return f"Item2 {quoted_value(outcome['Item2'])}, expected {key!r}"
    if code is None:
        extra = [str(len(record.get("Contacts") or []))] if contact_form else []
        for item, name, items in (("Item5", "Destinations", []), ("Item6", "Contacts", extra)):
            problem = _sub_ids(record.get(name) or [], outcome[item], items)
            if problem:
                return f"{item}: {problem}"
    return None


def _allowed_codes(record: dict[str, Any], contact_form: bool) -> set[str | None]:
    """The per-record codes the shape of a record allows (``None``: success)."""
    if not _RECORD[contact_form].is_valid(record):
        return {INVALID}
    users = record.get("Users") or []
    allowed: set[str | None] = {None, UNHANDLED}  # UNHANDLED: only with the fault record_error
    documents = record.get("IdentityDocuments") or []
    if _is_id(record.get("ID")) or any(_is_id(user.get("ID")) for user in users):
        allowed.add(NOT_FOUND)
    if _key(record, contact_form) is not None:
        if not contact_form:  # another identity's key: for an insert, and for an update too
            allowed.add(EXISTS)
        elif _is_id(record.get("ID")):  # the ID and the built key may name two identities
            allowed.add(INVALID)
    if any(not _is_id(user.get("ID")) for user in users):
        allowed.add(INSERT_FAILED)
    if any(_may_clash(d) for d in documents):
        allowed.add(DOC_EXISTS)
    if any(_is_id(d.get("ID")) for d in documents):
        allowed.add(DOC_NOT_IMPORTED)
    if documents:
        allowed.add(DOC_UNHANDLED)  # only with the vendor fault document_error
    if any(user["Password"] != user["ConfirmPassword"] for user in users):
        # refused: ER.IR.INVAL, or another rule the record breaks (the contracts set no order)
        return (allowed - {None}) | {INVALID}
    return allowed


def _may_clash(document: dict[str, Any]) -> bool:
    """Whether a document may take the typology and number of another (``ER.DOC.EXISTS``): one
    with a number, or an update that changes its typology and keeps the number it has."""
    if "Number" in document or not _is_id(document.get("ID")):
        return document.get("Number") not in (None, "")
    return "FIDDocumentTypology" in document


def _key(record: dict[str, Any], contact_form: bool) -> str | None:
    """Item2: the ExternalKey sent, or for a contact form ``EMail_Surname_Name``."""
    if contact_form:
        parts = [record.get(name) for name in ("EMail", "Surname", "Name")]
        return "_".join(parts) if all(isinstance(p, str) for p in parts) else None  # type: ignore[arg-type]
    key = record.get("ExternalKey")
    return key if isinstance(key, str) else None


def _sub_ids(items: list[dict[str, Any]], answered: dict[str, Any], extra: list[str]) -> str | None:
    """Keys: each item's ExternalKey or, without one (``""`` is none), its index; an item sent
    without ID got a new ID."""
    keys = [item.get("ExternalKey") for item in items]
    labels = [
        key if isinstance(key, str) and key else str(index) for index, key in enumerate(keys)
    ] + extra
    if set(answered) != set(labels):
        return f"keys {sorted(answered)}, expected {sorted(set(labels))}"
    counts = Counter(labels)
    for label, item in zip(labels, [*items, *({} for _ in extra)], strict=True):
        if counts[label] == 1 and not _is_id(item.get("ID")) and answered[label] is None:
            return f"{label!r} was sent without ID and got none"
    return None
