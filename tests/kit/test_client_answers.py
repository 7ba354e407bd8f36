"""Whatever a vendor answers, a reference client raises that vendor's error (its
``InvalidResponse`` for an answer it cannot read) or httpx's ``TransportError``: the two
families docs/clients.md tells a connector to catch, never a builtin's ``KeyError``,
``ValueError``, ``OverflowError`` or ``RecursionError``."""

from __future__ import annotations

import functools
import json
from collections.abc import Callable, Iterator
from contextlib import suppress
from typing import Any

import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st

from clients import (
    KeepItClient,
    KeepItError,
    KeepItInvalidResponse,
    QuoPartsClient,
    QuoPartsError,
    QuoPartsInvalidResponse,
    TsDigitalClient,
    TsDigitalError,
    TsDigitalInvalidResponse,
    VendorClientError,
    XtraClient,
    XtraError,
    XtraInvalidResponse,
)
from fuzz.profiles import current
from tests.data import (
    keepit_customer,
    quoparts_answer,
    quoparts_customer,
    xtra_login,
    xtra_record,
    xtra_updated,
)

ROW = {"DES_NOM": "Rossi S.r.l.", "COD_PTA_IVA": "12345678901", "COD_CLI_ERP": "CLI001"}
HEADER = {"COD_CLI_ERP": "CLI001", "COD_TGA": "AB123CD", "DES_VCL": "Fiat Panda"}
ARTICLE = {"DES_RGR": "Filtro olio", "COD_ART_PVT": "1883037"}
FORM = {"EMail": "anna@example.it", "Surname": "Rossi", "Name": "Anna", "WebReasonID": 13}
ITEM = {"item": {"base": {"identifier": {"vatNumber": "01234567890"}}}}
USER = {"username": "demo", "password": "demo"}
KEEPIT = {"username": "demo", "password": "demo", "company_id": 1, "site_id": 1}

Call = Callable[[Any], Any]
VENDORS: dict[
    str, tuple[type[VendorClientError], Callable[[httpx.MockTransport], Any], dict[str, Call]]
] = {
    "quoparts": (
        QuoPartsError,
        lambda t: QuoPartsClient("http://q", **USER, transport=t),
        {
            "login": lambda client: client.login(),
            "importCli": lambda client: client.import_customers([ROW]),
            "importPvt": lambda client: client.import_quote(HEADER, [ARTICLE]),
        },
    ),
    "xtra": (
        XtraError,
        lambda t: XtraClient("http://x", **USER, public_key="p", secret_key="s", transport=t),
        {
            "login": lambda client: client.login(),
            "update": lambda client: client.update_identities([{"ID": 1}], debug=True),
            "contact-form": lambda client: client.update_identities([FORM], contact_form=True),
        },
    ),
    "keepit": (
        KeepItError,
        lambda t: KeepItClient(
            "http://k", **KEEPIT, transport=t, retry_rate_limited=True, sleep=lambda _: None
        ),
        {"insert": lambda client: client.insert_customers([keepit_customer("C1")])},
    ),
    "tsdigital": (
        TsDigitalError,
        lambda t: TsDigitalClient("http://t", "tok", app_name="erp", app_version="1", transport=t),
        {"create": lambda client: client.create_item(ITEM)},
    ),
}
"""Per vendor: its error, a client of it on a transport, and its calls (XTRA's update with the
AccessToken, its contact form with the key pair)."""

XTRA_RECORD = xtra_record(Item5={"0": 1}, Item6={"D1": None})
XTRA_REFUSED = xtra_record(Item3=False, Item4={"Code": "ER.IR.INVAL", "Message": "m"})
KEEPIT_ROWS = [{"customerCode": "C1", "errorMessage": "m"}]
QP_REFUSED = {"errorCode": "101", "error": "Utente non Accreditato", "data": []}
ANSWERS: dict[str, list[tuple[int, Any]]] = {
    "login": [(200, quoparts_answer({"TOKEN": "T1"}))],
    "importCli": [
        (200, quoparts_answer(quoparts_customer() | {"COD_PWD": "P"})),
        (200, QP_REFUSED),
    ],
    "importPvt": [(200, quoparts_answer({"COD_DOC": "000001"})), (200, QP_REFUSED)],
    "/api/sync/v1/login": [(200, xtra_login())],
    "/api/sync/v1/irs/update": [
        (200, xtra_updated(XTRA_RECORD) | {"debug": {}}),
        (200, xtra_updated(XTRA_REFUSED)),
        (403, {"statusCode": 403, "errorCode": "ER.AUTH", "message": "Non autorizzato"}),
    ],
    "/api": [
        (
            200,
            {
                "success": True,
                "code": 206,
                "message": "Partial",
                "insertedObjects": [{"progId": 1, "customerCode": "C", "mapping": [{"progId": 2}]}],
                "duplicatedObjects": KEEPIT_ROWS,
                "errorObjects": KEEPIT_ROWS,
            },
        ),
        (429, {"code": 429, "message": "Too many requests", "errorObjects": KEEPIT_ROWS}),
    ],
    "/api/v3/items": [
        (202, {"id": "a1"}),
        (400, {"code": "400", "message": "Bad", "subErrors": [{"f": 1}], "timestamp": "1-12-2026"}),
    ],
}
"""What each vendor answers to each of its calls (by QuoParts's query, by the others' path)."""


