"""XTRA request handling: authorise, check the call against the contracts, run the model,
render the envelope (with the debug block on ``?debug=true``)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any
from urllib.parse import parse_qsl

from starlette.responses import Response

from contracts import Contract, Violation, contract, load_schema
from contracts.binding import bound_body
from contracts.messages import bound_query
from mockservers.core.call import Call, Query
from mockservers.core.coverage import met
from mockservers.core.errors import KitError
from mockservers.core.explain import (
    basic_first,
    diagnosis,
    field_path,
    phrase,
    refused_by_index,
)
from mockservers.xtra import coverage
from mockservers.xtra.errors import (
    DOC_UNHANDLED,
    DOC_UNHANDLED_TEXT,
    INVALID,
    INVALID_TEXT,
    PHRASES,
    UNHANDLED,
    UNHANDLED_TEXT,
    RecordError,
    XtraError,
    envelope,
    invalid,
)
from mockservers.xtra.models import XtraModel
from mockservers.xtra.records import failed

DOCUMENT_FAULT = "document_error"
RECORD_FAULT = "record_error"

_LOGIN = contract("xtra/login.request")
_LOGIN_QUERY = contract("xtra/login.query")
_UPDATE_QUERY = contract("xtra/updateIdentities.query")
_RECORD = {
    False: contract("xtra/defs/identity"),
    True: contract("xtra/defs/contactFormIdentity"),
}
# Columns a context ignores (contract's x-ignored): accepted with any value, never stored.
_IGNORED = {
    False: frozenset(load_schema("xtra/defs/identity")["x-ignored"]),
    True: frozenset(load_schema("xtra/defs/contactFormIdentity")["x-ignored"]),
}
_EXACT = 2**53
# In JSON a number with a fraction or an exponent has digits right before its ".", "e" or "E",
# and the number comes first in the body or right after a "[", "," or ":" (whitespace and its
# "-" between). With "[" and "," read as ":", "e" and "E" as ".", and digits, "-" and
# whitespace left out, a body that neither holds ":." nor starts with "." holds no float. A
# string may hold the pair too (then the walk decides), but not a hex key or an e-mail's "5e".
_FLOAT_MARKS = bytes.maketrans(b"[,eE", b"::..")
_FLOAT_SKIPPED = b"0123456789- \t\n\r"


def describe(violations: list[Violation]) -> str:
    """``campo IdentityDocuments[0].ReleaseDate non nel formato atteso (data AAAA-MM-GG)``: the
    fields at fault in Italian, one phrase per field (the first of its violations), for a
    message; the validator's English goes to the detail."""
    first: dict[str, str] = {}
    for violation in sorted(violations, key=_named_first):  # never cut off: a bad ID, a missing
        first.setdefault(field_path(violation), phrase(violation, PHRASES))
    return "; ".join(list(first.values())[:3])


def _named_first(violation: Violation) -> tuple[bool, int]:
    """A malformed ``ID`` first: sent (not null), it makes its record or sub-record an update,
    so what else is wrong depends on it; then the most basic faults (``basic_first``)."""
    return violation.path[-1:] != ("ID",), basic_first(violation)


def refused(violations: list[Violation], root: str) -> XtraError:
    return invalid(describe(violations), f"{root}: {diagnosis(violations, root)}")


def _true(query: Query, name: str) -> bool:
    return query.get(name, "").lower() == "true"


def bound(call: Call, checked: Contract) -> Query:
    """The call's query as its contract reads it (``bound_query``: XTRA's contracts take a
    name whatever its case, ``?contactform=TRUE``, as ASP.NET's model binding does, and a
    name sent twice, in any spelling, takes its first value). The call's query took a
    repeated name's last: a query that names a parameter twice is read again in the order
    it was sent."""
    query = call.query
    if not query:
        return {}
    sent: Iterable[tuple[str, str]] = query.items()
    raw = call.scope["query_string"]
    if raw.count(b"&") >= len(query) or len({key.lower() for key in query}) < len(query):
        sent = parse_qsl(raw.decode("latin-1"), keep_blank_values=True)
    return bound_query(checked, sent)


