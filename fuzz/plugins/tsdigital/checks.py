"""TS Digital-aware check: the status and the ``subErrors`` a request deserves, from the contracts.

For the request really sent (``response.request``) the check runs the documented steps in order
(``tsdigital/openapi.json``'s description, docs/assumptions/tsdigital.md) and stops at the
first that applies:

1. a bearer token the plug-in does not hold: 401, ``subErrors`` naming ``Authorization``;
2. headers breaking ``createItem.headers`` or a Content-Type other than ``application/json``:
   400 naming each header at fault;
3. a body that is not JSON: 400 naming ``body``;
4. a body breaking ``createItem.request``: 400 naming the path of each violation (the missing
   field itself for ``required``); when only the contract's consistency rules (its root
   ``allOf`` of ``not``s with ``x-rule``) are broken, 400 naming the first field of each rule;
5. permissions, from the token's kind and grants: 403 naming ``Authorization`` (an app-key
   without ``items:create``), each special flag set ``true`` without an app-key with ``special``,
   ``ownerIds`` (non-empty) outside backoffice, ``studioId`` without its ``studio:`` grant;
6. otherwise 202.

Every error body carries ``code`` equal to the HTTP status. For a token given with ``--token``
the kind and grants are unknown: step 5 allows 202 or 403. Without an active target (a plain
``schemathesis`` run) no token is known: 401 is allowed at every step.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from typing import Any

import schemathesis
from jsonschema import Draft202012Validator
from schemathesis import Case, Response
from schemathesis.checks import CheckContext

from contracts import Violation, contract, load_schema
from fuzz import target as targets
from fuzz.checks import json_or_fail
from fuzz.plugins.tsdigital.model import Token, missing_permissions
from fuzz.quoting import quoted, quoted_value

HEADERS, REQUEST = "tsdigital/createItem.headers", "tsdigital/createItem.request"
_BEARER = re.compile(r"[Bb][Ee][Aa][Rr][Ee][Rr] +(\S+)")


@dataclass(frozen=True)
class Expected:
    """The statuses allowed and, for an error, the ``subErrors`` fields (``None``: any)."""

    statuses: frozenset[int]
    fields: frozenset[str] | None = None


@schemathesis.check
def tsdigital_error_codes(ctx: CheckContext, response: Response, case: Case) -> bool | None:
    """TS Digital answers 202, or 400/401/403 naming the fields at fault, as the contracts say."""
    request = response.request
    content = request.body or b""
    raw = content if isinstance(content, bytes) else content.encode()
    expected = expect(request.headers, raw, _plugin())
    status = response.status_code
    if status not in expected.statuses:
        raise AssertionError(
            f"createItem: HTTP {status}, expected {sorted(expected.statuses)}"
            + (f" naming {sorted(expected.fields)}" if expected.fields else "")
            + f": {quoted(response.content)}"
        )
    if status == 202:
        return None
    body = json_or_fail(response)
    if not isinstance(body, dict) or not isinstance(body.get("subErrors"), list):
        raise AssertionError(f"not a TS Digital error body: {quoted(body, 200)}")
    if body.get("code") != str(status):
        raise AssertionError(f"HTTP {status} with code {quoted_value(body.get('code'))}")
    fields = [e.get("field") for e in body["subErrors"] if isinstance(e, dict)]
    named = {f if isinstance(f, str) else repr(f) for f in fields}  # an array has no hash
    if expected.fields is not None and named != expected.fields:
        raise AssertionError(
            f"HTTP {status}: subErrors name {sorted(named)}, expected {sorted(expected.fields)}"
        )
    return None


def expect(headers: Mapping[str, str], raw: bytes, plugin: Any) -> Expected:
    """What TS Digital must answer to this request; ``plugin`` holds the tokens (or ``None``)."""
    match = _BEARER.fullmatch(headers.get("Authorization", "").strip())
    token = match.group(1) if match else None
    if plugin is not None and token not in plugin.tokens:
        return Expected(frozenset({401}), frozenset({"Authorization"}))
    maybe_401 = frozenset({401}) if plugin is None else frozenset()

    def refused(status: int, fields: set[str] | None) -> Expected:
        return Expected(frozenset({status}) | maybe_401, _frozen(fields))

    if fields := header_faults(headers):
        return refused(400, fields)
    try:
        body = json.loads(raw)
    except ValueError:
        return refused(400, {"body"})
    if fields := body_faults(body):
        return refused(400, fields)
    grants = plugin.tokens[token] if plugin is not None else None
    if grants is None:
        return Expected(frozenset({202, 403}) | maybe_401)
    if fields := missing_permissions(Token(grants.kind, grants.grants, 0), body):
        return refused(403, fields)
    return Expected(frozenset({202}) | maybe_401)


def header_faults(headers: Mapping[str, str]) -> set[str]:
    """The standard headers (and Content-Type) the request gets wrong."""
    checked = contract(HEADERS)
    sent = {name: headers[name] for name in checked.schema["properties"] if name in headers}
    fields = {_field(v) for v in checked.check(sent)}
    content_type = headers.get("Content-Type", "")
    if content_type.split(";", 1)[0].strip().lower() != "application/json":
        fields.add("Content-Type")
    return fields


def body_faults(body: Any) -> set[str]:
    """The fields a body breaking the request contract must be refused for."""
    violations = contract(REQUEST).check(body)
    if not violations:
        return set()
    structural = {_field(v) for v in violations if v.keyword != "not" or v.path}
    if structural:
        return structural
    return {rule["not"]["required"][0] for rule, forbidden in _rules() if forbidden.is_valid(body)}


@cache
def _rules() -> tuple[tuple[dict[str, Any], Draft202012Validator], ...]:
    """The request contract's consistency rules (root ``allOf`` entries with ``x-rule``), each
    with a validator of the combination it forbids."""
    schema = load_schema(REQUEST)
    return tuple(
        (rule, Draft202012Validator(rule["not"])) for rule in schema["allOf"] if "x-rule" in rule
    )


def _field(violation: Violation) -> str:
    """The field a violation names: its path, or the missing field itself for ``required``."""
    where = violation.pointer
    if violation.keyword == "required":
        where = f"{where}.{violation.field}" if where else violation.field
    return where or "body"


def _frozen(fields: set[str] | None) -> frozenset[str] | None:
    return None if fields is None else frozenset(fields)


def _plugin() -> Any:
    target = targets.active()
    return target.plugin if target is not None and target.plugin.vendor == "tsdigital" else None
