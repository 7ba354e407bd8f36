"""QuoParts reference client.

```python
with QuoPartsClient("http://127.0.0.1:8000/quoparts", "demo", "demo") as qp:
    row = {"DES_NOM": "Rossi S.r.l.", "COD_PTA_IVA": "123", "COD_CLI_ERP": "CLI001"}
    results = qp.import_customers([row])
    cod_doc = qp.import_quote({"COD_CLI_ERP": "CLI001", "COD_TGA": "AB123CD", "DES_VCL": "Panda"},
                              [{"DES_RGR": "Filtro olio", "COD_ART_PVT": "1883037"}])
```
It logs in by itself, logs in again once when the token is refused (errorCode 101, the
document's; ``reauth_codes=("102",)`` for a service that says it otherwise), and raises
:class:`QuoPartsError` for a top-level error.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass, field
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
    check_request,
    code_set,
    detail_of,
    exclusive,
    json_body,
    renewed,
    shape,
)

ENDPOINT = "/ws_quoparts.php"
NOT_ACCREDITED = "101"
"""The errorCode QuoParts documents for a token missing, unknown or expired (its only
authentication error): the default of ``reauth_codes``."""


class QuoPartsError(VendorClientError):
    """A top-level QuoParts error: ``.code`` is the vendor's errorCode (a string)."""


class QuoPartsInvalidResponse(InvalidResponse, QuoPartsError):
    """An answer no QuoParts contract allows: a :class:`QuoPartsError` (``.code`` the
    envelope's errorCode when it had one, else None) and an :class:`InvalidResponse`."""


@dataclass(frozen=True)
class CustomerResult:
    """One row of an importCli answer; its repr leaves out the generated password."""

    erp_code: str
    ok: bool
    error_code: str
    error: str
    customer_code: str | None = None
    username: str | None = None
    password: str | None = field(default=None, repr=False)


class _QuoPartsFlows:
    """The protocol, written once for the sync and the async client."""

    invalid_response = QuoPartsInvalidResponse

    def __init__(
        self, username: str, password: str, validate: bool, reauth_codes: Collection[str]
    ) -> None:
        self.username = username
        self.password = password
        self.validate = validate
        self.reauth_codes = code_set(reauth_codes, "reauth_codes")
        self.token: str | None = None

    def _login(self) -> Flow[str]:
        self.token = None  # replaced: no call takes it while the login runs, nor if it fails
        query = {"login": "", "username": self.username, "password": self.password}
        if self.validate:
            check_request("quoparts/login.query", query, secret=("password",))
        response = yield Req("GET", ENDPOINT, params=query)
        body = _answer("login", _envelope(response))
        self.token = body["data"][0]["TOKEN"]
        return self.token

    def _authed(self, method: str, payload: Any) -> Flow[dict[str, Any]]:
        """POST ``payload`` to ``method`` with a token; one fresh login when it is refused
        (with the calls that saw it refused too: :func:`~clients.base.renewed`). The answer,
        checked against ``method``'s response contract."""
        refused: str | None = None
        for attempt in (1, 2):
            token, _ = yield from renewed(lambda: self.token, refused, self._login)
            response = yield Req(
                "POST", ENDPOINT, params={method: "", "token": token}, json=payload
            )
            try:
                body = _envelope(response)
            except QuoPartsError as exc:
                if exc.code not in self.reauth_codes or attempt == 2:
                    raise
                refused = token
                continue
            return _answer(method, body)
        raise AssertionError("unreachable")

    def _import_customers(self, rows: Iterable[dict[str, Any]]) -> Flow[list[CustomerResult]]:
        payload = {"data": list(rows)}
        if self.validate:
            check_request("quoparts/importCli.request", payload)
        body = yield from self._authed("importCli", payload)
        return [_customer_result(row) for row in body["data"]]

    def _import_quote(
        self, header: dict[str, Any], articles: Iterable[dict[str, Any]]
    ) -> Flow[str]:
        payload = {"data": {"testata": header, "articoli": list(articles)}}
        if self.validate:
            check_request("quoparts/importPvt.request", payload)
        body = yield from self._authed("importPvt", payload)
        return body["data"][0]["COD_DOC"]


