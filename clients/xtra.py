"""XTRA/XOX reference client.

```python
with XtraClient("http://127.0.0.1:8000/xtra", public_key="demo-public",
                secret_key="demo-secret") as xtra:
    (outcome,) = xtra.update_identities([{"EMail": "a@b.it", "Surname": "Rossi", "Name": "Anna",
                                          "WebReasonID": 13}], contact_form=True)
    outcome.id, outcome.external_key          # 2, "a@b.it_Rossi_Anna"

with XtraClient("http://127.0.0.1:8000/xtra", username="demo", password="demo") as xtra:
    xtra.update_identities([{"ID": 1, "City": "Valenza"}])   # its own identity only
```
With ``username``/``password`` the client logs in, sends the ``AccessToken``, and logs in again
once when the token is refused (expired: statusCode 403, with any errorCode unless
``reauth_codes`` names those that say so). With a key pair as well, the token goes only with
the calls it may make (records that update the login's own identity and user); the others
(a contact form, an insert, another identity or user) go with the key pair.
A kit session's credentials are its keyword arguments as they are
(``XtraClient(url, **session.credentials["xtra"])``): ``irid``, the identity the account's login
belongs to, is kept as ``.irid`` for the caller (the records an ``AccessToken`` may update) and
never sent; the login's own answer (``XtraSession.irid``) is what the client goes by.
A whole-call error raises :class:`XtraError`; per-record failures come back as
:class:`RecordOutcome` with ``ok=False``.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Unpack

import httpx

from clients.base import (
    SUCCESS,
    AsyncClient,
    Flow,
    HttpOptions,
    InvalidResponse,
    Req,
    SyncClient,
    VendorClientError,
    check_answer,
    check_header_values,
    check_request,
    code_set,
    detail_of,
    exclusive,
    header_fault,
    json_body,
    renewed,
    shape,
)
from contracts import contract
from contracts.binding import body_names, bound_body

LOGIN_PATH = "/api/sync/v1/login"
UPDATE_PATH = "/api/sync/v1/irs/update"
LOGIN_ANSWER = f"xtra/login.response{SUCCESS}"
UPDATE_ANSWER = f"xtra/updateIdentities.response{SUCCESS}"
NOT_AUTHORISED = 403
"""The envelope's statusCode for missing or wrong credentials and an unknown or expired token."""


class XtraError(VendorClientError):
    """A whole-call XTRA error: ``.status`` (HTTP), ``.status_code`` (the envelope's
    statusCode, the outcome XTRA reports; None when the answer had no envelope), ``.code``
    (errorCode), ``.message``. The two statuses are the same number in XTRA's document, not
    always on the wire (a .NET envelope at HTTP 200)."""

    def __init__(
        self,
        status: int,
        code: str | None,
        message: str,
        *,
        status_code: int | None = None,
        detail: str = "",
    ) -> None:
        super().__init__(status, code, message, detail=detail)
        self.status_code = status_code


class XtraInvalidResponse(InvalidResponse, XtraError):
    """An answer no XTRA contract allows: an :class:`XtraError` (``.code`` and
    ``.status_code`` None) and an :class:`InvalidResponse`."""


@dataclass(frozen=True)
class XtraSession:
    """A login: the AccessToken, the identity it may update, and when it expires."""

    token: str = field(repr=False)
    irid: int
    user_id: int
    username: str
    expires_at: datetime
    refresh_token: str | None = field(default=None, repr=False)


@dataclass(frozen=True)
class RecordOutcome:
    """One record of an irs/update answer (the tuple Item1..Item6)."""

    id: int
    external_key: str | None
    ok: bool
    error_code: str | None
    error_message: str | None
    destinations: dict[str, int | None]
    contacts: dict[str, int | None]


