"""``mockservers replay FILE.har --base-url URL``: a recording sent again, in order, and every
answer that differs from the recorded one reported (generated values left out, as the shadow
leaves them out). Each path goes as recorded, dot segments kept, as the proxy sends a path
(``Upstream.target``), with the headers and body bytes recorded and no others (no client
defaults), and each answer's bytes are compared as the proxy read them (its
``Content-Encoding`` undone where it decodes).

A recording (``mockservers proxy --record``) holds no secret, so what it masked is filled in:

- passwords and secret keys from the options, by name (``password``, ``Password``,
  ``ConfirmPassword`` from ``--password``; ``SyncSecretKey`` from ``--secret-key``); without
  them, the fake's demo credentials (``Vendor.demo_credentials``). ``--username``,
  ``--public-key``, ``--company-id`` and ``--site-id``, when given, replace the recorded ones
  in the query, the headers and a login body;
- tokens from the answers of the replayed logins: the vendor's
  :class:`~mockservers.core.generated.Translation` learns the recorded (masked) token ->
  the new one, so the latest login's token goes wherever the recording shows a masked one.
  The same translation puts the replayed server's IDs where the recording sends the recorded
  server's (a quote for the customer the replay created, not the sandbox's), from the records
  both accepted (:mod:`~mockservers.proxy.learning`);
- TS Digital's bearer from ``--token``, or minted through the fake's admin API.

Entries whose call got no answer (status 0: the proxy answered 502) are not sent again, nor
those whose request body the recording could not keep (``postData._withheld``: a
``Content-Encoding`` the proxy could not undo). A body the recording keeps decoded
(``postData._coding``) is sent in its coding again, once its secrets are filled in.
"""

from __future__ import annotations

import asyncio
import json
import ssl
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO
from urllib.parse import parse_qsl, quote, urlsplit

import httpx

from mockservers.app import create_app
from mockservers.cliargs import environ
from mockservers.core import spliced
from mockservers.core.codings import Unreadable, applied
from mockservers.core.compare import Answer, Difference, differences
from mockservers.core.generated import Request, Translation
from mockservers.core.har import masked_body, recorded_body
from mockservers.core.http import json_of
from mockservers.core.learned import scrub_bytes
from mockservers.core.secretnames import MASK
from mockservers.core.vendor import Vendor
from mockservers.proxy import learning
from mockservers.proxy.forward import HOP_BY_HOP, Upstream, decoded, with_hint
from mockservers.vendors import VENDOR_CLASSES

VENDORS = frozenset(cls.name for cls in VENDOR_CLASSES)

FROM_OPTIONS = {
    "password": "password",
    "confirmpassword": "password",
    "syncsecretkey": "secret_key",
    "secret_key": "secret_key",
}
"""A masked secret, by lower-case name -> the credential that fills it in."""

OVERRIDES = {
    "username": "username",
    "syncpublickey": "public_key",
    "companyid": "company_id",
    "siteid": "site_id",
}
"""A recorded credential (query, header, login body), by lower-case name -> the option that
replaces it when given."""

_NOT_SENT = HOP_BY_HOP | {"host", "content-length"}


class ReplayError(Exception):
    """A usage problem (exit status 2): a file that is no recording, a server not there."""


@dataclass
class Recorded:
    """One recorded exchange, as a replay sends it again."""

    number: int
    vendor: str
    operation: str
    method: str
    path: str
    """Under the vendor's base URL, with the query (masked values as recorded)."""
    headers: list[tuple[str, str]]
    body: bytes
    answer: Answer | None
    """None: the call got no answer (not sent again)."""
    coding: str = ""
    """The ``Content-Encoding`` the body goes in (the recording keeps it decoded)."""
    withheld: str = ""
    """Why the recording kept no body ("": it did; else not sent again)."""


def read(path: str | Path) -> list[Recorded]:
    """The exchanges of a HAR file, in order."""
    try:
        entries = json.loads(Path(path).read_text("utf-8"))["log"]["entries"]
        return [_recorded(number, entry) for number, entry in enumerate(entries, 1)]
    except OSError as exc:
        raise ReplayError(f"cannot read {path}: {exc.strerror}") from None
    except (ValueError, KeyError, TypeError, AttributeError):  # an entry without its parts too
        raise ReplayError(f"{path} is not a HAR file") from None