def _keys(value: Any) -> Iterator[str]:
    if isinstance(value, dict):
        for key, item in value.items():
            yield key
            yield from _keys(item)
    elif isinstance(value, list):
        for item in value:
            yield from _keys(item)


KEYS = sorted(set(_keys([body for known in ANSWERS.values() for _, body in known])))
SCALARS = st.one_of(
    st.text(max_size=6),
    st.integers(),
    st.floats(),  # NaN and Infinity too, which Python's JSON reads
    st.booleans(),
    st.none(),
    st.sampled_from(["0", "101", "T1", "2030-01-01T00:00:00Z", 200, 206, 403, 429]),
)
JSON = st.recursive(
    SCALARS,
    lambda inner: (
        st.lists(inner, max_size=3)
        | st.dictionaries(st.sampled_from(KEYS) | st.text(max_size=4), inner, max_size=5)
    ),
    max_leaves=12,
)
"""Any JSON value, its objects' keys mostly those the clients read."""


ODD = st.sampled_from(
    ["\n", float("inf"), [[]], True, {}, 2**64, "", float("nan"), [], -1, 1.5, float("-inf")]
)
"""Values that break a reading taking a shape for granted (an int of Infinity, a dict of a
list), the kinds mixed from the first (the options Hypothesis draws most)."""
DROPPED = object()