class _XtraFlows:
    """The protocol, written once for the sync and the async client."""

    invalid_response = XtraInvalidResponse

    def __init__(
        self,
        public_key: str | None,
        secret_key: str | None,
        username: str | None,
        password: str | None,
        irid: int | None,
        validate: bool,
        reauth_codes: Collection[str] | None,
    ) -> None:
        if (public_key is None) != (secret_key is None):
            raise ValueError("give both public_key and secret_key, or neither")
        if (username is None) != (password is None):
            raise ValueError("give both username and password, or neither")
        if public_key is None and username is None:
            raise ValueError("give a key pair (public_key, secret_key) or username and password")
        self.public_key = public_key
        self.secret_key = secret_key
        self.username = username
        self.password = password
        self.irid = irid
        self.validate = validate
        self.reauth_codes = None if reauth_codes is None else code_set(reauth_codes, "reauth_codes")
        """The errorCodes of a 403 envelope that say the token expired; None: any (XTRA
        documents the statusCode, not a code: ER.AUTH is the kit's, configurable there)."""
        self.session: XtraSession | None = None
        self.last_debug: dict[str, Any] | None = None

    def _key_headers(self) -> dict[str, str]:
        if self.public_key is None or self.secret_key is None:
            return {}
        headers = {"SyncPublicKey": self.public_key, "SyncSecretKey": self.secret_key}
        check_header_values(headers, "xtra/updateIdentities.headers", ("SyncSecretKey",))
        return headers

    def _login(self) -> Flow[XtraSession]:
        if self.username is None or self.password is None:
            raise ValueError("login needs username and password")
        self.session = None  # replaced: no call takes it while the login runs, nor if it fails
        payload = {"Username": self.username, "Password": self.password}
        if self.validate:
            check_request("xtra/login.request", payload, secret=("Password",))
        response = yield Req("POST", LOGIN_PATH, json=payload, headers=self._key_headers())
        body = _envelope(response)
        check_answer(LOGIN_ANSWER, _read(body), "login answer", XtraInvalidResponse, 200)
        self.session = _session(response.status_code, body)
        return self.session

    def _update(
        self, records: Iterable[dict[str, Any]], contact_form: bool, debug: bool
    ) -> Flow[list[RecordOutcome]]:
        self.last_debug = None  # this call's, or none: never an earlier call's
        payload = list(records)
        form = "contactForm." if contact_form else ""
        name = f"updateIdentities.{form}request"
        # The records as XTRA reads them, names in any case (``contracts.binding``): checked
        # and looked at so; sent as given.
        bound = bound_body(body_names(contract(f"xtra/{name}")), payload)
        if self.validate:
            check_request(f"xtra/{name}", bound, secret=("Password", "ConfirmPassword"))
        params = {"contactForm": "true"} if contact_form else {}
        if debug:
            params["debug"] = "true"
        if self._keyed_at_once(bound, contact_form):
            body = yield from self._with_keys(params, payload)
        else:
            body = yield from self._with_token(params, payload, bound, contact_form)
        read = _read(body)
        check_answer(UPDATE_ANSWER, read, "irs/update answer", XtraInvalidResponse, 200)
        records = read["result"]["records"]
        if len(records) != len(payload):
            raise XtraInvalidResponse(
                200, None, f"irs/update answer has {len(records)} records for {len(payload)} sent"
            )
        self.last_debug = body.get("debug")
        return [_outcome(row) for row in records]

    def _keyed_at_once(self, bound: list[Any], contact_form: bool) -> bool:
        """Whether the call goes with the key pair without a login: the client has no username,
        or it has a key pair and the call is one no AccessToken may make, whoever logs in (a
        contact form; an insert of an identity or of a user)."""
        if self.username is None:
            return True
        return self.public_key is not None and (contact_form or not _updates_only(bound))

    def _with_keys(self, params: dict[str, str], payload: list[Any]) -> Flow[dict[str, Any]]:
        response = yield Req(
            "POST", UPDATE_PATH, params=params, json=payload, headers=self._key_headers()
        )
        return _envelope(response)

    def _with_token(
        self, params: dict[str, str], payload: list[Any], bound: list[Any], contact_form: bool
    ) -> Flow[dict[str, Any]]:
        """Send with the AccessToken. XTRA's "not authorised" (its envelope's statusCode 403,
        whatever the HTTP status; with an errorCode of ``reauth_codes`` when given) on a token
        from an earlier call, for a call the token may make (records that update only its own
        identity and its own user, no contact form), is taken for an expired token: log in
        again once and retry (the call was refused, nothing written). Otherwise it is raised:
        a fresh token was refused, or the call reaches beyond the token (another identity or
        user, an insert of either, a contact form), which an AccessToken may never do, so a
        retry would be refused again (and journalled twice); a 403 page that is no XTRA
        envelope is no expired token either. Calls that saw the same token refused make one
        login (:func:`~clients.base.renewed`). A client with a key pair sends a call the
        token may not make with the key pair instead. ``bound``: ``payload`` as XTRA reads it,
        its names in any case."""
        refused: XtraSession | None = None
        for attempt in (1, 2):
            session, fresh = yield from renewed(lambda: self.session, refused, self._login)
            if self.public_key is not None and not _own(bound, session):
                return (yield from self._with_keys(params, payload))  # another identity or user
            response = yield Req(
                "POST",
                UPDATE_PATH,
                params=params,
                json=payload,
                headers={"AccessToken": session.token},
            )
            try:
                return _envelope(response)
            except XtraError as exc:
                expired = self._expired(exc)
                beyond = contact_form or not _own(bound, session)
                if attempt == 2 or fresh or not expired or beyond:
                    raise
                refused = session
        raise AssertionError("unreachable")

    def _expired(self, error: XtraError) -> bool:
        """Whether ``error`` says the token was refused: statusCode 403, and an errorCode of
        ``reauth_codes`` when the client was given some."""
        if error.status_code != NOT_AUTHORISED:
            return False
        codes = self.reauth_codes
        return codes is None or (isinstance(error.code, str) and error.code in codes)


