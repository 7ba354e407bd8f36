"""The XTRA reference client, in-process (sync and async) and over a socket."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import anyio
import httpx
import pytest

from clients import (
    AsyncXtraClient,
    ContractViolation,
    RecordOutcome,
    XtraClient,
    XtraError,
    XtraInvalidResponse,
    XtraSession,
)
from mockservers import create_app
from mockservers.testing import MockServer, SyncASGITransport
from tests.data import xtra_login, xtra_record, xtra_updated

BASE = "http://mockservers/xtra"
KEYS = {"public_key": "demo-public", "secret_key": "demo-secret"}
USER = {"username": "demo", "password": "demo"}
FORM = {"EMail": "anna@example.it", "Surname": "Rossi", "Name": "Anna", "WebReasonID": 13}
NEW = {"FIDGroup": 2, "TypologyIds": [2], "Denomination": "Rossi S.r.l.", "ExternalKey": "R1"}
DOCUMENT = {"Number": "AB123", "FIDDocumentTypology": 1, "ReleaseDate": "2024-05-12"}


@pytest.fixture
def keyed(app: object) -> Iterator[XtraClient]:
    with XtraClient(BASE, **KEYS, transport=SyncASGITransport(app)) as xtra:
        yield xtra


@pytest.fixture
def logged(app: object) -> Iterator[XtraClient]:
    with XtraClient(BASE, **USER, transport=SyncASGITransport(app)) as xtra:
        yield xtra


def _admin(app: object) -> httpx.Client:
    return httpx.Client(transport=SyncASGITransport(app), base_url="http://mockservers")


def test_client_contact_form_and_insert_with_the_key_pair(keyed: XtraClient) -> None:
    (form,) = keyed.update_identities([FORM], contact_form=True, debug=True)
    assert form == RecordOutcome(
        id=2,
        external_key="anna@example.it_Rossi_Anna",
        ok=True,
        error_code=None,
        error_message=None,
        destinations={},
        contacts={"0": 1},
    )
    assert keyed.last_debug is not None and keyed.last_debug["clientIP"]
    (inserted,) = keyed.update_identities([NEW | {"Contacts": [{"Value": "0131"}]}])
    assert inserted.ok and inserted.id == 3 and inserted.external_key == "R1"
    assert inserted.contacts == {"0": 2}
    assert keyed.last_debug is None


def test_client_reports_per_record_errors_without_raising(keyed: XtraClient) -> None:
    keyed.validate = False
    outcomes = keyed.update_identities([NEW, NEW, {"ID": 404}, {"FIDGroup": 9}])
    assert [(o.ok, o.error_code) for o in outcomes] == [
        (True, None),
        (False, "ER.IR.EXISTS"),
        (False, "ER.IR.NOFOUND"),
        (False, "ER.IR.INVAL"),
    ]
    assert outcomes[2].id == 404 and "404" in (outcomes[2].error_message or "")


def test_client_login_gives_a_session(logged: XtraClient) -> None:
    session = logged.login()
    assert isinstance(session, XtraSession)
    assert (session.irid, session.user_id, session.username) == (1, 1, "demo")
    assert session.token and session.refresh_token
    assert session.expires_at - datetime.now(UTC) < timedelta(seconds=3700)


def test_client_with_a_user_updates_its_own_identity(app: object, logged: XtraClient) -> None:
    (outcome,) = logged.update_identities([{"ID": 1, "IdentityDocuments": [DOCUMENT]}])
    assert outcome.ok and outcome.id == 1
    with _admin(app) as admin:
        sent = admin.get("/__admin/requests", params={"operation": "updateIdentities"}).json()
    assert "accesstoken" in sent[0]["headers"] and "syncsecretkey" not in sent[0]["headers"]


def test_client_logs_in_again_once_when_the_token_expires(app: object, logged: XtraClient) -> None:
    first = logged.login()
    with _admin(app) as admin:
        admin.post("/__admin/clock", json={"advance_seconds": 3600})
        (outcome,) = logged.update_identities([{"ID": 1, "City": "Valenza"}])
        logins = admin.get("/__admin/requests", params={"operation": "login"}).json()
    assert outcome.ok
    assert len(logins) == 2 and logged.session is not None and logged.session.token != first.token


def test_client_raises_xtra_error_beyond_its_own_identity(app: object, logged: XtraClient) -> None:
    with pytest.raises(XtraError) as caught:
        logged.update_identities([{"ID": 2}])
    assert (caught.value.status, caught.value.code) == (403, "ER.AUTH")
    with _admin(app) as admin:  # a fresh token refused is not taken for an expired one
        assert len(admin.get("/__admin/requests", params={"operation": "login"}).json()) == 1
    # Nor is a token from an earlier call, refused for reaching beyond its identity: sent once.
    logged.update_identities([{"ID": 1, "City": "Asti"}])
    with pytest.raises(XtraError):
        logged.update_identities([{"ID": 2, "City": "Asti"}])
    with _admin(app) as admin:
        journal = admin.get("/__admin/requests", params={"vendor": "xtra"}).json()
    assert [(e["operation"], e["status"]) for e in reversed(journal)] == [
        ("login", 200),
        ("updateIdentities", 403),
        ("updateIdentities", 200),
        ("updateIdentities", 403),
    ]


NEW_USER = {"Username": "new", "Email": "e@x.it", "Password": "p", "ConfirmPassword": "p"}


@pytest.mark.parametrize(
    ("beyond", "contact_form"),
    [
        ([{"ID": 1, "Users": [NEW_USER]}], False),  # a user inserted
        ([{"ID": 1, "Users": [{"ID": 7, "Password": "p", "ConfirmPassword": "p"}]}], False),
        ([{"ID": 1}, {"ID": 1, "Users": [NEW_USER]}], False),  # anywhere in the batch
        ([{"ID": 1, **FORM}], True),  # a contact form needs the key pair
    ],
    ids=["user-insert", "another-user", "later-record", "contact-form"],
)
@pytest.mark.anyio
async def test_a_call_beyond_the_token_s_users_is_sent_once(
    app: object, beyond: list[dict[str, Any]], contact_form: bool
) -> None:
    """Its own identity, but a user (or a context) the token may not touch: the 403 was taken
    for an expired token, and the call logged in again and was sent (and refused, and
    journalled) twice."""
    with XtraClient(BASE, **USER, transport=SyncASGITransport(app)) as xtra:
        xtra.update_identities([{"ID": 1, "City": "Valenza"}])
        with pytest.raises(XtraError) as caught:
            xtra.update_identities(beyond, contact_form=contact_form)
    transport = httpx.ASGITransport(app=app)  # type: ignore[arg-type]
    async with AsyncXtraClient(BASE, **USER, transport=transport) as twin:
        await twin.update_identities([{"ID": 1, "City": "Asti"}])
        with pytest.raises(XtraError):
            await twin.update_identities(beyond, contact_form=contact_form)
    assert (caught.value.status, caught.value.code) == (403, "ER.AUTH")
    with _admin(app) as admin:
        journal = admin.get("/__admin/requests", params={"vendor": "xtra"}).json()
    once = [("login", 200), ("updateIdentities", 200), ("updateIdentities", 403)]
    assert [(e["operation"], e["status"]) for e in reversed(journal)] == once * 2


def test_its_own_user_is_retried_once_the_token_expired(app: object, logged: XtraClient) -> None:
    """What the token may do is still sent again after a new login."""
    logged.update_identities([{"ID": 1, "City": "Valenza"}])
    own = {"ID": 1, "Users": [{"ID": 1, "Password": "demo2", "ConfirmPassword": "demo2"}]}
    with _admin(app) as admin:
        admin.post("/__admin/clock", json={"advance_seconds": 3600})
        (outcome,) = logged.update_identities([own])
        journal = admin.get("/__admin/requests", params={"vendor": "xtra"}).json()
    assert outcome.ok
    assert [(e["operation"], e["status"]) for e in reversed(journal)][2:] == [
        ("updateIdentities", 403),
        ("login", 200),
        ("updateIdentities", 200),
    ]


def test_records_in_any_case_are_checked_and_retried_as_xtra_reads_them(
    app: object, logged: XtraClient
) -> None:
    """XTRA binds a body's names in any case: the client checks and judges the records so
    (a lower-case ``id`` of its own user is still its own), sends them as given and leaves
    the caller's records as they were."""
    logged.update_identities([{"ID": 1, "City": "Valenza"}])
    own = {"id": 1, "users": [{"id": 1, "password": "demo2", "confirmpassword": "demo2"}]}
    sent = [own | {"users": [dict(own["users"][0])]}]
    with _admin(app) as admin:
        admin.post("/__admin/clock", json={"advance_seconds": 3600})
        (outcome,) = logged.update_identities(sent)
        journal = admin.get("/__admin/requests", params={"vendor": "xtra"}).json()
    assert outcome.ok and outcome.id == 1
    assert [e["status"] for e in reversed(journal)][2:] == [403, 200, 200]
    assert sent == [own] and "ID" not in sent[0]["users"][0]
    with pytest.raises(ContractViolation, match=r"\[0\]\.Users\[0\]: has no ConfirmPassword"):
        logged.update_identities([{"id": 1, "users": [{"id": 1, "password": "x"}]}])


