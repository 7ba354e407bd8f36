"""TS Digital reference client (registry write API v3).

```python
with TsDigitalClient("http://127.0.0.1:8000/tsdigital", token,
                     app_name="my-erp", app_version="1.2.3") as ts:
    item_id = ts.create_item({"item": {"base": {"identifier": {"vatNumber": "01234567890"}}}})
```
Every call sends the TS Digital standard headers (``Authorization: Bearer``, ``X-App-Name``,
``X-App-Version``), a fresh ``X-Request-ID`` (a UUID), and ``X-Correlation-ID`` and
``X-Item-ID`` when given. A 202 returns the new item's id; any other answer raises
:class:`TsDigitalError` with the vendor's ``code``, ``message``, ``subErrors`` and
``timestamp``.

The client never retries a create on its own: 202 means "taken in charge", and a 500/502 or a
dropped connection may come *after* the server took the item in charge, so a blind retry could
create the same company twice. The caller decides (for example by checking whether the item
exists before sending it again). The token comes from TS ID (in the kit, from
``POST /__admin/tsdigital/tokens``); the client does not renew it: a 401 is raised.

A kit session's credentials are keyword arguments too (``TsDigitalClient(url, token,
app_name=..., app_version=..., **session.credentials["tsdigital"])``): ``tenant``, the account
the token belongs to, is kept as ``.tenant`` and never sent (TS Digital reads it from the token).
"""

from __future__ import annotations

import uuid
from typing import Any, Unpack

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

ITEMS = "/api/v3/items"
HEADERS_CONTRACT = "tsdigital/createItem.headers"


_LISTED = 5
"""How many ``subErrors`` an error's text lists (a schema's 400 may name every field)."""


def _listed(sub_errors: list[Any]) -> str:
    """The vendor's ``subErrors`` as an error's text says why (``field: message; …``): the
    first :data:`_LISTED`, then how many more."""
    parts = [_sub_error(entry) for entry in sub_errors[:_LISTED]]
    if len(sub_errors) > _LISTED:
        parts.append(f"{len(sub_errors) - _LISTED} more")
    return "; ".join(parts)


def _sub_error(entry: Any) -> str:
    """One ``subErrors`` entry as ``field: message`` (as sent, when it is not that object)."""
    if not isinstance(entry, dict):
        return str(entry)
    field, message = entry.get("field"), entry.get("message")
    return f"{field}: {message}" if field is not None else str(message)


class TsDigitalError(VendorClientError):
    """A non-202 answer: ``.status`` (HTTP), ``.code`` (the body's code, a string),
    ``.message``, ``.sub_errors`` (list of dicts) and ``.timestamp`` (``dd-MM-yyyy HH:mm:ss``).
    Its text says why: the fake's detail, else the ``subErrors`` (a 403's missing permission).

    An answer without the vendor's error body (a gateway's page, a cut response, a 202 that
    cannot be read) is a :class:`TsDigitalInvalidResponse`: ``.code`` None, no
    ``.sub_errors``, ``.timestamp`` None.
    """

    def __init__(
        self,
        status: int,
        code: str | None,
        message: str,
        sub_errors: list[Any] | None = None,
        timestamp: str | None = None,
        *,
        detail: str = "",
    ) -> None:
        super().__init__(status, code, message, detail=detail, why=_listed(sub_errors or []))
        self.sub_errors = sub_errors or []
        self.timestamp = timestamp


class TsDigitalInvalidResponse(InvalidResponse, TsDigitalError):
    """An answer no TS Digital contract allows (not JSON, an error without the vendor's
    body, a 202 without an id): a :class:`TsDigitalError` (``.code`` None) and an
    :class:`InvalidResponse`."""


CONFIGURED_HEADERS = ("Authorization", "X-App-Name", "X-App-Version")
"""The standard headers a client is configured with (its token, the application's name and
version), checked against their contract before a call when validating."""


