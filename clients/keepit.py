"""4WS.KeepIT reference client (Insert/Update customer, ``insertClient_v3``).

```python
with KeepItClient("http://127.0.0.1:8000/keepit", username="demo", password="demo",
                  company_id="1", site_id="1") as keepit:
    result = keepit.insert_customers([{"action": "I", "subjects": {...}, "mappings": [...]}])
    result.code, result.inserted[0].prog_id, result.duplicated, result.errors, result.partial
```
Answers with code 200, 204 and 206 are results (duplicates and per-record errors are listed in
them); 400, 401, 404, 422, 429 and 500 raise :class:`KeepItError`. With
``retry_rate_limited=True`` a 429 waits for the ``Retry-After`` the service sends and tries
again (at most ``max_retries`` times), when that wait is at most ``max_wait`` seconds (longer,
the 429 is raised at once); ``sleep`` is what waits (tests pass one that moves the kit's clock
instead of wall time).
"""

from __future__ import annotations

import math
import time
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any, Unpack

import anyio
import httpx

from clients.base import (
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
    detail_of,
    json_body,
    shape,
)

ENDPOINT = "/api"
QUERY = {"cmd": "insertClient_v3", "appId": "KEEPIT", "applicationId": "KEEPIT"}
REQUEST_CONTRACT = "keepit/insertClient_v3.request"
RESPONSE_CONTRACT = "keepit/insertClient_v3.response"
HEADERS_CONTRACT = "keepit/insertClient_v3.headers"
RESULT_CODES = frozenset({200, 204, 206})
RATE_LIMITED = 429
LONGEST_WAIT = 300.0
"""``max_wait``'s default (seconds): a ``Retry-After`` beyond it is raised, not waited out (the
fuzz harness draws the same line)."""


@dataclass(frozen=True)
class RecordMessage:
    """One entry of errorObjects or duplicatedObjects."""

    customer_code: Any
    message: str


@dataclass(frozen=True)
class InsertedCustomer:
    """One entry of insertedObjects; ``sections`` maps each section received to its progIds
    (``{"mapping": [1, 2], "makeup": 1}``)."""

    prog_id: Any
    customer_code: Any
    email: str | None
    sections: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class KeepItResult:
    """An answer with code 200 (all done), 204 (duplicates only) or 206 (partial)."""

    code: int
    message: str
    inserted: list[InsertedCustomer]
    duplicated: list[RecordMessage]
    errors: list[RecordMessage]

    @property
    def partial(self) -> bool:
        return self.code == 206


class KeepItError(VendorClientError):
    """A refused call: ``.status`` (HTTP), ``.code`` (the body's code, None for 404),
    ``.message``, ``.errors`` (the per-record errorObjects of a 400/422), ``.retry_after``."""

    def __init__(
        self,
        status: int,
        code: int | None,
        message: str,
        errors: list[RecordMessage] | None = None,
        retry_after: float | None = None,
        *,
        detail: str = "",
    ) -> None:
        super().__init__(status, code, message, detail=detail)
        self.errors = errors or []
        self.retry_after = retry_after


class KeepItInvalidResponse(InvalidResponse, KeepItError):
    """An answer no KeepIT contract allows: a :class:`KeepItError` (``.code`` None, no
    ``.errors``) and an :class:`InvalidResponse`."""


class _KeepItFlows:
    """The protocol, written once for the sync and the async client."""

    invalid_response = KeepItInvalidResponse

    def __init__(
        self,
        username: str,
        password: str,
        company_id: str | int,
        site_id: str | int,
        validate: bool,
        retry_rate_limited: bool,
        max_retries: int,
        max_wait: float,
    ) -> None:
        self.credentials = {
            "username": username,
            "password": password,
            "companyId": str(company_id),
            "siteId": str(site_id),
        }
        self.validate = validate
        self.retry_rate_limited = retry_rate_limited
        self.max_retries = max_retries
        self.max_wait = max_wait

    def _payload(self, records: Iterable[dict[str, Any]]) -> dict[str, Any]:
        payload = {"subjectsRecords": list(records)}
        check_header_values(self.credentials, HEADERS_CONTRACT, ("password",))
        if self.validate:
            check_request(HEADERS_CONTRACT, self.credentials, secret=("password",))
            check_request(REQUEST_CONTRACT, payload)
        return payload

    def _insert(self, payload: dict[str, Any]) -> Flow[KeepItResult]:
        response = yield Req("POST", ENDPOINT, params=QUERY, json=payload, headers=self.credentials)
        return _result(response)

    def _wait_before_retry(self, error: KeepItError, attempt: int) -> float | None:
        """Seconds to wait before trying again, or None to give up and raise. Only KeepIT's
        own 429 is waited out, as its HTTP status or its body's code (the call was refused,
        nothing written): an answer it cannot read (a gateway's page) says no wait, and a wait
        longer than ``max_wait`` (``inf`` included) is not taken."""
        if isinstance(error, InvalidResponse):
            return None
        if RATE_LIMITED not in (error.status, error.code) or not self.retry_rate_limited:
            return None
        if attempt >= self.max_retries:
            return None
        wait = error.retry_after if error.retry_after is not None else 1.0
        return wait if wait <= self.max_wait else None