NOT_AUTHORISED = {"statusCode": 403, "errorCode": "ER.AUTH", "message": "Non autorizzato"}
UPDATED = xtra_updated(xtra_record())


def test_client_reads_not_authorised_from_the_envelope_at_http_200() -> None:
    """XTRA's envelope carries the outcome: a service answering HTTP 200 with ``statusCode``
    403 for an expired token made the client raise on every expiry (it looked at the HTTP
    status only), and the error's ``.status`` said 200 with nothing saying 403."""
    sent: list[tuple[str, str | None]] = []

    def answer(request: httpx.Request) -> httpx.Response:
        token = request.headers.get("AccessToken")
        sent.append((request.url.path.rsplit("/", 1)[1], token))
        if request.url.path.endswith("/login"):
            return httpx.Response(200, json=xtra_login(f"T{len(sent)}"))
        return httpx.Response(200, json=UPDATED if token == "T3" else NOT_AUTHORISED)

    with XtraClient(BASE, **USER, transport=httpx.MockTransport(answer)) as xtra:
        xtra.login()  # T1: a token from an earlier call, refused later: expired
        assert xtra.update_identities([{"ID": 1, "City": "Valenza"}])[0].ok
        xtra.session = None  # the next login's token (T5) is refused at once: raised
        with pytest.raises(XtraError) as caught:
            xtra.update_identities([{"ID": 1, "City": "Asti"}])
    assert sent == [
        ("login", None),
        ("update", "T1"),
        ("login", None),
        ("update", "T3"),
        ("login", None),
        ("update", "T5"),
    ]
    error = caught.value
    assert (error.status, error.status_code, error.code) == (200, 403, "ER.AUTH")