def _check_query(checked: Contract, query: Query) -> None:
    """400 for a query that breaks its contract (names it does not list are not its own). Most
    calls send none: their (empty) query is looked up without walking the contract's names."""
    if not query:
        own: tuple[tuple[str, str], ...] = ()
    else:
        own = tuple((name, query[name]) for name in checked.schema["properties"] if name in query)
    violations = _query_violations(checked, own)
    if violations:
        raise refused(list(violations), "query")


@lru_cache(maxsize=64)
def _query_violations(
    checked: Contract, query: tuple[tuple[str, str], ...]
) -> tuple[Violation, ...]:
    """The query's violations, remembered: a connector sends the same few queries every call."""
    return tuple(checked.check(dict(query)))


def _json(call: Call) -> Any:
    try:
        return call.json()
    except KitError as exc:
        raise invalid("il corpo non è un JSON valido", exc.detail) from None


def _parsed(call: Call) -> Any:
    """The body as JSON, its integral floats as ints (a body with no float as parsed)."""
    body = _json(call)
    return integral(body) if _may_hold_float(call.json_bytes) else body


def _may_hold_float(text: bytes) -> bool:
    """Whether a JSON text may hold a number with a fraction or an exponent (see
    ``_FLOAT_MARKS``): False only when it holds none."""
    marks = text.translate(_FLOAT_MARKS, _FLOAT_SKIPPED)
    return b":." in marks or marks.startswith(b".")


def integral(value: Any) -> Any:
    """Integral floats (``1.0``) as ints: JSON Schema counts them as integers, so an ``ID`` of
    ``1.0`` names identity 1 (and is stored as ``1``). Beyond 2**53 a float is no exact integer
    (and no ID: the contracts stop at Int32), so it stays as parsed.

    Lists and objects are changed in place (the call's parsed body is its own) and returned: no
    copy of a body whose strings merely look like numbers, as a bench's ``"X0x55e1..."`` keys do
    (1.2 against 2.8 µs for one identity)."""
    kind = type(value)
    if kind is float:
        return _exact(value)
    if kind is dict:
        for key, item in value.items():
            kind = type(item)
            if kind is float:
                value[key] = _exact(item)
            elif kind is dict or kind is list:
                integral(item)
    elif kind is list:
        for index, item in enumerate(value):
            kind = type(item)
            if kind is float:
                value[index] = _exact(item)
            elif kind is dict or kind is list:
                integral(item)
    return value


def _exact(number: float) -> int | float:
    return int(number) if number.is_integer() and abs(number) <= _EXACT else number


def debug_block(started: float, finished: float, client_ip: str) -> dict[str, str]:
    """requestTime/responseTime as yyyy-MM-dd HH:mm:ss, duration as a .NET TimeSpan."""
    ticks = max(0, round((finished - started) * 10_000_000))
    seconds, fraction = divmod(ticks, 10_000_000)
    minutes, second = divmod(seconds, 60)
    hours, minute = divmod(minutes, 60)
    return {
        "requestTime": _stamp(started),
        "responseTime": _stamp(finished),
        "duration": f"{hours:02d}:{minute:02d}:{second:02d}.{fraction:07d}",
        "clientIP": client_ip,
    }


def _stamp(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, UTC).strftime("%Y-%m-%d %H:%M:%S")


def answer(
    model: XtraModel, call: Call, parameters: Contract, work: Callable[[Query], Any]
) -> Response:
    """Run ``work`` on the call's query (``parameters``' own, :func:`bound`); its result (or
    whole-call error) in the envelope, debug block on request."""
    query = bound(call, parameters)
    debug = _true(query, "debug")
    started = model.clock.time() if debug else 0.0
    try:
        result: Any = work(query)
        status, code, message = 200, None, None
    except XtraError as exc:
        result, status, code, message = None, exc.status, exc.code, exc.message
        if code == INVALID:
            met(coverage.ER_IR_INVAL_CALL)
        elif code == UNHANDLED:
            met(coverage.ER_IR_UNERR)
        if exc.detail:  # rendered here, not by the pipeline: keep the kit's diagnosis
            call.explain(exc.detail)
    block = debug_block(started, model.clock.time(), call.client_ip) if debug else None
    return envelope(status, code, message, result, block)