def _envelope(response: httpx.Response) -> dict[str, Any]:
    body = json_body(response, QuoPartsInvalidResponse)
    if not isinstance(body, dict) or not {"errorCode", "error", "data"} <= set(body):
        raise QuoPartsInvalidResponse(
            response.status_code, None, f"not a QuoParts envelope: {shape(body)}"
        )
    if body["errorCode"] != "0" or response.status_code != 200:
        raise QuoPartsError(
            response.status_code,
            str(body["errorCode"]),
            str(body["error"]),
            detail=detail_of(response),
        )
    return body


def _answer(method: str, body: dict[str, Any]) -> dict[str, Any]:
    """A success envelope of ``method``, as its response contract has it at any depth."""
    contract_name = f"quoparts/{method}.response{SUCCESS}"
    check_answer(contract_name, body, f"{method} answer", QuoPartsInvalidResponse, 200, "0")
    return body


def _customer_result(row: dict[str, Any]) -> CustomerResult:
    """One row of an importCli answer its contract allows."""
    return CustomerResult(
        erp_code=row["COD_CLI_ERP"],
        ok=row["errorCode"] == "0",
        error_code=row["errorCode"],
        error=row["error"],
        customer_code=row.get("COD_CLI"),
        username=row.get("COD_USR"),
        password=row.get("COD_PWD"),
    )


class QuoPartsClient(_QuoPartsFlows, SyncClient):
    """Sync QuoParts client. ``transport=`` takes any httpx transport (e.g. in-process)."""

    def __init__(
        self,
        base_url: str,
        username: str,
        password: str,
        *,
        validate: bool = True,
        reauth_codes: Collection[str] = (NOT_ACCREDITED,),
        transport: httpx.BaseTransport | None = None,
        timeout: float | httpx.Timeout = 30.0,
        **http: Unpack[HttpOptions],
    ) -> None:
        _QuoPartsFlows.__init__(self, username, password, validate, reauth_codes)
        SyncClient.__init__(self, base_url, transport=transport, timeout=timeout, **http)

    def login(self) -> str:
        """Log in (the calls do it by themselves when needed); the token, kept for them."""
        return self._run(exclusive(self._login()))

    def import_customers(self, rows: Iterable[dict[str, Any]]) -> list[CustomerResult]:
        """Send customer rows to importCli; one result per row, a refused row's ``ok``
        False (a top-level error is raised)."""
        return self._run(self._import_customers(rows))

    def import_quote(self, header: dict[str, Any], articles: Iterable[dict[str, Any]]) -> str:
        """Send a quote, its header (testata) and articles (articoli), to importPvt; the new
        quote's COD_DOC."""
        return self._run(self._import_quote(header, articles))


class AsyncQuoPartsClient(_QuoPartsFlows, AsyncClient):
    """Async twin of :class:`QuoPartsClient`: the same methods as coroutines."""

    def __init__(
        self,
        base_url: str,
        username: str,
        password: str,
        *,
        validate: bool = True,
        reauth_codes: Collection[str] = (NOT_ACCREDITED,),
        transport: httpx.AsyncBaseTransport | None = None,
        timeout: float | httpx.Timeout = 30.0,
        **http: Unpack[HttpOptions],
    ) -> None:
        _QuoPartsFlows.__init__(self, username, password, validate, reauth_codes)
        AsyncClient.__init__(self, base_url, transport=transport, timeout=timeout, **http)

    async def login(self) -> str:
        """:meth:`QuoPartsClient.login`, awaited."""
        return await self._run(exclusive(self._login()))

    async def import_customers(self, rows: Iterable[dict[str, Any]]) -> list[CustomerResult]:
        """:meth:`QuoPartsClient.import_customers`, awaited."""
        return await self._run(self._import_customers(rows))

    async def import_quote(self, header: dict[str, Any], articles: Iterable[dict[str, Any]]) -> str:
        """:meth:`QuoPartsClient.import_quote`, awaited."""
        return await self._run(self._import_quote(header, articles))