def _paths(value: Any, path: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    """Where a value's parts are: the value itself, then its items' parts, at any depth."""
    yield path
    if isinstance(value, dict | list):
        for key, item in value.items() if isinstance(value, dict) else enumerate(value):
            yield from _paths(item, (*path, key))


def _replaced(value: Any, path: tuple[Any, ...], new: Any) -> Any:
    """``value`` with its part at ``path`` ``new`` (:data:`DROPPED`: an object's key left out);
    as it is where an earlier change took the path away."""
    if not path:
        return None if new is DROPPED else new
    key, rest = path[0], path[1:]
    if isinstance(value, dict) and key in value:
        if new is DROPPED and not rest:
            return {name: item for name, item in value.items() if name != key}
        return value | {key: _replaced(value[key], rest, new)}
    if isinstance(value, list) and isinstance(key, int) and key < len(value):
        return [*value[:key], _replaced(value[key], rest, new), *value[key + 1 :]]
    return value


def sometimes(every: int) -> st.SearchStrategy[bool]:
    """True about once in ``every`` draws (Hypothesis favours a choice's first options, and
    draws repeated strategies of a ``one_of`` no more often than the others)."""
    return st.sampled_from((False, True, *[False] * (every - 2)))


def shaped_like(value: Any) -> st.SearchStrategy[Any]:
    """``value`` with none, one or two of its parts (itself included, last: the least often)
    anything else: half the time one of :data:`ODD`, else any JSON value or left out."""
    where = st.sampled_from(list(_paths(value))[::-1])
    what = st.sampled_from([ODD, JSON, ODD, st.just(DROPPED)]).flatmap(lambda kind: kind)
    return st.lists(st.tuples(where, what), max_size=2).map(
        lambda changes: functools.reduce(lambda v, c: _replaced(v, *c), changes, value)
    )


HEADERS = st.fixed_dictionaries(
    {},
    optional={
        "Retry-After": st.sampled_from(
            [
                *("0", "2.5", "inf", "nan", "-1", "soon", "Wed, 21 Oct 2015 07:28:00 GMT"),
                *("Fri, 01 Jan 99999999999 00:00:00 GMT", "Fri, 31 Dec 9999 23:59:59 -2359"),
            ]
        ),
        "Date": st.sampled_from(["Wed, 21 Oct 2015 07:28:00 GMT", "Mon, 01 Jan 0001 00:00:00"]),
    },
)


@st.composite
def answers(draw: st.DrawFn, request: httpx.Request) -> httpx.Response:
    """An answer to ``request``: any status, the vendor's body in any shape or no JSON at all,
    now and then a ``Content-Encoding`` its body is not in."""
    named = [name for name in ("login", "importCli", "importPvt") if name in request.url.params]
    status, known = draw(st.sampled_from(ANSWERS[named[0] if named else request.url.path]))
    if draw(sometimes(8)):
        status = draw(st.sampled_from([200, 202, 403, 429, 500]))
    unread = draw(sometimes(10))
    body = draw(st.binary(max_size=8)) if unread else json.dumps(draw(shaped_like(known))).encode()
    headers = draw(HEADERS)
    if draw(sometimes(20)):
        headers["Content-Encoding"] = "gzip"
    return httpx.Response(status, headers=headers, stream=httpx.ByteStream(body))


@pytest.mark.parametrize("vendor", list(VENDORS))
def test_whatever_a_vendor_answers_a_client_raises_only_that_vendor_s_errors(vendor: str) -> None:
    """Each crash below was a draw of this: a login's ``data`` an object, ``Item5`` a string,
    ``"IRID": Infinity``, a ``Retry-After`` in the year 99999999999, a ``code`` that is an
    array. Up to three calls on one client: each starts from what the ones before left (a
    token, a session)."""
    vendor_error, make, calls = VENDORS[vendor]
    sequences = st.lists(st.sampled_from(list(calls)), min_size=1, max_size=3)

    @current().settings()
    @given(st.data())
    def answered(data: st.DataObject) -> None:
        transport = httpx.MockTransport(lambda request: data.draw(answers(request)))
        with make(transport) as client:
            for name in data.draw(sequences):
                with suppress(vendor_error, httpx.TransportError):
                    calls[name](client)

    answered()


def _answering(
    *bodies: Any, status: int = 200, headers: dict[str, str] | None = None
) -> httpx.MockTransport:
    """A transport answering each call with the next body (as JSON; text as it is)."""
    queue = iter(bodies)

    def answer(request: httpx.Request) -> httpx.Response:
        body = next(queue)
        content = body.encode() if isinstance(body, str) else json.dumps(body).encode()
        return httpx.Response(status, headers=headers, content=content)

    return httpx.MockTransport(answer)


QP_LOGIN = ANSWERS["login"][0][1]
XTRA_LOGIN = ANSWERS["/api/sync/v1/login"][0][1]
DEEP = "[" * 100_000 + "]" * 100_000


def _xtra_record(**items: Any) -> dict[str, Any]:
    return xtra_updated(XTRA_RECORD | items)


UNREADABLE: dict[str, tuple[str, str, list[Any], type[VendorClientError], str]] = {
    "quoparts-login-data-an-object": (
        "quoparts",
        "login",
        [QP_LOGIN | {"data": {"TOKEN": "t"}}],
        QuoPartsInvalidResponse,
        "login answer's data is an object with TOKEN",
    ),
    "quoparts-login-data-a-number": (
        "quoparts",
        "login",
        [QP_LOGIN | {"data": 5}],
        QuoPartsInvalidResponse,
        "login answer's data is a number",
    ),
    "quoparts-login-data-true": (
        "quoparts",
        "login",
        [QP_LOGIN | {"data": True}],
        QuoPartsInvalidResponse,
        "login answer's data is true or false",
    ),
    "xtra-item5-a-string": (
        "xtra",
        "contact-form",
        [_xtra_record(Item5="D1")],
        XtraInvalidResponse,
        r"irs/update answer's result\.records\[0\]\.Item5 is a string, not object",
    ),
    "xtra-item6-a-string": (
        "xtra",
        "contact-form",
        [_xtra_record(Item6="C1")],
        XtraInvalidResponse,
        r"irs/update answer's result\.records\[0\]\.Item6 is a string, not object",
    ),
    "xtra-login-irid-infinity": (
        "xtra",
        "login",
        [XTRA_LOGIN | {"result": XTRA_LOGIN["result"] | {"IRID": float("inf")}}],
        XtraInvalidResponse,
        r"login answer's result\.IRID is a number, not integer",
    ),
    "keepit-code-an-array": (
        "keepit",
        "insert",
        [{"code": [], "message": "Fatto"}],
        KeepItError,
        r"\[200 None\] Fatto",
    ),
    "quoparts-cod-doc-null": (
        "quoparts",
        "importPvt",
        [QP_LOGIN, quoparts_answer({"COD_DOC": None})],
        QuoPartsInvalidResponse,
        r"importPvt answer's data\[0\]\.COD_DOC is null, not string",
    ),
    "quoparts-created-row-cod-cli-null": (
        "quoparts",
        "importCli",
        [QP_LOGIN, quoparts_answer(quoparts_customer() | {"COD_CLI": None})],
        QuoPartsInvalidResponse,
        r"importCli answer's data\[0\]\.COD_CLI is null, not string",
    ),
    "xtra-item1-null": (
        "xtra",
        "contact-form",
        [_xtra_record(Item1=None)],
        XtraInvalidResponse,
        r"irs/update answer's result\.records\[0\]\.Item1 is null, not integer",
    ),
    "xtra-item3-a-string": (
        "xtra",
        "contact-form",
        [_xtra_record(Item1="abc", Item2=5, Item3="false")],
        XtraInvalidResponse,
        r"records\[0\]\.Item1 is a string, not integer; .*Item2 is a number, not string or"
        r" null; .*Item3 is a string, not boolean",
    ),
    "xtra-no-record-for-the-one-sent": (
        "xtra",
        "contact-form",
        [xtra_updated()],
        XtraInvalidResponse,
        "irs/update answer has 0 records for 1 sent",
    ),
    "xtra-two-records-for-the-one-sent": (
        "xtra",
        "contact-form",
        [xtra_updated(XTRA_RECORD, XTRA_RECORD)],
        XtraInvalidResponse,
        "irs/update answer has 2 records for 1 sent",
    ),
    "keepit-prog-id-null": (
        "keepit",
        "insert",
        [{"success": True, "code": 200, "message": "Fatto", "insertedObjects": [{"progId": None}]}],
        KeepItInvalidResponse,
        r"insertedObjects\[0\] has no customerCode; .*insertedObjects\[0\]\.progId is null, not"
        r" integer or string",
    ),
    "quoparts-deeply-nested": ("quoparts", "login", [DEEP], QuoPartsInvalidResponse, "deeply"),
    "xtra-deeply-nested": ("xtra", "login", [DEEP], XtraInvalidResponse, "deeply"),
    "keepit-deeply-nested": ("keepit", "insert", [DEEP], KeepItInvalidResponse, "deeply"),
    "tsdigital-deeply-nested": (
        "tsdigital",
        "create",
        [DEEP],
        TsDigitalInvalidResponse,
        r"too deeply to read \(200000 bytes",
    ),
}


@pytest.mark.parametrize("case", list(UNREADABLE))
def test_an_answer_a_client_cannot_read_is_its_invalid_response_not_a_builtin_error(
    case: str,
) -> None:
    """Each was a ``KeyError``, ``TypeError``, ``ValueError``, ``OverflowError`` or
    ``RecursionError``; a KeepIT ``code`` that is no number is the vendor's refusal, as one
    that is not a result's code (200, 204, 206) has always been."""
    vendor, call, bodies, invalid, message = UNREADABLE[case]
    vendor_error, make, calls = VENDORS[vendor]
    with make(_answering(*bodies)) as client, pytest.raises(invalid, match=message) as caught:
        calls[call](client)
    assert isinstance(caught.value, vendor_error)


def test_a_retry_after_date_beyond_any_calendar_is_no_wait_not_an_overflow() -> None:
    """KeepIT's 429 read its ``Retry-After`` with ``parsedate_to_datetime``, which raised
    OverflowError for a year of 11 digits: for every refused answer that carried one."""
    refused = {"code": 429, "message": "Too many requests"}
    huge = {"Retry-After": "Fri, 01 Jan 99999999999 00:00:00 GMT"}
    transport = _answering(refused, status=429, headers=huge)
    with (
        KeepItClient("http://k", **KEEPIT, transport=transport) as keepit,
        pytest.raises(KeepItError) as caught,
    ):
        keepit.insert_customers([keepit_customer("C1")])
    assert (caught.value.status, caught.value.code, caught.value.retry_after) == (429, 429, None)


def test_an_invalid_answer_names_the_field_and_the_rule_never_its_value() -> None:
    """An answer may hold generated passwords and tokens: the error says where the answer
    breaks its contract, and which rule, not what it held."""
    row = quoparts_customer() | {"COD_PWD": "hunter2-SECRET", "COD_USR": ["SECRET"]}
    with (
        QuoPartsClient(
            "http://q", **USER, transport=_answering(QP_LOGIN, quoparts_answer(row))
        ) as client,
        pytest.raises(QuoPartsInvalidResponse) as caught,
    ):
        client.import_customers([ROW])
    shown = f"{caught.value!s} {caught.value!r} {caught.value.message}"
    assert "data[0].COD_USR is an array of 1, not string" in shown and "COD_PWD" not in shown
    assert "SECRET" not in shown and (caught.value.status, caught.value.code) == (200, "0")


SEED_DEBUG = {"requestTime": "2025-04-17 11:53:49", "responseTime": "2025-04-17 11:53:50"}
SEED_DEBUG |= {"duration": "00:00:00.7408426", "clientIP": "::1"}
DEBUG_ELSEWHERE = {
    "pascal-case": {key[0].upper() + key[1:]: value for key, value in SEED_DEBUG.items()},
    "timespan-zero": SEED_DEBUG | {"duration": "00:00:00"},
    "not-an-object": "2025-04-17 11:53:49",
}


@pytest.mark.parametrize("debug", list(DEBUG_ELSEWHERE))
def test_xtra_s_debug_block_is_kept_as_it_comes_never_checked(debug: str) -> None:
    """XTRA's public pages spell the debug keys ``RequestTime`` too, and a .NET TimeSpan of
    no fraction is ``00:00:00``: a call whose records were written was reported as failed
    because the debug block, which the client only keeps, broke the fake's format."""
    block = DEBUG_ELSEWHERE[debug]
    transport = _answering(xtra_updated(XTRA_RECORD) | {"debug": block})
    with XtraClient("http://x", public_key="p", secret_key="s", transport=transport) as xtra:
        (outcome,) = xtra.update_identities([FORM], contact_form=True, debug=True)
        assert outcome.ok and xtra.last_debug == block


def test_xtra_s_failed_record_with_item5_and_item6_null_reads_them_as_empty() -> None:
    """Seed 000 types them ``Dictionary<string, int?>``, which .NET may leave null on a record
    that failed; its error code need not be one the document lists."""
    refused = {"Code": "ER.IR.DUPLICATE", "Message": "Anagrafica duplicata"}
    failed = xtra_record(Item1=0, Item3=False, Item4=refused, Item5=None, Item6=None)
    transport = _answering(xtra_updated(failed, XTRA_RECORD | {"Item5": None}))
    with XtraClient("http://x", public_key="p", secret_key="s", transport=transport) as xtra:
        first, second = xtra.update_identities([FORM, FORM], contact_form=True)
    assert (first.ok, first.error_code, first.destinations, first.contacts) == (
        False,
        "ER.IR.DUPLICATE",
        {},
        {},
    )
    assert (second.ok, second.destinations, second.contacts) == (True, {}, {"D1": None})


def test_quoparts_codes_in_the_vendor_s_own_formats_are_read_not_refused() -> None:
    """Seed 003 types COD_CLI, COD_USR, COD_PWD and COD_DOC as strings; their patterns are
    the fake's own (6 digits, M + 5 digits, 6 upper-case letters or digits): a customer or a
    quote QuoParts created was reported as an answer the client could not read."""
    created = {"errorCode": "0", "error": "", "COD_CLI_ERP": "CLI001", "COD_CLI": "15"}
    created |= {"COD_USR": "mario.rossi", "COD_PWD": "aB3x9kQ2"}
    transport = _answering(QP_LOGIN, quoparts_answer(created), quoparts_answer({"COD_DOC": "1234"}))
    with QuoPartsClient("http://q", **USER, transport=transport) as client:
        (customer,) = client.import_customers([ROW])
        assert client.import_quote(HEADER, [ARTICLE]) == "1234"
    assert (customer.customer_code, customer.username, customer.password) == (
        "15",
        "mario.rossi",
        "aB3x9kQ2",
    )


def test_whole_numbers_written_with_a_fraction_are_read_as_the_integers_they_are() -> None:
    """JSON Schema, and so the contracts, count ``200.0`` as the integer 200: a result says
    ``200`` (an int), as the documents type it, not ``200.0``."""
    done = {"success": True, "code": 200.0, "message": "Fatto"}
    done["insertedObjects"] = [{"progId": 7.0, "customerCode": "C1"}]
    with KeepItClient("http://k", **KEEPIT, transport=_answering(done)) as keepit:
        result = keepit.insert_customers([keepit_customer("C1")])
    assert (result.code, type(result.code)) == (200, int)
    record = XTRA_RECORD | {"Item1": 2.0, "Item6": {"0": 115209.0}}
    transport = _answering(xtra_updated(record))
    with XtraClient("http://x", public_key="p", secret_key="s", transport=transport) as xtra:
        (outcome,) = xtra.update_identities([FORM], contact_form=True)
    assert (outcome.id, type(outcome.id), outcome.contacts) == (2, int, {"0": 115209})
    assert type(outcome.contacts["0"]) is int