@pytest.mark.parametrize(
    "credentials",
    [{"username": "demo", "password": "wrong"}, {"public_key": "demo-public", "secret_key": "x"}],
)
def test_client_wrong_credentials_raise_er_auth(app: object, credentials: dict[str, str]) -> None:
    with XtraClient(BASE, **credentials, transport=SyncASGITransport(app)) as xtra:
        with pytest.raises(XtraError) as caught:
            xtra.update_identities([{"ID": 1}])
        assert caught.value.status == 403 and caught.value.code == "ER.AUTH"
        assert caught.value.message


BOTH_CALLS = [
    ([NEW], False),  # an identity inserted: its ID is 2
    ([{"ID": 1, "Users": [NEW_USER]}], False),  # a user inserted
    ([{"ID": 1, "City": "Valenza"}], False),  # the login's own identity
    ([{"ID": 2, "City": "Asti"}], False),  # another identity
    ([FORM], True),  # a contact form
]


def _run_sync(app: object) -> list[RecordOutcome]:
    with XtraClient(BASE, **KEYS, **USER, transport=SyncASGITransport(app)) as xtra:
        return [xtra.update_identities(r, contact_form=c)[0] for r, c in BOTH_CALLS]


def _run_async(app: object) -> list[RecordOutcome]:
    async def run() -> list[RecordOutcome]:
        transport = httpx.ASGITransport(app=app)  # type: ignore[arg-type]
        async with AsyncXtraClient(BASE, **KEYS, **USER, transport=transport) as xtra:
            return [(await xtra.update_identities(r, contact_form=c))[0] for r, c in BOTH_CALLS]

    return anyio.run(run)


