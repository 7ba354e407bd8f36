"""Which contract each message of a vendor's operation must meet, and the verdict on a call.

The contract files are named by message: ``<vendor>/<operation>.request|query|headers`` (XTRA's
``updateIdentities.contactForm.request`` for a call with ``contactForm=true``). The answer's
contract depends on its status, and the vendor's OpenAPI skeleton says which: each response's
``$ref`` (an ``x-operations`` entry's own, for QuoParts's two POST operations on one path).

The fakes' journal, the validating proxy and the fuzz layer all judge an exchange this way.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from functools import cache
from typing import Any

import orjson

from contracts.binding import body_names, bound_body
from contracts.charsets import content_type_of, reads_charsets, utf8_json
from contracts.infinite import loads
from contracts.loader import CONTRACTS_DIR, Contract, contract, schema_names

_METHODS = ("get", "put", "post", "delete", "patch")


@cache
def _names(vendor: str) -> frozenset[str]:
    return frozenset(schema_names(vendor))


def contract_for(vendor: str, operation: str, message: str) -> Contract | None:
    """The contract ``<vendor>/<operation>.<message>`` (request, query, headers...), if any."""
    name = f"{vendor}/{operation}.{message}"
    return contract(name) if name in _names(vendor) else None


@cache
def _spellings(checked: Contract) -> dict[str, str]:
    """A query contract's parameters by their names in lower case, when the contract is marked
    ``x-names-any-case``; else nothing (a name is read as written)."""
    if not checked.schema.get("x-names-any-case"):
        return {}
    return {name.lower(): name for name in checked.schema.get("properties", {})}


def bound_query(checked: Contract | None, sent: Iterable[tuple[str, str]]) -> dict[str, str]:
    """A call's query (its ``(name, value)`` pairs, in the order sent) as its query contract
    reads it: a repeated name's last value wins (PHP's reading: QuoParts). Under a contract
    marked ``x-names-any-case`` (a vendor on ASP.NET Core: XTRA) a parameter's name in any
    spelling is that parameter, and its first value wins: ASP.NET's query collection gathers
    a name's values whatever its case, in the order sent, and its model binding of a simple
    type takes the first. Other names stay as sent."""
    spellings = _spellings(checked) if checked is not None else {}
    if not spellings:
        return dict(sent)
    bound: dict[str, str] = {}
    for key, value in sent:
        bound.setdefault(spellings.get(key.lower(), key), value)
    return bound


def reads_first_value(checked: Contract | None) -> bool:
    """Whether a query contract's vendor reads a parameter sent more than once by its first
    value: one marked ``x-names-any-case`` (ASP.NET Core's model binding: XTRA), as
    :func:`bound_query` reads it; else by its last (PHP's ``$_GET``: QuoParts; the fakes'
    reading of any other vendor's query, KeepIT's ``cmd``)."""
    return checked is not None and bool(checked.schema.get("x-names-any-case"))


def query_values(checked: Contract | None, sent: Iterable[tuple[str, str]]) -> dict[str, str]:
    """A call's query (its ``(name, value)`` pairs, in the order sent) by each name as sent,
    a repeated name's value the one its vendor reads (:func:`reads_first_value`): what the
    journal shows. Names are not respelled, as :func:`bound_query` respells them."""
    if not reads_first_value(checked):
        return dict(sent)
    values: dict[str, str] = {}
    for name, value in sent:
        values.setdefault(name, value)
    return values


@cache
def values_any_case(checked: Contract | None) -> frozenset[str]:
    """The parameters of a query contract whose values its vendor reads whatever their case,
    its ``x-values-any-case`` (XTRA's flags, booleans as .NET binds them: ``TRUE`` is
    ``true``), by the contract's spelling; none for another contract."""
    if checked is None:
        return frozenset()
    return frozenset(checked.schema.get("x-values-any-case", ()))


def request_contract(vendor: str, operation: str, query: dict[str, str]) -> Contract | None:
    """The body contract of a request: ``<operation>.<flag>.request`` when the query sets a flag
    to ``true`` and that contract exists (XTRA ``contactForm=true``), else
    ``<operation>.request``."""
    for name, value in query.items():
        if value.lower() == "true" and (
            flagged := contract_for(vendor, operation, f"{name}.request")
        ):
            return flagged
    return contract_for(vendor, operation, "request")


def response_contract(vendor: str, operation: str, status: int) -> Contract | None:
    """The contract the vendor's document gives ``status`` (e.g. KeepIT's 401
    ``error.response``); ``<operation>.response`` for a status it does not list."""
    listed = _responses(vendor).get((operation, str(status)))
    if listed is not None:
        return contract(listed)
    return contract_for(vendor, operation, "response")


@cache
def _responses(vendor: str) -> dict[tuple[str, str], str]:
    """(operationId, status) -> contract name, from the skeleton's response ``$ref``s."""
    found: dict[tuple[str, str], str] = {}
    for operation in _operations(vendor):
        shared = _refs(vendor, operation.get("responses", {}))
        for entry in operation.get("x-operations") or [operation]:
            own = _refs(vendor, entry.get("responses", {}))
            for status, name in {**shared, **own}.items():
                found[(entry["operationId"], status)] = name
    return found


@cache
def _kit_answers(vendor: str) -> frozenset[tuple[str, str]]:
    """(operationId, status) of the answers that are the kit's own, never the vendor's: those
    the skeleton marks ``x-kit-answer`` (the fakes' 413 for a body over ``max_body_bytes``),
    for the operation and each of its ``x-operations``."""
    found = set()
    for operation in _operations(vendor):
        responses = operation.get("responses", {})
        marked = [status for status, answer in responses.items() if answer.get("x-kit-answer")]
        for entry in operation.get("x-operations") or [operation]:
            found.update((entry["operationId"], status) for status in marked)
    return frozenset(found)


def _operations(vendor: str) -> list[dict[str, Any]]:
    """The operations of a vendor's OpenAPI skeleton (none without one)."""
    path = CONTRACTS_DIR / vendor / "openapi.json"
    skeleton = json.loads(path.read_text("utf-8")) if path.exists() else {}
    return [
        item[method]
        for item in skeleton.get("paths", {}).values()
        for method in _METHODS
        if isinstance(item.get(method), dict)
    ]


def _refs(vendor: str, responses: dict[str, Any]) -> dict[str, str]:
    """status -> contract name, for responses whose schema is one contract file."""
    found = {}
    for status, answer in responses.items():
        schema = answer.get("content", {}).get("application/json", {}).get("schema", answer)
        ref = schema.get("$ref", "") if isinstance(schema, dict) else ""
        name = f"{vendor}/{ref.removeprefix('./').removesuffix('.json')}"
        if ref and not ref.startswith("#") and name in _names(vendor):
            found[status] = name
    return found


def verdict(
    vendor: str,
    operation: str,
    *,
    query: Iterable[tuple[str, str]],
    headers: dict[str, str],
    body: bytes | None,
    status: int,
    answer: bytes,
    blot: Callable[[str], str] = str,
    vendor_answered: bool = False,
) -> dict[str, list[str]]:
    """How an exchange meets its contracts: ``{"request": [...], "response": [...]}``, each a
    list of ``contract: path: message`` (empty lists: it meets them). ``query``: its pairs in
    the order sent, read as the fake reads them (``bound_query``: a dict had lost the order
    that decides which of XTRA's spellings of one name is the one taken), and its body's
    names and charset likewise (``binding.bound_body``, ``charsets.utf8_json``); ``body``
    None: its body is not judged (its content could not be read). ``blot``: what takes the
    exchange's secrets out of a message, before it is cut (a secret the cut split would keep
    most of its characters). ``vendor_answered``: the answer is the real vendor's (through the
    proxy), whose status is judged only by the statuses its document gives, not by the kit's
    own (``x-kit-answer``: a vendor's 413 passed, and a 503 read "(200, 413)" where QuoParts's
    document gives 200 only)."""
    found: dict[str, list[str]] = {"request": [], "response": []}
    parameters = contract_for(vendor, operation, "query")
    query = bound_query(parameters, query)
    checked = request_contract(vendor, operation, query)
    if checked is not None and body is not None:
        if reads_charsets(checked):  # in the charset the vendor reads it in
            body = utf8_json(body, content_type_of(headers))
        read = bound_body(body_names(checked), _json(body))  # its names as the vendor binds them
        found["request"] += _violations(checked, read, blot)
    if parameters is not None:
        found["request"] += _violations(parameters, query, blot, "(query)")
    checked = contract_for(vendor, operation, "headers")
    if checked is not None:
        found["request"] += _violations(checked, named_headers(checked, headers), blot, "(headers)")
    kit = _kit_answers(vendor) if vendor_answered else frozenset()
    given = sorted(
        status
        for name, status in _responses(vendor)
        if name == operation and (name, status) not in kit
    )
    if given and str(status) not in given and "default" not in given:
        found["response"].append(
            f"{vendor}/{operation}: status {status} is no answer its document gives"
            f" ({', '.join(given)})"
        )
    checked = response_contract(vendor, operation, status)
    if checked is not None:
        found["response"] += _violations(checked, _json(answer), blot)
    return found


def named_headers(checked: Contract, headers: dict[str, str]) -> dict[str, str]:
    """The headers a header contract names, under its spelling (HTTP names have no case)."""
    by_lower = {k.lower(): v for k, v in headers.items()}
    names = checked.schema.get("properties", {})
    return {name: by_lower[name.lower()] for name in names if name.lower() in by_lower}


class NotJSON(str):
    """A body that does not parse: a violation of any JSON contract, saying why."""


def _json(raw: bytes) -> Any:
    try:
        return loads(raw)  # a number past a double's range as ±infinity, as the fakes read it
    except orjson.JSONDecodeError as exc:
        return NotJSON(f"not JSON ({exc})")


VERDICT_MESSAGE_CHARS = 1_000
"""A violation's message is cut to this many characters: the validator's message quotes the
value it refuses, and an answer refused as a whole (an array where an object goes) would be
quoted whole, megabytes of it, into the journal and every listing of it."""


def _violations(
    checked: Contract, instance: Any, blot: Callable[[str], str], whole: str = "(body)"
) -> list[str]:
    """``contract: where: message`` for each violation (``whole``: the message as a whole), its
    message blotted, then cut."""
    if isinstance(instance, NotJSON):
        return [f"{checked.name}: {instance}"]
    return [
        f"{checked.name}: {v.pointer or whole}: {_cut(blot(v.message))}"
        for v in checked.check(instance)
    ]


def _cut(message: str) -> str:
    """``message`` cut in its middle: the value quoted comes first, the rule it breaks last."""
    if len(message) <= VERDICT_MESSAGE_CHARS:
        return message
    half = VERDICT_MESSAGE_CHARS // 2
    cut = len(message) - 2 * half
    return f"{message[:half]} …({cut:,} characters cut)… {message[-half:]}"
