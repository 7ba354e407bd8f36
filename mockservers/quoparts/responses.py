"""QuoParts request handling: read the call, check it against the contract, call the model,
render the envelope. Every documented answer is HTTP 200."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NamedTuple

from starlette.responses import Response

from contracts import Violation, contract, load_schema
from mockservers.core.call import Call
from mockservers.core.coverage import met
from mockservers.core.explain import (
    as_written,
    basic_first,
    diagnoses,
    diagnosis,
    misquoted,
    phrase,
    refused_by_index,
)
from mockservers.core.http import JSONResponse
from mockservers.core.numbers import read_as_written, read_otherwise
from mockservers.quoparts import coverage
from mockservers.quoparts.errors import BAD_REQUEST, BAD_REQUEST_TEXT, ROW_PHRASES, bad_request
from mockservers.quoparts.models import QuoPartsModel
from mockservers.quoparts.plain import read_import

_LOGIN_QUERY = contract("quoparts/login.query")
_IMPORT_CLI = contract("quoparts/importCli.request")
_CUSTOMER = contract("quoparts/defs/customer")  # importCli's rows
_IMPORT_PVT = contract("quoparts/importPvt.request")
_IMPORT_QUERIES = {name: contract(f"quoparts/{name}.query") for name in ("importCli", "importPvt")}


def ok(data: list[Any]) -> Response:
    return JSONResponse({"errorCode": "0", "error": "", "data": data})


def login(model: QuoPartsModel, call: Call) -> Response:
    query = {k: call.query[k] for k in ("login", "username", "password") if k in call.query}
    violations = _LOGIN_QUERY.check(query)
    if violations:
        met(coverage.LOGIN_BAD_REQUEST)
        raise bad_request(f"query: {diagnosis(violations, 'query')}")
    return ok([{"TOKEN": model.login(query["username"], query["password"])}])


def _flag_fault(call: Call) -> str:
    """What is wrong with the method flag, if anything: its contract has it empty, so
    ``importCli=1`` is refused ("100") as ``login=1`` is, before the token is looked at."""
    operation = call.operation
    if call.query[operation] == "":  # every call's path: the contract is read for the message
        return ""
    violations = _IMPORT_QUERIES[operation].check({operation: call.query[operation]})
    return f"query: {diagnosis([v for v in violations if v.path], 'query')}"


def import_customers(model: QuoPartsModel, call: Call) -> Response:
    if wrong_flag := _flag_fault(call):
        met(coverage.IMPORT_CLI_REFUSED)
        raise bad_request(wrong_flag)
    tenant = model.tenant_for(call.query.get("token"))
    body, plain = read_import(call)
    if not isinstance(body, dict):
        met(coverage.IMPORT_CLI_REFUSED)
        raise bad_request("the body is not a JSON object")
    rows = body.get("data")
    if not isinstance(rows, list):
        met(coverage.IMPORT_CLI_REFUSED)
        raise bad_request("data is missing or not an array of customers")
    if plain or _IMPORT_CLI.passes(body) or not (refused := _refused_rows(rows)):
        return ok(model.upsert_customers(tenant, rows, plain))  # every row accepted
    refused = _as_written(call, rows, refused)
    for index in sorted(refused):  # in the body's order: data[2] before data[10]
        place = f"data[{index}]"
        call.explain(f"{place}: {refused[index].diagnosis(place)}")
    met(coverage.IMPORT_CLI_ROW_ERROR)
    accepted = iter(
        model.upsert_customers(tenant, [r for i, r in enumerate(rows) if i not in refused])
    )
    return ok(
        [refused[index].error if index in refused else next(accepted) for index in range(len(rows))]
    )


class _Refused(NamedTuple):
    """A refused row: its violations, its diagnosis (to place where the row is), its error, and
    whether its violations may quote a number otherwise than the body wrote it."""

    violations: list[Violation]
    diagnosis: Callable[[str], str]
    error: dict[str, Any]
    misquoted: bool


def _refused(violations: list[Violation], error: dict[str, Any]) -> _Refused:
    return _Refused(violations, diagnoses(violations), error, misquoted(violations))


def _refused_rows(rows: list[Any]) -> dict[int, _Refused]:
    """Each refused row, by index. The body's contract asks for nothing but the list of rows
    the caller found, so its violations are its rows' own: each row is checked alone, and equal
    rows are worked out once."""
    return refused_by_index(
        _CUSTOMER,
        rows,
        lambda violations, first: _refused(violations, _row_error(rows[first], violations)),
    )


def _as_written(call: Call, rows: list[Any], refused: dict[int, _Refused]) -> dict[int, _Refused]:
    """The refused rows with their numbers as the body wrote them: the COD_CLI_ERP each error
    echoes (a connector matches the rows by it) and the value each diagnosis quotes. A number
    orjson may have read otherwise (a float: a whole number beyond 64 bits, ``1e3``; a 0:
    ``-0``) is taken from the body read again (``core/numbers.py``), and only then; rows
    written alike are worked out once."""
    again = [
        index
        for index, said in refused.items()
        if said.misquoted or read_otherwise(_code(rows[index]))
    ]
    if not again:
        return refused
    written = read_as_written(call.body)["data"]
    redone: dict[str, _Refused] = {}
    for index in again:
        row = written[index]
        same = repr(row)
        if same not in redone:
            violations = as_written(refused[index].violations, row)
            error = refused[index].error | {"COD_CLI_ERP": _echoed(row)}
            redone[same] = _refused(violations, error)
        refused[index] = redone[same]
    return refused


def _code(row: Any) -> Any:
    return row.get("COD_CLI_ERP") if isinstance(row, dict) else None


def _echoed(row: Any) -> str:
    """The row's COD_CLI_ERP as its error echoes it: as text, "" when it has none."""
    code = _code(row)
    return "" if isinstance(code, bool) or not isinstance(code, str | int | float) else str(code)