@pytest.mark.parametrize("run", [_run_sync, _run_async], ids=["sync", "async"])
def test_a_client_with_both_sends_the_token_only_where_the_token_may_go(
    app: object, run: Any
) -> None:
    """A kit session's credentials hold a key pair and a login (``XtraClient(url,
    **session.credentials["xtra"])``, as the docs build it): every plain call went with the
    AccessToken, and an insert got 403 ER.AUTH though the client had a key pair that may make
    it. The token goes only where it may; an insert needs no login at all."""
    outcomes = run(app)
    assert all(o.ok for o in outcomes) and outcomes[0].id == 2
    with _admin(app) as admin:
        journal = admin.get("/__admin/requests", params={"vendor": "xtra"}).json()
    sent = [
        (
            e["operation"],
            e["status"],
            "accesstoken" in e["headers"],
            "syncpublickey" in e["headers"],
        )
        for e in reversed(journal)
    ]
    assert sent == [
        ("updateIdentities", 200, False, True),  # an identity inserted
        ("updateIdentities", 200, False, True),  # a user inserted
        ("login", 200, False, True),  # the key pair names the account it logs in to
        ("updateIdentities", 200, True, False),  # the login's own identity
        ("updateIdentities", 200, False, True),  # another identity
        ("updateIdentities", 200, False, True),  # a contact form
    ]


class _Refuse(httpx.BaseTransport):
    def handle_request(self, request: httpx.Request) -> httpx.Response:
        raise AssertionError("the client sent a request it should have refused")


@pytest.mark.parametrize(
    "call",
    [
        lambda x: x.update_identities([{"Surname": "Rossi"}], contact_form=True),
        lambda x: x.update_identities(
            [{"ID": 1, "IdentityDocuments": [DOCUMENT | {"ReleaseDate": "2024-02-30"}]}]
        ),
        lambda x: x.update_identities([{"FIDGroup": 1}]),
        lambda x: x.update_identities([FORM | {"ID": 1, "Users": [{"ID": 1}]}]),
    ],
    ids=["form-missing-columns", "bad-date", "insert-without-typology", "user-without-password"],
)
def test_client_validates_before_any_io(call: object) -> None:
    with (
        XtraClient(BASE, **KEYS, transport=_Refuse()) as xtra,
        pytest.raises(ContractViolation),
    ):
        call(xtra)  # type: ignore[operator]


@pytest.mark.parametrize(
    "kwargs",
    [{}, {"public_key": "p"}, {"username": "u"}, {"secret_key": "s", "password": "p"}],
)
def test_client_needs_complete_credentials(kwargs: dict[str, str]) -> None:
    with pytest.raises(ValueError):
        XtraClient(BASE, **kwargs)


def test_key_pair_client_cannot_log_in(keyed: XtraClient) -> None:
    with pytest.raises(ValueError):
        keyed.login()


@pytest.mark.anyio
async def test_async_client_in_process(app: object) -> None:
    transport = httpx.ASGITransport(app=app)  # type: ignore[arg-type]
    async with AsyncXtraClient(BASE, **USER, transport=transport) as xtra:
        session = await xtra.login()
        assert session.irid == 1
        (outcome,) = await xtra.update_identities([{"ID": 1, "IdentityDocuments": [DOCUMENT]}])
        assert outcome.ok
        with pytest.raises(XtraError):
            await xtra.update_identities([{"ID": 5}])
    async with AsyncXtraClient(BASE, **KEYS, transport=transport) as xtra:
        (again,) = await xtra.update_identities([{"ID": 1, "IdentityDocuments": [DOCUMENT]}])
        assert again.error_code == "ER.DOC.EXISTS"


