"""TS Digital request handling: the checks of createItem in the order the fake runs them.

1. ``Authorization`` bearer token missing, unknown or expired: 401.
2. Standard headers (``X-App-Name``, ``X-App-Version``, a UUID ``X-Request-ID``) and
   ``Content-Type: application/json``: 400, one ``subErrors`` entry per problem.
3. Malformed JSON: 400 (raised by ``call.json()``, rendered by the vendor).
4. The body against ``tsdigital/createItem.request``: 400, one entry per violation.
5. The seed's consistency rules (ownerIds with noOwnership, certified without validated), which
   the contract also holds (its root ``not``s): 400, once the body is otherwise well-formed, in
   the rules' own words.
6. Permissions: 403, one entry per missing permission.
7. Accepted: 202 ``{"id"}``; the item is PROCESSING until the processing delay has passed. A
   ``processing_failure`` fault is used up once the item's id is held: by an accepted item only.

A body is validated (steps 3-5) before permissions are looked at, as a service that validates
its request model before running the operation does.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import lru_cache

from starlette.responses import Response

from contracts import Violation, contract
from contracts.rules import broken_rule, structural
from mockservers.core.call import Call
from mockservers.core.coverage import met
from mockservers.core.explain import MISSING, diagnosis, field_path, phrase
from mockservers.core.http import JSONResponse, header_text
from mockservers.tsdigital import coverage
from mockservers.tsdigital.errors import PHRASES, SubError, sub_error
from mockservers.tsdigital.models import DEFAULT_FAILURE, TsDigitalModel

_REQUEST = contract("tsdigital/createItem.request")
_HEADERS = contract("tsdigital/createItem.headers")
HEADER_NAMES = tuple(_HEADERS.schema["properties"])
# Each standard header by its contract name and by the lower-case name the call keys it by.
_HEADER_KEYS = tuple((name, name.lower()) for name in HEADER_NAMES)
JSON = "application/json"
_READ = {key.encode(): key for key in (*(key for _, key in _HEADER_KEYS), "content-type")}
"""The headers createItem reads, by their lower-case name as sent and as text."""
_text = lru_cache(maxsize=64)(header_text)
"""A header's value as text, decoded once per distinct value: a connector sends the same
token, application name and version on every call."""
PROCESSING_FAILURE = "processing_failure"


def describe(violation: Violation) -> SubError:
    """One ``subErrors`` entry naming the field (for a missing field, the field itself), and in
    Italian what is wrong with it."""
    where = field_path(violation, "body")
    return sub_error(where, phrase(violation, PHRASES, field=where))


def rule_diagnosis(violations: list[Violation]) -> str:
    """The broken rules by name, for the detail header (the validator would dump the body)."""
    names = [str(rule) for v in violations if (rule := broken_rule(_REQUEST, v)) is not None]
    return "body: breaks " + "; ".join(names) if names else diagnosis(violations)


def headers_read(call: Call) -> dict[str, str]:
    """The headers createItem reads (the standard ones and Content-Type) by lower-case name,
    decoded as ``call.headers`` decodes them, a repeated header's first value. Only these are
    decoded: every header of the call (Host, Content-Length, a client's own) cost about as much
    as all of createItem's header checks."""
    read = _READ
    raw = reversed(call.scope["headers"])  # reversed: a repeated header's first value wins
    return {name: _text(value) for key, value in raw if (name := read.get(key)) is not None}


def authorization(call: Call) -> str:
    """The ``Authorization`` header as text ("" when there is none), its first value: whose
    call it is, read before createItem's other headers."""
    for key, value in call.scope["headers"]:
        if key == b"authorization":
            return _text(value)
    return ""


def standard_headers(sent: Mapping[str, str]) -> dict[str, str]:
    """The standard headers among those sent (by lower-case name), named and ordered as in the
    contract."""
    return {name: sent[key] for name, key in _HEADER_KEYS if key in sent}


def is_json(content_type: str) -> bool:
    """``application/json``, parameters and case aside."""
    return content_type == JSON or content_type.split(";", 1)[0].strip().lower() == JSON


def header_problems(call: Call, headers: dict[str, str], content_type: str) -> list[SubError]:
    """One ``subErrors`` entry per standard header that breaks the contract, then one for a
    Content-Type that is not JSON (400, all together)."""
    violations = _HEADERS.check(headers)
    json_body = is_json(content_type)
    if not violations and json_body:
        return []  # the common call: nothing to describe
    if violations:
        met(coverage.STANDARD_HEADERS)
        call.explain(f"headers: {diagnosis(violations, 'headers')}")
    problems = [describe(v) for v in violations]
    if not json_body:
        met(coverage.CONTENT_TYPE)
        problems.append(_content_type_problem(call, content_type))
    return problems


def _content_type_problem(call: Call, content_type: str) -> SubError:
    """A Content-Type that is not JSON; one absent (or empty) is missing, as another standard
    header is (it read ``non ''``)."""
    if not content_type:
        call.explain("headers: Content-Type is missing (application/json expected)")
        return sub_error("Content-Type", PHRASES[MISSING].format(field="Content-Type"))
    sent = repr(content_type[:100])  # cut, then quoted: the closing quote stays
    call.explain(f"headers: Content-Type {sent} is not application/json")
    return sub_error("Content-Type", f"Il Content-Type deve essere application/json, non {sent}")


def processing_failure(call: Call) -> str | None:
    """The reason a ``processing_failure`` fault gives the item this call is accepting, the
    fault used up; None without one."""
    fault = call.take_fault(PROCESSING_FAILURE)
    return None if fault is None else (fault.reason or DEFAULT_FAILURE)


def create_item(model: TsDigitalModel, call: Call) -> Response:
    sent = headers_read(call)
    caller = model.caller(sent.get("authorization"))
    model.settle(caller.tenant)
    headers = standard_headers(sent)
    problems = header_problems(call, headers, sent.get("content-type", ""))
    if problems:
        raise model.error(400, problems)
    body = call.json()
    violations = _REQUEST.check(body)
    if violations:
        shape = structural(_REQUEST, violations)
        if shape:
            met(coverage.INVALID_BODY)
            raise model.error(400, [describe(v) for v in shape], diagnosis(shape))
        raise model.error(400, model.broken_rules(body), rule_diagnosis(violations))
    denied = model.denied(caller, body)
    if denied:
        raise model.error(403, denied)
    headers.pop("Authorization", None)
    item_id = model.accept(caller, body, headers, failure=lambda: processing_failure(call))
    return JSONResponse({"id": item_id}, status_code=202)