def _recorded(number: int, entry: dict[str, Any]) -> Recorded:
    request, response = entry["request"], entry["response"]
    parts = urlsplit(request["url"])
    vendor = entry.get("_vendor") or parts.path.split("/")[1]
    if vendor not in VENDORS:
        raise ReplayError(f"entry {number}: no vendor (a recording by mockservers proxy has one)")
    upstream = entry.get("_upstream", "")
    if upstream and request["url"].startswith(upstream):
        path = request["url"][len(upstream) :]
    else:  # a recording of the kit's own URLs: /<vendor>/...
        path = request["url"][len(f"{parts.scheme}://{parts.netloc}/{vendor}") :]
    content = response.get("content") or {}
    answer = None
    if response.get("status"):
        body = recorded_body(content, "encoding")
        answer = Answer(response["status"], body, content.get("mimeType", ""))
    posted = request.get("postData") or {}
    return Recorded(
        number=number,
        vendor=vendor,
        operation=entry.get("_operation", ""),
        method=request["method"],
        path=path if path.startswith("/") or not path else f"/{path}",
        headers=[(h["name"], h["value"]) for h in request.get("headers", [])],
        body=recorded_body(posted, "_encoding"),
        answer=answer,
        coding=posted.get("_coding", ""),
        withheld=posted.get("comment", "not kept") if posted.get("_withheld") else "",
    )


@dataclass
class Outcome:
    recorded: Recorded
    differences: list[Difference] = field(default_factory=list)
    skipped: str = ""


def replayed(
    recorded: list[Recorded],
    base_url: str,
    credentials: dict[str, str | None],
    timeout: float,
    trusted: ssl.SSLContext | None = None,
) -> list[Outcome]:
    """Each exchange sent again to ``base_url``, in order; ``timeout`` bounds each call whole;
    ``trusted``: the SSL context to verify the server with (``--cacert``), else httpx's."""

    async def run() -> list[Outcome]:
        async with httpx.AsyncClient(timeout=timeout, verify=trusted or True) as client:
            return await Replay(base_url, credentials, client, timeout).run(recorded)

    return asyncio.run(run())