def test_client_over_a_socket_against_mockserver(mockserver: MockServer) -> None:
    base = mockserver.base_url("xtra")
    with XtraClient(base, **KEYS) as xtra:
        (form,) = xtra.update_identities([FORM], contact_form=True, debug=True)
        assert form.ok and xtra.last_debug is not None
        assert xtra.last_debug["clientIP"] == "127.0.0.1"
    with XtraClient(base, **USER) as xtra:
        assert xtra.update_identities([{"ID": 1, "City": "Valenza"}])[0].ok
        mockserver.advance(3600)
        assert xtra.update_identities([{"ID": 1, "City": "Asti"}])[0].ok
    operations = [e["operation"] for e in mockserver.requests(vendor="xtra")]
    assert operations == [
        "updateIdentities",
        "login",
        "updateIdentities",
        "updateIdentities",
        "login",
        "updateIdentities",
    ]
    assert mockserver.state("xtra")["tenants"]["demo"]["identities"]["1"]["City"] == "Asti"


def test_no_password_token_or_secret_key_reaches_a_message_or_a_repr(logged: XtraClient) -> None:
    """A password of the wrong type was quoted by the login's ContractViolation, a user's
    password inside a record by the update's, a secret key ending in a newline by httpx's
    refusal, and the session's repr showed its tokens."""
    number = 918273645
    with (
        XtraClient(BASE, username="demo", password=number, transport=_Refuse()) as xtra,  # type: ignore[arg-type]
        pytest.raises(ContractViolation) as refused,
    ):
        xtra.login()
    assert "918273645" not in str(refused.value)
    assert all("918273645" not in v.message for v in refused.value.violations)
    user = {"Username": "u", "Email": "u@x.it", "Password": 4242, "ConfirmPassword": 4242}
    with (
        XtraClient(BASE, **KEYS, transport=_Refuse()) as xtra,
        pytest.raises(ContractViolation) as refused,
    ):
        xtra.update_identities([NEW | {"Users": [user]}])
    assert "4242" not in str(refused.value)
    users_object = {"Username": "u", "Password": "Hunter2-SECRET", "ConfirmPassword": "x"}
    with (
        XtraClient(BASE, **KEYS, transport=_Refuse()) as xtra,
        pytest.raises(ContractViolation) as refused,
    ):  # a value holding a password, quoted whole by the validator's message
        xtra.update_identities([{"ID": 5, "Users": users_object}])
    assert "Hunter2" not in str(refused.value)
    keys = KEYS | {"secret_key": "s3cr3t-from-a-file\n"}
    with (
        XtraClient(BASE, **keys, transport=_Refuse()) as xtra,
        pytest.raises(ContractViolation) as refused,
    ):
        xtra.update_identities([NEW])
    assert "s3cr3t" not in str(refused.value) and "SyncSecretKey" in str(refused.value)
    session = logged.login()
    assert session.token not in repr(session)


@pytest.mark.parametrize(
    "users",
    [
        {"username": "anna", "password": "Hunter2-SECRET", "confirmPassword": "Hunter2-SECRET"},
        {"PASSWORD": "Hunter2-SECRET"},
        [{"id": 1, "PassWord": {"x": "Hunter2-SECRET"}}],
    ],
    ids=["object-lower-case", "object-upper-case", "a-password-holding-an-object"],
)
def test_a_password_named_in_any_case_is_never_quoted(users: object) -> None:
    """XTRA binds ``password`` as ``Password``: ``Users`` given as an object whose names are
    in another case was quoted whole by the ContractViolation, password included."""
    with (
        XtraClient(BASE, **KEYS, transport=_Refuse()) as xtra,
        pytest.raises(ContractViolation) as refused,
    ):
        xtra.update_identities([{"ID": 1, "users": users}])
    assert "Hunter2" not in str(refused.value)
    assert all("Hunter2" not in v.message for v in refused.value.violations)
    assert all(v.instance is None for v in refused.value.violations)
    assert refused.value.violations  # refused, and naming where: not an empty list


def test_a_key_that_is_no_string_is_a_contract_violation_never_quoted() -> None:
    """A number given as a key raised a bare TypeError from the header check."""
    keys = {"public_key": 123, "secret_key": 918273645}
    with (
        XtraClient(BASE, **keys, transport=_Refuse()) as xtra,  # type: ignore[arg-type]
        pytest.raises(ContractViolation) as refused,
    ):
        xtra.update_identities([{"ID": 1, "City": "Valenza"}])
    found = [(v.field, v.keyword) for v in refused.value.violations]
    assert found == [("SyncPublicKey", "type"), ("SyncSecretKey", "type")]
    assert "918273645" not in str(refused.value)