# -- login -------------------------------------------------------------------------------------
def login(model: XtraModel, call: Call) -> Response:
    def work(query: Query) -> dict[str, Any]:
        _check_query(_LOGIN_QUERY, query)
        body = _json(call)
        if not isinstance(body, dict):
            raise invalid("il corpo deve essere un oggetto JSON", "the body is not a JSON object")
        body = bound_body(model.login_names, body)
        violations = _LOGIN.check(body)
        if violations:
            raise refused(violations, "body")
        return model.login(body["Username"], body["Password"], call)

    return answer(model, call, _LOGIN_QUERY, work)


# -- irs/update --------------------------------------------------------------------------------
def update_identities(model: XtraModel, call: Call) -> Response:
    def work(query: Query) -> dict[str, Any]:
        caller = model.caller(call)
        _check_query(_UPDATE_QUERY, query)
        contact_form = _true(query, "contactForm")
        body = _parsed(call)
        if not _objects(body):
            raise invalid(
                "il corpo deve essere un array di oggetti JSON",
                "the body is not an array of objects",
            )
        body = bound_body(model.update_names[contact_form], body)
        model.check_scope(caller, body, contact_form)
        model.check_room(caller.tenant, body, contact_form)
        schema = _RECORD[contact_form]
        ignored = _IGNORED[contact_form]
        fault = RecordFaults(call) if call.kit.faults.armed() else None
        refused = refused_by_index(schema, body, _refusal)
        records = []
        with model.batch(caller.tenant) as identities:
            for index, record in enumerate(body):
                if index in refused:
                    detail, error = refused[index]
                    call.explain(f"[{index}]: {detail}")
                    records.append(failed(record, contact_form, error).render())
                    continue
                outcome = model.upsert(
                    identities, record, contact_form=contact_form, ignored=ignored, fault=fault
                )
                records.append(outcome.render())
        return paged(records)

    return answer(model, call, _UPDATE_QUERY, work)


def _objects(body: Any) -> bool:
    """Whether ``body`` is an array of objects (a plain loop: ``all`` over a generator cost
    five times as much, on every call)."""
    if not isinstance(body, list):
        return False
    for record in body:  # noqa: SIM110
        if not isinstance(record, dict):
            return False
    return True


def _refusal(violations: list[Violation], first: int) -> tuple[str, RecordError]:
    """A refused record's diagnosis and error (the same for each record equal to it)."""
    return (
        diagnosis(violations, "record"),
        RecordError(INVALID, f"{INVALID_TEXT}: {describe(violations)}"),
    )


class RecordFaults:
    """XTRA's own faults, asked by each record that passed every check, where the vendor would
    write it (a record refused for its schema or its content uses neither up).
    ``record_error`` fails that record (``times`` counts records); ``document_error``, taken by
    the first such record that carries documents, fails it and every later one of the call
    that carries documents (``times`` counts calls)."""

    __slots__ = ("_call", "_documents")

    def __init__(self, call: Call) -> None:
        self._call = call
        self._documents: bool | None = None
        """Whether ``document_error`` hit this call; None until a record asked."""

    def __call__(self, record: dict[str, Any]) -> RecordError | None:
        if self._call.take_fault(RECORD_FAULT) is not None:
            return RecordError(UNHANDLED, UNHANDLED_TEXT)
        if not record.get("IdentityDocuments"):
            return None
        if self._documents is None:
            self._documents = self._call.take_fault(DOCUMENT_FAULT) is not None
        return RecordError(DOC_UNHANDLED, DOC_UNHANDLED_TEXT) if self._documents else None


def paged(records: list[dict[str, Any]]) -> dict[str, Any]:
    """The paged wrapper: one page holding every record of the call."""
    count = len(records)
    return {
        "totalCount": count,
        "totalPages": 1 if count else 0,
        "page": 1,
        "count": count,
        "records": records,
        "record": None,
    }