class Replay:
    """Sends recorded exchanges to one vendor's base URL, refilling what the recording masked."""

    def __init__(
        self,
        base_url: str,
        credentials: dict[str, str | None],
        client: httpx.AsyncClient,
        timeout: float,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.upstream = Upstream("replayed", self.base_url)
        """The server replayed to, as the proxy's upstream: where a recorded path goes."""
        self.shown = self.upstream.shown
        """The base URL as reports show it: any user:password in it (sent as HTTP Basic, as
        the proxy sends ``--upstream``'s) left out."""
        self.options = {k: v for k, v in credentials.items() if v}
        self.client = client
        self.timeout = timeout
        """How long each call may take, its answer read whole (``--timeout``): the client's own
        timeouts bound each wait alone, and a server sending a byte now and then never ends."""
        # The vendors' declarations and code readers, on a kit of their own (nothing served).
        self.vendors: dict[str, Vendor] = create_app().state.vendors
        self.translations: dict[str, Translation] = {}
        self._bearer: str | None = self.options.get("token")
        self._filled: set[str] = set(self.upstream.secrets)
        """The secrets this replay filled in: blotted out of what it reports."""

    async def run(self, recorded: list[Recorded]) -> list[Outcome]:
        return [await self.send(exchange) for exchange in recorded]

    async def send(self, exchange: Recorded) -> Outcome:
        if exchange.answer is None:
            return Outcome(exchange, skipped="no answer was recorded")
        if exchange.withheld:
            return Outcome(exchange, skipped=f"its body was not recorded: {exchange.withheld}")
        vendor = self.vendors[exchange.vendor]
        translation = self.translations.get(vendor.name)
        if translation is None:
            translation = Translation(
                vendor.generated,
                any_case=vendor.body_names_any_case,
                numbers_from_text=vendor.body_numbers_from_text,
            )
            self.translations[vendor.name] = translation
        path, _, query = exchange.path.partition("?")
        recorded = parse_qsl(query, keep_blank_values=True)
        request = Request.of(
            recorded, exchange.headers, exchange.body, charsets=vendor.json_charsets
        )
        translation.rewrite(request)
        if vendor.name == "tsdigital" and any(
            k.lower() == "authorization" and v == MASK for k, v in request.headers
        ):
            await self._mint_bearer()
        self._refill(request, vendor)
        # What the recording shows, only the values filled in or translated written anew.
        body = exchange.body
        if request.body_json:
            body = spliced.json_body(body, request.body, request.read_as)
        if exchange.coding:
            try:
                body = applied(body, exchange.coding)
            except Unreadable as exc:  # a HAR from elsewhere
                return Outcome(exchange, skipped=str(exc))
        # The path as recorded (dot segments kept), where the proxy would send it.
        sent_query = spliced.query(_as_target(query), recorded, request.query)
        target = self.upstream.target(_as_target(path), sent_query)
        # Built whole, as the proxy builds its calls: no client defaults (User-Agent, Accept,
        # Accept-Encoding, Connection) the recording does not show.
        sent = httpx.Request(
            exchange.method,
            target.url,
            headers=[
                (_wire(k), _wire(v)) for k, v in request.headers if k.lower() not in _NOT_SENT
            ],
            content=body,
            extensions=target.extensions,
        )
        try:
            response, content = await asyncio.wait_for(self._exchange(sent), self.timeout)
        except httpx.ConnectError as exc:
            raise ReplayError(_unreachable(self.shown, exc)) from None
        except (httpx.RequestError, TimeoutError) as exc:
            why = type(exc).__name__ if isinstance(exc, httpx.RequestError) else "timed out"
            failed = Difference(
                "status", exchange.answer.status, f"no answer: {why} (--timeout {self.timeout:g} s)"
            )
            return Outcome(exchange, [failed])
        finally:
            # The recording says which cookies each call sent: none kept from an answer.
            self.client.cookies.clear()
        first, second = json_of(exchange.answer.body), json_of(content)
        learning.learn(translation, vendor, first, second)
        content_type = response.headers.get("content-type", "")
        # Masked as the recording masked it, and an answer may echo a secret this replay sent
        # (a password in an error message): the recording blotted it out, and so does the
        # report (it goes to CI logs).
        masked = scrub_bytes(masked_body(content, content_type), self._filled, content_type)
        replayed = Answer(response.status_code, masked, content_type)
        found = differences(exchange.answer, replayed, vendor.generated, vendor.answer_codes)
        return Outcome(exchange, found)

    async def _exchange(self, request: httpx.Request) -> tuple[httpx.Response, bytes]:
        """The answer to ``request`` and its body, decoded as the proxy decodes one: as it came
        where its ``Content-Encoding`` does not decode (that was "no answer")."""
        response = await self.client.send(request, auth=self.upstream.auth, stream=True)
        try:
            raw = b"".join([chunk async for chunk in response.aiter_raw()])
        finally:
            await response.aclose()
        return response, decoded(response.status_code, response.headers.raw, raw)

    def _refill(self, request: Request, vendor: Vendor) -> None:
        """Masked secrets from the options (or the demo account), recorded credentials replaced
        by the options given."""
        demo = {k: str(v) for k, v in vendor.demo_credentials().items()}

        def value(name: str, current: Any, top: bool) -> Any:
            lower = name.lower()
            if current == MASK and lower in FROM_OPTIONS:
                wanted = FROM_OPTIONS[lower]
                return filled(self.options.get(wanted) or demo.get(wanted, current))
            if current == MASK and lower == "authorization" and vendor.name == "tsdigital":
                return filled(f"Bearer {self._bearer}")
            if top and lower in OVERRIDES and OVERRIDES[lower] in self.options:
                return self.options[OVERRIDES[lower]]  # a username, a key's public half: no secret
            return current

        def filled(secret: Any) -> Any:
            """A secret this replay sent in place of a masked one (blotted out of its report)."""
            if isinstance(secret, str) and secret != MASK:
                self._filled.add(secret.removeprefix("Bearer "))
            return secret

        request.query = [(k, value(k, v, True)) for k, v in request.query]
        # A masked header nothing refills (a cookie, another vendor's Authorization) is not
        # sent: "***" would be sent as the value.
        headers = [(k, value(k, v, True)) for k, v in request.headers]
        request.headers = [(k, v) for k, v in headers if v != MASK]
        if request.body_json:
            request.body = _refill_body(request.body, value, top=True)

    async def _mint_bearer(self) -> None:
        """TS Digital's bearer, unless ``--token`` gave one: a token minted through the fake's
        admin API (a personal user, as a shadow adopts one by default)."""
        if self._bearer is not None:
            return
        root = self.shown.removesuffix("/tsdigital")
        try:
            admin = environ("MOCKSERVERS_ADMIN_TOKEN")  # as serve --admin-token
            headers = {"X-Admin-Token": admin.encode()} if admin else {}  # UTF-8, as read
            minted = await asyncio.wait_for(
                self.client.post(
                    f"{root}/__admin/tsdigital/tokens",
                    json={"kind": "user"},
                    headers=headers,
                    auth=self.upstream.auth or httpx.USE_CLIENT_DEFAULT,
                ),
                self.timeout,
            )
            minted.raise_for_status()
            self._bearer = minted.json()["token"]
        except (httpx.TransportError, TimeoutError) as exc:
            raise ReplayError(_unreachable(root, exc)) from None
        except (httpx.HTTPStatusError, ValueError, KeyError):
            raise ReplayError(
                f"no bearer token: give --token (none could be minted at {root}/__admin)"
            ) from None


def _unreachable(url: str, exc: Exception) -> str:
    """Why nothing could be sent to ``url`` (a CA of the server's own: the option to give)."""
    timed_out = isinstance(exc, TimeoutError | httpx.TimeoutException)
    why = "no answer within --timeout" if timed_out else with_hint(str(exc))
    return f"cannot reach {url}: {why}"


def _refill_body(node: Any, value: Callable[[str, Any, bool], Any], top: bool) -> Any:
    if isinstance(node, dict):
        return {
            k: value(k, v, top) if not isinstance(v, dict | list) else _refill_body(v, value, False)
            for k, v in node.items()
        }
    if isinstance(node, list):
        return [_refill_body(item, value, False) for item in node]
    return node


def report(outcomes: list[Outcome], out: TextIO) -> int:
    """Print every exchange that differs (and those not sent); how many differ."""
    differing = 0
    for outcome in outcomes:
        exchange = outcome.recorded
        where = f"#{exchange.number} {exchange.operation or exchange.vendor} {exchange.method} "
        where += exchange.path
        if outcome.skipped:
            print(f"{where}: not sent ({outcome.skipped})", file=out)
        elif outcome.differences:
            differing += 1
            print(f"{where}: {len(outcome.differences)} differences", file=out)
            for difference in outcome.differences:
                print(f"    {difference.describe('recorded', 'replayed')}", file=out)
    return differing


def _as_target(path: str) -> bytes:
    """A recorded path (or query) as a request target: as first sent (a recording by the proxy
    keeps the connector's ASCII), other characters percent-encoded as UTF-8, as httpx encodes
    a URL (a HAR from elsewhere may hold them)."""
    return quote(path, safe=_PRINTABLE).encode("ascii")


_PRINTABLE = bytes(range(0x21, 0x7F)).decode("ascii")
"""The characters a request target holds as they are (``%`` among them: ``%2F`` stays)."""


def _wire(text: str) -> bytes:
    """A recorded header's name or value as the bytes first sent: a recording keeps them read
    as Latin-1, byte for byte (a HAR from elsewhere may hold other text: sent as UTF-8)."""
    try:
        return text.encode("latin-1")
    except UnicodeEncodeError:
        return text.encode("utf-8")