def _row_error(row: Any, violations: list[Violation]) -> dict[str, Any]:
    """The row's own errorCode 100, its error naming the fields in Italian."""
    if isinstance(row, dict):
        first: dict[str, Violation] = {}  # one phrase per field: its most basic fault
        for violation in sorted(violations, key=basic_first):
            first.setdefault(violation.missing or _row_field(violation), violation)
        in_order = sorted(first, key=lambda name: _TABLE_ORDER.get(name, len(_TABLE_ORDER)))
        found = [phrase(first[name], ROW_PHRASES, field=name) for name in in_order]
        detail = "; ".join(dict.fromkeys(found))
    else:
        detail = "la riga deve essere un oggetto JSON"
    return {
        "errorCode": BAD_REQUEST,
        "error": f"{BAD_REQUEST_TEXT}: {detail}",
        "COD_CLI_ERP": _echoed(row),
    }


_TABLE_ORDER = {
    name: i for i, name in enumerate(load_schema("quoparts/defs/customer")["properties"])
}
"""The fields in the order of the document's table: a row's error names them in that order."""


def _row_field(violation: Violation) -> str:
    """The customer's field at fault (the path inside the row)."""
    return ".".join(str(p) for p in violation.path) or "riga"


def import_quote(model: QuoPartsModel, call: Call) -> Response:
    if wrong_flag := _flag_fault(call):
        met(coverage.QUOTE_REFUSED)
        raise bad_request(wrong_flag)
    tenant = model.tenant_for(call.query.get("token"))
    body = call.json()
    violations = _IMPORT_PVT.check(body)
    if violations:
        met(coverage.QUOTE_REFUSED)
        violations = _customer_code_said_once(violations, body)
        if misquoted(violations):  # the body read again only then (core/numbers.py)
            violations = as_written(violations, read_as_written(call.body))
        raise bad_request(diagnosis(violations))
    cod_doc = model.create_quote(tenant, body["data"])
    return ok([{"COD_DOC": cod_doc}])


_HEADER = ("data", "testata")
_CUSTOMER_CODES = ("COD_CLI", "COD_CLI_ERP")
_CODE_TYPES = {
    code: load_schema("quoparts/defs/quoteHeader")["properties"][code]["type"]
    for code in _CUSTOMER_CODES
}
"""Each customer code's own type (text or null): a violation of it is the code's own fault."""
_NO_CUSTOMER_CODE = Violation(
    _HEADER, "one of COD_CLI and COD_CLI_ERP is required (non-empty)", "anyOf"
)


def _customer_code_said_once(violations: list[Violation], body: Any) -> list[Violation]:
    """The violations with a header lacking a usable customer code said so once, in place of
    what the validator makes of the header's ``anyOf`` (the seed's "almeno uno tra COD_CLI e
    COD_CLI_ERP"): its first branch only (``'COD_CLI' is a required property``, as if
    COD_CLI_ERP were not an alternative), and a COD_CLI of the wrong type twice (the branch's
    type, then the field's). A code's own type fault (``15 is not of type 'string', 'null'``)
    stays."""
    data = body.get("data") if isinstance(body, dict) else None
    header = data.get("testata") if isinstance(data, dict) else None
    if not isinstance(header, dict) or any(
        isinstance(header.get(code), str) and header.get(code) for code in _CUSTOMER_CODES
    ):
        return violations
    kept: list[Violation] = []
    for violation in violations:
        if not _of_the_choice(violation):
            kept.append(violation)
        elif _NO_CUSTOMER_CODE not in kept:  # where the first of them was
            kept.append(_NO_CUSTOMER_CODE)
    return kept


def _of_the_choice(violation: Violation) -> bool:
    """Whether the violation is the header's ``anyOf`` (one customer code at least) failing:
    a code missing, empty or not text, but not the code's own type fault."""
    path = violation.path
    if path == _HEADER:
        return violation.missing in _CUSTOMER_CODES
    if len(path) != 3 or path[:2] != _HEADER or path[2] not in _CUSTOMER_CODES:
        return False
    return not (violation.keyword == "type" and violation.expected == _CODE_TYPES[path[2]])


def unknown_method(model: QuoPartsModel, call: Call) -> Response:
    met(coverage.UNKNOWN_METHOD)
    raise bad_request("no method flag in the query: login, importCli or importPvt")