def _result(response: httpx.Response) -> KeepItResult:
    body = json_body(response, KeepItInvalidResponse)
    if not isinstance(body, dict) or not isinstance(body.get("message"), str):
        raise KeepItInvalidResponse(
            response.status_code, None, f"not a KeepIT answer: {shape(body)}"
        )
    code = body.get("code")
    result = isinstance(code, int | float) and code in RESULT_CODES
    if response.status_code != 200 or not result:
        raise KeepItError(
            response.status_code,
            code if isinstance(code, int) else None,
            body["message"],
            _messages(body.get("errorObjects")),
            _retry_after(response),
            detail=detail_of(response),
        )
    check_answer(RESPONSE_CONTRACT, body, "insertClient_v3 answer", KeepItInvalidResponse, 200)
    return KeepItResult(
        code=int(code),  # 200.0 is 200, as JSON Schema counts it
        message=body["message"],
        inserted=[_inserted(item) for item in body.get("insertedObjects", [])],
        duplicated=_messages(body.get("duplicatedObjects")),
        errors=_messages(body.get("errorObjects")),
    )


def _messages(items: Any) -> list[RecordMessage]:
    if not isinstance(items, list):
        return []
    return [
        RecordMessage(item.get("customerCode"), str(item.get("errorMessage", "")))
        for item in items
        if isinstance(item, dict)
    ]


def _inserted(item: dict[str, Any]) -> InsertedCustomer:
    """One entry of insertedObjects its contract allows."""
    sections = {
        name: (
            [e.get("progId") for e in value if isinstance(e, dict)]
            if isinstance(value, list)
            else value.get("progId")
        )
        for name, value in item.items()
        if isinstance(value, list | dict)
    }
    return InsertedCustomer(item["progId"], item.get("customerCode"), item.get("email"), sections)


def _retry_after(response: httpx.Response) -> float | None:
    """``Retry-After`` in seconds: a number of them, or an HTTP date (RFC 9110), counted from
    the answer's own ``Date`` when it has one (the server's clock, not this machine's); a time
    already past is 0, ``inf`` stays so, ``nan`` is no number."""
    value = response.headers.get("retry-after")
    if value is None:
        return None
    try:
        seconds = float(value)
    except ValueError:
        pass
    else:
        return None if math.isnan(seconds) else max(0.0, seconds)
    try:
        when = parsedate_to_datetime(value)
        sent = response.headers.get("date")
        now = parsedate_to_datetime(sent) if sent else datetime.now(UTC)
    except (TypeError, ValueError, OverflowError):  # a year of 11 digits
        return None
    return max(0.0, (_zoned(when) - _zoned(now)).total_seconds())


def _zoned(moment: datetime) -> datetime:
    """``moment`` as it is, or in UTC when it says no zone ("-0000"): only that one, the other
    date keeping its own offset."""
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


class KeepItClient(_KeepItFlows, SyncClient):
    """Sync KeepIT client. ``transport=`` takes any httpx transport (e.g. in-process)."""

    def __init__(
        self,
        base_url: str,
        *,
        username: str,
        password: str,
        company_id: str | int,
        site_id: str | int,
        validate: bool = True,
        transport: httpx.BaseTransport | None = None,
        timeout: float | httpx.Timeout = 30.0,
        retry_rate_limited: bool = False,
        max_retries: int = 3,
        max_wait: float = LONGEST_WAIT,
        sleep: Callable[[float], Any] = time.sleep,
        **http: Unpack[HttpOptions],
    ) -> None:
        _KeepItFlows.__init__(
            self,
            username,
            password,
            company_id,
            site_id,
            validate,
            retry_rate_limited,
            max_retries,
            max_wait,
        )
        SyncClient.__init__(self, base_url, transport=transport, timeout=timeout, **http)
        self._sleep = sleep

    def insert_customers(self, records: Iterable[dict[str, Any]]) -> KeepItResult:
        """Send subject records to insertClient_v3; the result of a 200, 204 or 206 (another
        code is raised, a 429 first waited out when ``retry_rate_limited``)."""
        payload = self._payload(records)
        attempt = 0
        while True:
            try:
                return self._run(self._insert(payload))
            except KeepItError as exc:
                wait = self._wait_before_retry(exc, attempt)
                if wait is None:
                    raise
            self._sleep(wait)
            attempt += 1


class AsyncKeepItClient(_KeepItFlows, AsyncClient):
    """Async twin of :class:`KeepItClient`; ``sleep`` is awaited (default ``anyio.sleep``,
    which waits on whichever loop the client runs on: asyncio or trio)."""

    def __init__(
        self,
        base_url: str,
        *,
        username: str,
        password: str,
        company_id: str | int,
        site_id: str | int,
        validate: bool = True,
        transport: httpx.AsyncBaseTransport | None = None,
        timeout: float | httpx.Timeout = 30.0,
        retry_rate_limited: bool = False,
        max_retries: int = 3,
        max_wait: float = LONGEST_WAIT,
        sleep: Callable[[float], Awaitable[Any]] = anyio.sleep,
        **http: Unpack[HttpOptions],
    ) -> None:
        _KeepItFlows.__init__(
            self,
            username,
            password,
            company_id,
            site_id,
            validate,
            retry_rate_limited,
            max_retries,
            max_wait,
        )
        AsyncClient.__init__(self, base_url, transport=transport, timeout=timeout, **http)
        self._sleep = sleep

    async def insert_customers(self, records: Iterable[dict[str, Any]]) -> KeepItResult:
        """:meth:`KeepItClient.insert_customers`, awaited (and its waits)."""
        payload = self._payload(records)
        attempt = 0
        while True:
            try:
                return await self._run(self._insert(payload))
            except KeepItError as exc:
                wait = self._wait_before_retry(exc, attempt)
                if wait is None:
                    raise
            await self._sleep(wait)
            attempt += 1