class _TsDigitalFlows:
    """The protocol, written once for the sync and the async client."""

    invalid_response = TsDigitalInvalidResponse

    def __init__(
        self, token: str, app_name: str, app_version: str, tenant: str | None, validate: bool
    ) -> None:
        self.token = token
        self.app_name = app_name
        self.app_version = app_version
        self.tenant = tenant
        self.validate = validate

    def headers(self) -> dict[str, str]:
        """The standard headers of one call, with a fresh X-Request-ID."""
        return {
            "Authorization": f"Bearer {self.token}",
            "X-App-Name": self.app_name,
            "X-App-Version": self.app_version,
            "X-Request-ID": str(uuid.uuid4()),
        }

    def _create_item(
        self, payload: dict[str, Any], correlation_id: str | None, item_id: str | None
    ) -> Flow[str]:
        tracing = {"X-Correlation-ID": correlation_id, "X-Item-ID": item_id}
        optional = {name: value for name, value in tracing.items() if value is not None}
        headers = self.headers() | optional
        given = {name: headers[name] for name in CONFIGURED_HEADERS} | optional
        check_header_values(given, HEADERS_CONTRACT, ("Authorization",))
        if self.validate:  # what the caller gave (the X-Request-ID is the client's own)
            check_request(HEADERS_CONTRACT, given, secret=("Authorization",))
            check_request("tsdigital/createItem.request", payload)
        response = yield Req("POST", ITEMS, json=payload, headers=headers)
        if response.status_code != 202:
            raise _error(response)
        body = json_body(response, TsDigitalInvalidResponse)
        check_answer(
            "tsdigital/createItem.response", body, "createItem's 202", TsDigitalInvalidResponse, 202
        )
        return body["id"]


def _error(response: httpx.Response) -> TsDigitalError:
    """The vendor's error of a non-202 answer; :class:`TsDigitalInvalidResponse` (raised) for
    one without the vendor's error body."""
    status = response.status_code
    body = json_body(response, TsDigitalInvalidResponse)
    if not isinstance(body, dict) or not isinstance(body.get("message"), str):
        raise TsDigitalInvalidResponse(
            status, None, f"HTTP {status} without an error body: {shape(body)}"
        )
    sub_errors = body.get("subErrors")
    timestamp = body.get("timestamp")
    return TsDigitalError(
        status,
        str(body.get("code", status)),
        body["message"],
        sub_errors if isinstance(sub_errors, list) else [],
        timestamp if isinstance(timestamp, str) else None,
        detail=detail_of(response),
    )


class TsDigitalClient(_TsDigitalFlows, SyncClient):
    """Sync TS Digital client. ``transport=`` takes any httpx transport (e.g. in-process);
    ``tenant`` (a kit session's credentials carry it) is kept as ``.tenant`` and never sent."""

    def __init__(
        self,
        base_url: str,
        token: str,
        *,
        app_name: str,
        app_version: str,
        tenant: str | None = None,
        validate: bool = True,
        transport: httpx.BaseTransport | None = None,
        timeout: float | httpx.Timeout = 30.0,
        **http: Unpack[HttpOptions],
    ) -> None:
        _TsDigitalFlows.__init__(self, token, app_name, app_version, tenant, validate)
        SyncClient.__init__(self, base_url, transport=transport, timeout=timeout, **http)

    def create_item(
        self,
        payload: dict[str, Any],
        *,
        correlation_id: str | None = None,
        item_id: str | None = None,
    ) -> str:
        """Send one create request (never retried); the id of the item taken in charge.
        ``correlation_id`` and ``item_id``: the optional ``X-Correlation-ID`` (the business
        operation the call belongs to) and ``X-Item-ID`` headers."""
        return self._run(self._create_item(payload, correlation_id, item_id))


class AsyncTsDigitalClient(_TsDigitalFlows, AsyncClient):
    """Async twin of :class:`TsDigitalClient`."""

    def __init__(
        self,
        base_url: str,
        token: str,
        *,
        app_name: str,
        app_version: str,
        tenant: str | None = None,
        validate: bool = True,
        transport: httpx.AsyncBaseTransport | None = None,
        timeout: float | httpx.Timeout = 30.0,
        **http: Unpack[HttpOptions],
    ) -> None:
        _TsDigitalFlows.__init__(self, token, app_name, app_version, tenant, validate)
        AsyncClient.__init__(self, base_url, transport=transport, timeout=timeout, **http)

    async def create_item(
        self,
        payload: dict[str, Any],
        *,
        correlation_id: str | None = None,
        item_id: str | None = None,
    ) -> str:
        """:meth:`TsDigitalClient.create_item`, awaited."""
        return await self._run(self._create_item(payload, correlation_id, item_id))