def _session(status: int, envelope: dict[str, Any]) -> XtraSession:
    """A login answer's session, from an answer its contract allows. Its Token goes in a
    header: one holding what a header cannot carry (a line break, a control character, a
    letter beyond ASCII) is refused here, not quoted (httpx's refusal at the next call quoted
    it)."""
    result = envelope["result"]
    try:  # RFC 3339 (the contract's format) allows "t" and "z"; Python reads upper case
        when = result["TokenExpiration"].upper().replace("Z", "+00:00")
        expires_at = datetime.fromisoformat(when)
    except ValueError:
        raise XtraInvalidResponse(
            status, None, "login answer's result.TokenExpiration is no date-time Python reads"
        ) from None
    session = XtraSession(
        token=result["Token"],
        irid=int(result["IRID"]),
        user_id=int(result["UserID"]),
        username=result["Username"],
        expires_at=expires_at,
        refresh_token=result.get("RefreshToken"),
    )
    why = header_fault(session.token)
    if why is not None:
        raise XtraInvalidResponse(
            status, None, f"login answer's Token (not shown) cannot be sent as a header: {why}"
        )
    return session


def _own(records: list[Any], session: XtraSession) -> bool:
    """Whether every record updates only the session's identity and, of its users, only the
    session's own: all an AccessToken may do."""
    return all(
        _names(record, session.irid)
        and all(_names(user, session.user_id) for user in _users(record))
        for record in records
    )


def _updates_only(records: list[Any]) -> bool:
    """Whether every record, and every user of each, is an update (an ``ID``, no insert): the
    only calls an AccessToken may make, when the IDs are its login's."""
    return all(
        _identified(record) and all(_identified(user) for user in _users(record))
        for record in records
    )


def _identified(item: Any) -> bool:
    found = item.get("ID") if isinstance(item, dict) else None
    return isinstance(found, int) and not isinstance(found, bool)


def _names(item: Any, wanted: int) -> bool:
    """Whether ``item`` is an object whose ``ID`` is ``wanted`` (``true`` is no ID, as for
    the vendor, though Python counts it equal to 1)."""
    found = item.get("ID") if isinstance(item, dict) else None
    return found == wanted and not isinstance(found, bool)


def _users(record: dict[str, Any]) -> list[Any]:
    users = record.get("Users")
    return users if isinstance(users, list) else []


def _envelope(response: httpx.Response) -> dict[str, Any]:
    body = json_body(response, XtraInvalidResponse)
    if not isinstance(body, dict) or "statusCode" not in body:
        raise XtraInvalidResponse(
            response.status_code, None, f"not an XTRA envelope: {shape(body)}"
        )
    status_code = body["statusCode"]
    if response.status_code != 200 or status_code != 200:
        raise XtraError(
            response.status_code,
            body.get("errorCode"),
            str(body.get("message") or ""),
            status_code=status_code if type(status_code) is int else None,
            detail=detail_of(response),
        )
    return body