@pytest.mark.parametrize(
    "token", ["Tok3n\n", "Tok3n\r\nX-Evil: 1", "Tok3n\x00", "SECRÉT", "Tok3n ", "\tTok3n"]
)
def test_a_login_token_no_header_can_carry_is_invalid_response_not_quoted(token: str) -> None:
    """The token went into the next call's AccessToken header, where httpx refused it
    (LocalProtocolError over a socket, UnicodeEncodeError for "SECRÉT") quoting it: a message
    that docs/clients.md says never quotes a token."""
    sent: list[str] = []

    def answer(request: httpx.Request) -> httpx.Response:
        sent.append(request.url.path.rsplit("/", 1)[1])
        return httpx.Response(200, json=xtra_login(token) if sent == ["login"] else UPDATED)

    with (
        XtraClient(BASE, **USER, transport=httpx.MockTransport(answer)) as xtra,
        pytest.raises(XtraInvalidResponse, match="cannot be sent as a header") as caught,
    ):
        xtra.update_identities([{"ID": 1, "City": "Valenza"}])
    assert sent == ["login"] and xtra.session is None
    shown = f"{caught.value!s} {caught.value!r}"
    assert "Tok3n" not in shown and "SECR" not in shown and "Evil" not in shown


@pytest.mark.parametrize("token", [None, 12345, ""], ids=["null", "a-number", "empty"])
def test_a_login_token_that_is_no_text_is_invalid_response(token: object) -> None:
    """``str(Token)`` made ``null`` the token "None", sent as the AccessToken."""
    answer = httpx.Response(200, json=xtra_login(token))
    with (
        XtraClient(BASE, **USER, transport=httpx.MockTransport(lambda request: answer)) as xtra,
        pytest.raises(XtraInvalidResponse, match=r"login answer's result\.Token (is|breaks)"),
    ):
        xtra.login()


def test_last_debug_is_the_last_call_s_even_when_it_raised(keyed: XtraClient) -> None:
    """A call that raised left the debug block of the call before it in ``.last_debug``, as
    if it were its own."""
    keyed.update_identities([FORM], contact_form=True, debug=True)
    assert keyed.last_debug is not None
    keyed.validate = False
    with pytest.raises(XtraError) as caught:  # a body that is no array of objects: ER.IR.INVAL
        keyed.update_identities(["not a record"], debug=True)  # type: ignore[list-item]
    assert caught.value.code == "ER.IR.INVAL" and keyed.last_debug is None
    keyed.update_identities([FORM], contact_form=True, debug=True)
    keyed.validate = True
    with pytest.raises(ContractViolation):
        keyed.update_identities([{"Surname": "Rossi"}], contact_form=True, debug=True)
    assert keyed.last_debug is None


def test_client_logs_in_again_only_on_the_codes_it_is_told_say_expired() -> None:
    """XTRA documents the statusCode 403, not a code for an expired token (ER.AUTH is the
    kit's, configurable): by default any 403 errorCode of a token the call may use logs in
    again, as before; a user who learns the real service's codes names them, and a 403 with
    another code is raised at once."""
    app = create_app({"xtra": {"auth_error_code": "ER.TOKEN"}})
    with _admin(app) as admin:

        def update_once_expired(**options: Any) -> None:
            with XtraClient(BASE, **USER, transport=SyncASGITransport(app), **options) as xtra:
                xtra.login()
                admin.post("/__admin/clock", json={"advance_seconds": 3600})
                xtra.update_identities([{"ID": 1, "City": "Valenza"}])

        update_once_expired(reauth_codes=("ER.TOKEN",))
        update_once_expired()
        with pytest.raises(XtraError) as caught:
            update_once_expired(reauth_codes=["ER.AUTH"])
        journal = admin.get("/__admin/requests", params={"vendor": "xtra"}).json()
    assert (caught.value.status_code, caught.value.code) == (403, "ER.TOKEN")
    again = [("login", 200), ("updateIdentities", 403), ("login", 200), ("updateIdentities", 200)]
    raised = [("login", 200), ("updateIdentities", 403)]
    assert [(e["operation"], e["status"]) for e in reversed(journal)] == again * 2 + raised