def _read(envelope: dict[str, Any]) -> dict[str, Any]:
    """A success envelope as the client reads it: without its debug block, which the client
    only keeps (``.last_debug``) in whatever spelling and formats it comes (XTRA's public
    pages spell its keys both ``requestTime`` and ``RequestTime``; a .NET TimeSpan of no
    fraction is ``00:00:00``); a record's Item5 or Item6 null (a .NET
    ``Dictionary<string, int?>`` left unset, as a failed record may have it) read as empty."""
    read = {name: value for name, value in envelope.items() if name != "debug"}
    result = read.get("result")
    if isinstance(result, dict) and isinstance(result.get("records"), list):
        read["result"] = result | {"records": [_ids_or_empty(row) for row in result["records"]]}
    return read


def _ids_or_empty(row: Any) -> Any:
    if not isinstance(row, dict):
        return row
    return row | {name: {} for name in ("Item5", "Item6") if name in row and row[name] is None}


def _outcome(row: dict[str, Any]) -> RecordOutcome:
    """One record of an irs/update answer its contract allows (``1.0`` is the integer 1, as
    JSON Schema counts it)."""
    error = row["Item4"] or {}
    return RecordOutcome(
        id=int(row["Item1"]),
        external_key=row["Item2"],
        ok=row["Item3"],
        error_code=error.get("Code"),
        error_message=error.get("Message"),
        destinations=_ids(row["Item5"]),
        contacts=_ids(row["Item6"]),
    )


def _ids(keyed: dict[str, int | float | None]) -> dict[str, int | None]:
    """Item5 or Item6: each destination's or contact's key to its ID in XTRA (None: not
    imported)."""
    return {key: None if value is None else int(value) for key, value in keyed.items()}


class XtraClient(_XtraFlows, SyncClient):
    """Sync XTRA client. ``transport=`` takes any httpx transport (e.g. in-process); ``irid``
    (a kit session's credentials carry it) is kept as ``.irid`` and never sent."""

    def __init__(
        self,
        base_url: str,
        *,
        public_key: str | None = None,
        secret_key: str | None = None,
        username: str | None = None,
        password: str | None = None,
        irid: int | None = None,
        validate: bool = True,
        reauth_codes: Collection[str] | None = None,
        transport: httpx.BaseTransport | None = None,
        timeout: float | httpx.Timeout = 30.0,
        **http: Unpack[HttpOptions],
    ) -> None:
        _XtraFlows.__init__(
            self, public_key, secret_key, username, password, irid, validate, reauth_codes
        )
        SyncClient.__init__(self, base_url, transport=transport, timeout=timeout, **http)

    def login(self) -> XtraSession:
        """Log in with username and password (the calls do it by themselves when needed);
        the session, kept as ``.session``."""
        return self._run(exclusive(self._login()))

    def update_identities(
        self, records: Iterable[dict[str, Any]], *, contact_form: bool = False, debug: bool = False
    ) -> list[RecordOutcome]:
        """Send records to irs/update (``contact_form``: as a contact form; ``debug``: ask for
        the debug block, kept as ``.last_debug`` until the next call; None when the call
        raises); one outcome per record, a refused record's ``ok`` False (a whole-call error
        is raised)."""
        return self._run(self._update(records, contact_form, debug))


class AsyncXtraClient(_XtraFlows, AsyncClient):
    """Async twin of :class:`XtraClient`: the same methods as coroutines."""

    def __init__(
        self,
        base_url: str,
        *,
        public_key: str | None = None,
        secret_key: str | None = None,
        username: str | None = None,
        password: str | None = None,
        irid: int | None = None,
        validate: bool = True,
        reauth_codes: Collection[str] | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
        timeout: float | httpx.Timeout = 30.0,
        **http: Unpack[HttpOptions],
    ) -> None:
        _XtraFlows.__init__(
            self, public_key, secret_key, username, password, irid, validate, reauth_codes
        )
        AsyncClient.__init__(self, base_url, transport=transport, timeout=timeout, **http)

    async def login(self) -> XtraSession:
        """:meth:`XtraClient.login`, awaited."""
        return await self._run(exclusive(self._login()))

    async def update_identities(
        self, records: Iterable[dict[str, Any]], *, contact_form: bool = False, debug: bool = False
    ) -> list[RecordOutcome]:
        """:meth:`XtraClient.update_identities`, awaited."""
        return await self._run(self._update(records, contact_form, debug))
