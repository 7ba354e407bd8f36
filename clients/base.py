"""What every reference client shares: requests as data, the sync/async drivers, errors,
and checking a request against its contract before any I/O."""

from __future__ import annotations

import re
import ssl
import threading
from collections.abc import Callable, Collection, Generator, Mapping
from contextlib import closing
from dataclasses import dataclass, field, replace
from types import TracebackType
from typing import Any, TypedDict, TypeVar

import anyio
import httpx

from clients.logs import mask_request_lines
from clients.tls import verify_for
from contracts import Violation, contract, reading
from contracts.rules import broken_rule, structural

T = TypeVar("T")
C = TypeVar("C")


@dataclass(frozen=True)
class Req:
    """One HTTP request a client wants sent, relative to its base URL."""

    method: str
    path: str
    params: dict[str, Any] | None = None
    json: Any = None
    headers: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Exclusive:
    """A part of a flow run while no other call of the same client runs one (the driver holds
    the client's lock over it); the flow gets its result back."""

    flow: Flow[Any]


Flow = Generator[Req | Exclusive, Any, T]
"""A client operation: yields requests (and exclusive parts), receives their responses (and
results), returns its own result."""


def renewed(
    held: Callable[[], C | None], refused: C | None, login: Callable[[], Flow[C]]
) -> Flow[tuple[C, bool]]:
    """The credential a call sends (a token, a session), and whether a login just gave it: the
    one the client holds (``held()``), unless it holds none or still holds ``refused`` (the one
    this call just saw refused); else ``login``'s, run exclusively. Concurrent calls that saw
    the same token refused thus make one login: the first runs it, the others wait for it and
    take its token (each used to log in again, dropping the token the one before had got)."""
    current = held()
    if current is not None and current is not refused:
        return current, False
    return (yield Exclusive(_login_unless_renewed(held, refused, login))), True


def exclusive(flow: Flow[C]) -> Flow[C]:
    """``flow`` run while no other call of the same client runs an exclusive part: a login the
    user asks for waits for one a call is making (and the calls wait for it), so two logins
    never overlap and the client never keeps a token a later login has replaced."""
    return (yield Exclusive(flow))


def _login_unless_renewed(
    held: Callable[[], C | None], refused: C | None, login: Callable[[], Flow[C]]
) -> Flow[C]:
    current = held()
    if current is not None and current is not refused:
        return current  # the login of a call this one waited for
    return (yield from login())


IDLE_CONNECTION_SECONDS = 4.0
"""How long a client keeps an idle connection: below the 5 s after which uvicorn (the fakes)
and Apache close one themselves, maybe just as the client sends a call on it (httpx's default
is 5 s too: a call after a 5 s pause could fail with "Server disconnected")."""

DETAIL_HEADER = "X-Mockservers-Detail"
"""The fakes' diagnosis of a refused call (which field, which rule), beside the vendor's body."""


def detail_of(response: httpx.Response) -> str:
    return response.headers.get(DETAIL_HEADER, "")


E = TypeVar("E", bound=BaseException)


class _Picklable(BaseException):
    """An error rebuilt from its text and fields, not by calling ``__init__`` with the text
    alone (a TypeError, for an ``__init__`` taking more): a process pool, Celery or
    ``copy.deepcopy`` get the same error, subclasses' fields included. Every error of the
    clients has it, first among its bases."""

    def __reduce__(self) -> tuple[Any, ...]:
        return (_rebuilt, (type(self), self.args), self.__dict__)


def _rebuilt(kind: type[E], args: tuple[Any, ...]) -> E:
    """An error of ``kind`` with ``args``, its fields still to be set (``__setstate__``)."""
    return kind.__new__(kind, *args)


class VendorClientError(_Picklable, Exception):
    """A vendor refused a call: HTTP status, the vendor's own code and message, and (from the
    fakes only) ``.detail``, the kit's diagnosis. The text adds, in brackets, the detail, else
    ``why``: what the vendor's body says of the reason beyond its message (TS Digital's
    ``subErrors``), which a real vendor, and a fake's 403, give without a detail."""

    def __init__(
        self,
        status: int,
        code: str | int | None,
        message: str,
        *,
        detail: str = "",
        why: str = "",
    ) -> None:
        said = detail or why
        super().__init__(f"[{status} {code}] {message}" + (f" ({said})" if said else ""))
        self.status = status
        self.code = code
        self.message = message
        self.detail = detail


class InvalidResponse(VendorClientError):
    """The answer is not what any contract of the vendor allows (not JSON, wrong shape).

    Each client raises its vendor's subclass, which is that vendor's error too
    (``QuoPartsInvalidResponse`` is a ``QuoPartsError``): a connector's ``except QuoPartsError``
    catches a malformed answer, and ``except InvalidResponse`` still tells one apart."""


class ContractViolation(_Picklable, ValueError):
    """The request breaks its contract; raised before anything is sent. The message and each
    of ``violations`` (their ``.message``) name the fields and the rules broken, never a value:
    a request holds a user's data (tax codes, names, addresses, passwords), and the validator's
    own English quoted it, a whole body for a broken consistency rule, which is named instead.
    A violation at a ``secret`` field, or of a value holding one (at any depth: ``Users`` given
    as an object), keeps no ``instance`` either."""

    def __init__(
        self, contract_name: str, violations: list[Violation], secret: Collection[str] = ()
    ) -> None:
        folded = frozenset(name.casefold() for name in secret)
        violations = [_told(v, contract_name, folded) for v in violations]
        lines = "; ".join(f"{v.pointer or '(body)'}: {v.message}" for v in violations[:5])
        super().__init__(f"request breaks {contract_name}: {lines}")
        self.contract = contract_name
        self.violations = violations


def _told(violation: Violation, contract_name: str, secret: frozenset[str]) -> Violation:
    """The violation as an error may show it: in words that quote no value, and without the
    value itself where it is, or holds, a secret. ``secret``: the secret names casefolded; a
    name matches in any case (XTRA binds ``password`` as ``Password``, and a field so named
    is a secret whoever reads it)."""
    rule = broken_rule(contract(contract_name), violation) if _at_root_not(violation) else None
    told = replace(violation, message=f"breaks the {rule}" if rule else _words(violation))
    if any(_secret(part, secret) for part in violation.path) or _holds(violation.instance, secret):
        return replace(told, instance=None)
    return told


def _at_root_not(violation: Violation) -> bool:
    """Whether the violation may be of a consistency rule (``contracts.rules``)."""
    return violation.keyword == "not" and not violation.path


def _secret(name: object, secret: frozenset[str]) -> bool:
    return isinstance(name, str) and name.casefold() in secret


def _holds(value: Any, secret: frozenset[str]) -> bool:
    """Whether a JSON value has a field named as a secret (in any case), at any depth."""
    if isinstance(value, dict):
        return any(_secret(k, secret) or _holds(v, secret) for k, v in value.items())
    if isinstance(value, list):
        return any(_holds(item, secret) for item in value)
    return False


def _words(violation: Violation) -> str:
    """What a violation says of a value, quoting none of it: a missing field by its name, a
    wrong type by the value's shape, else the rule broken with the contract's own figure (a
    bound, a format, what a pattern means), never the value."""
    keyword, figure = violation.keyword, violation.expected
    if keyword == "required":
        return f"has no {violation.missing}"
    if keyword == "type":
        words = " or ".join(figure) if isinstance(figure, list) else str(figure)
        return f"is {shape(violation.instance)}, not {words}"
    shown = (isinstance(figure, int | float) and not isinstance(figure, bool)) or (
        keyword in _WORDED and isinstance(figure, str)
    )
    return f"breaks the rule {keyword!r}" + (f" ({figure})" if shown else "")


_WORDED = frozenset({"pattern", "format"})
"""The keywords whose figure is words of the contract (a pattern's ``x-pattern-means`` or
regex, a format's name); another's text (``const``, ``enum``) is a value, never shown."""


def code_set(codes: Collection[str], argument: str) -> frozenset[str]:
    """A constructor's collection of vendor codes; one string alone is refused (``"102"``
    would be read as the codes "1", "0" and "2")."""
    if isinstance(codes, str):
        raise TypeError(f"{argument} takes a collection of codes, such as ({codes!r},)")
    return frozenset(codes)


def check_request(contract_name: str, payload: Any, *, secret: Collection[str] = ()) -> None:
    """Raise :class:`ContractViolation` when ``payload`` breaks the named contract (a query's
    or headers' contract too: ``secret`` names the fields whose values it must not quote). A
    body of the wrong shape is told so alone, not also said to break a consistency rule: a
    rule's ``not`` fails on a body that is no object at all (``[1]``)."""
    checked = contract(contract_name)
    violations = checked.check(payload)
    if violations:
        raise ContractViolation(
            contract_name, structural(checked, violations) or violations, secret
        )


def check_header_values(
    headers: dict[str, str], contract_name: str, secret: Collection[str]
) -> None:
    """A header value httpx cannot send (a line break, a control character: a token read from
    a file with its newline; a letter beyond ASCII: a password "pàss"; a space or tab at
    either end: a password read from a file or an environment variable with a stray space) is
    refused like a contract's violation, before httpx refuses it quoting the value. Contracts'
    patterns end with ``$``, which a final newline passes. A value that is no string
    (``app_version=1``) breaks the rule ``type``, where httpx or the check raised a bare
    TypeError. Each says why in :func:`header_fault`'s words (the validator's would quote the
    value)."""
    found = [
        fault
        for name, value in headers.items()
        if (fault := _header_fault(name, value)) is not None
    ]
    if found:
        raise ContractViolation(contract_name, found, secret)


def _header_fault(name: str, value: Any) -> Violation | None:
    """How the header ``name``'s value cannot be sent; None when it can."""
    if not isinstance(value, str):
        return Violation((name,), "a header value must be a string", "type", "string", value)
    why = header_fault(value)
    return None if why is None else Violation((name,), why, "pattern", why)


def header_fault(value: str) -> str | None:
    """Why httpx cannot send ``value`` as a header's value, in words that quote none of it;
    None when it can, and HTTP/1.1 allows it."""
    if _HEADER_VALUE.fullmatch(value) is None:
        return _UNSENDABLE
    if value[:1] in _BLANKS or value[-1:] in _BLANKS:
        return _STRIPPED
    return None


_UNSENDABLE = (
    "printable ASCII, spaces and tabs only: no line break, control character or letter beyond ASCII"
)
_STRIPPED = "no leading or trailing space or tab, which HTTP strips"


def sendable_in_header(value: str) -> bool:
    """Whether httpx can send ``value`` as a header's value, and HTTP/1.1 allows it."""
    return header_fault(value) is None


_HEADER_VALUE = re.compile(r"[\t\x20-\x7e]*")
"""What httpx sends in a header given as text: ASCII only (it encodes a value as ASCII and
raises ``UnicodeEncodeError`` quoting it); of that, what HTTP/1.1 allows (RFC 9110: visible
characters, spaces, tabs)."""

_BLANKS = (" ", "\t")
"""What may not open or close a header's value (RFC 9110's field-value: HTTP strips it as
whitespace around the value; h11, under httpx, refuses it, quoting the value)."""


def json_body(response: httpx.Response, invalid: type[InvalidResponse]) -> Any:
    """The answer's JSON; ``invalid`` (the vendor's :class:`InvalidResponse`) when it is not."""
    type_ = response.headers.get("content-type", "no content type")
    try:
        return response.json()
    except ValueError:
        what = "is not JSON"
    except RecursionError:  # arrays in arrays, thousands deep
        what = "is JSON nested too deeply to read"
    raise invalid(
        response.status_code, None, f"the answer {what} ({len(response.content)} bytes, {type_})"
    )


SUCCESS = "#/oneOf/0"
"""The success answer's part of a response contract that also allows the vendor's error
answer (QuoParts's and XTRA's): a success answer is checked, and explained, against it alone,
never said to break the error answer's rules."""


def check_answer(
    contract_name: str,
    body: Any,
    what: str,
    invalid: type[InvalidResponse],
    status: int,
    code: str | None = None,
) -> None:
    """Raise ``invalid`` (the vendor's :class:`InvalidResponse`) when a success answer is not
    of the shape its response contract gives, at any depth: ``COD_DOC`` null, ``Item3`` a
    string, ``progId`` missing. Only the contract's reading view
    (:func:`contracts.reading`): the fields and their JSON types, never the formats the fake
    decided (a ``COD_PWD`` of 8 characters, a code the document does not list), which a real
    vendor's answer may not share though it did what was asked. The message names the fields
    and the rules (``what``: "importPvt answer"), never a value: an answer may hold tokens and
    generated passwords. The compiled view answers a valid body (the hot path); only a broken
    one is explained."""
    checked = reading(contract_name)
    if checked.passes(body):
        return
    violations = checked.check(body)
    if violations:
        said = "; ".join(_unquoted(v, what) for v in violations[:3])
        raise invalid(status, code, f"{said} ({contract_name})")


def _unquoted(violation: Violation, what: str) -> str:
    """One violation of an answer in words that quote none of its values."""
    where = f"{what}'s {violation.pointer}" if violation.path else what
    return f"{where} {_words(violation)}"


def shape(value: Any) -> str:
    """What an answer is, without its values: an answer may hold tokens and generated
    passwords, which an exception message (logged, shown in CI) must not quote."""
    if isinstance(value, dict):
        keys = ", ".join(sorted(map(str, value))[:12])
        return f"an object with {keys}" if keys else "an empty object"
    if isinstance(value, list):
        return f"an array of {len(value)}"
    return {str: "a string", bool: "true or false", type(None): "null"}.get(type(value), "a number")


class HttpOptions(TypedDict, total=False):
    """What every client passes on to its ``httpx.Client`` as it is (httpx's meanings):
    ``headers`` sent with every call (a ``User-Agent`` a vendor's firewall asks for; a client's
    own headers, its credentials and a JSON body's ``Content-Type``, win over them),
    ``verify`` (an ``ssl.SSLContext`` that trusts a sandbox's CA, or False), ``cert`` (a client
    certificate; httpx deprecates it for an ``SSLContext`` with ``load_cert_chain`` given as
    ``verify``), ``proxy``, and ``trust_env`` (False: no ``HTTPS_PROXY``, ``NO_PROXY`` or
    ``SSL_CERT_FILE`` from the environment)."""

    headers: Mapping[str, str]
    verify: ssl.SSLContext | str | bool
    cert: str | tuple[str, str] | tuple[str, str, str]
    proxy: str | httpx.URL | httpx.Proxy
    trust_env: bool


_JSON_BODY = {"Content-Type": "application/json"}


class _ClientBase:
    invalid_response: type[InvalidResponse] = InvalidResponse
    """The vendor's :class:`InvalidResponse`, which its flows class names."""
    _http: httpx.Client | httpx.AsyncClient

    def __init__(
        self,
        base_url: str,
        *,
        transport: Any = None,
        timeout: float | httpx.Timeout = 30.0,
        headers: Mapping[str, str] | None = None,
        verify: ssl.SSLContext | str | bool = True,
        cert: str | tuple[str, str] | tuple[str, str, str] | None = None,
        proxy: str | httpx.URL | httpx.Proxy | None = None,
        trust_env: bool = True,
    ) -> None:
        mask_request_lines()  # QuoParts's password and token travel in the query
        self.base_url = base_url.rstrip("/")
        self._http_options: dict[str, Any] = {
            "transport": transport,
            "timeout": timeout,
            "headers": headers,
            "verify": verify_for(self.base_url, verify, cert),  # plain http: no TLS to build
            "cert": cert,
            "proxy": proxy,
            "trust_env": trust_env,
            "limits": httpx.Limits(keepalive_expiry=IDLE_CONNECTION_SECONDS),
        }

    def _request(self, req: Req) -> httpx.Request:
        """``req`` as httpx sends it; a JSON body's ``Content-Type`` is one of the client's
        own headers, which win over the ``headers=`` it was given (httpx sets its own only
        where none was given, so a ``text/plain`` there was sent with the JSON)."""
        headers = req.headers if req.json is None else {**_JSON_BODY, **req.headers}
        return self._http.build_request(
            req.method,
            self.base_url + req.path,
            params=req.params,
            json=req.json,
            headers=headers,
        )

    def _undecodable(self, response: httpx.Response) -> InvalidResponse:
        """An answer whose body is not in its ``Content-Encoding`` (a gzip header on a plain
        body): httpx's ``DecodingError`` is neither a vendor's error nor a transport's."""
        encoding = response.headers.get("content-encoding", "")
        return self.invalid_response(
            response.status_code,
            None,
            f"the answer's body cannot be decoded as its Content-Encoding says ({encoding})",
        )


class SyncClient(_ClientBase):
    """Runs flows with an ``httpx.Client``; a context manager that closes its connections."""

    _http: httpx.Client

    def __init__(self, base_url: str, **kwargs: Any) -> None:
        super().__init__(base_url, **kwargs)
        self._http = httpx.Client(**self._http_options)
        self._exclusive = threading.Lock()

    def _run(self, flow: Flow[T]) -> T:
        """The flow's result, each request it yields sent and each exclusive part run under
        the client's lock. A step that raises ends the flow there (its ``finally`` runs); only
        the flow's own end is its result, so a transport's ``StopIteration`` goes through as
        the error it is."""
        with closing(flow):
            sent: Any = None  # what starts a flow, as ``next`` would
            while True:
                try:
                    step = flow.send(sent)
                except StopIteration as done:
                    return done.value
                if isinstance(step, Exclusive):
                    with self._exclusive:
                        sent = self._run(step.flow)
                else:
                    sent = self._send(step)

    def _send(self, req: Req) -> httpx.Response:
        """The answer to ``req``, read whole (httpx decodes it as it reads)."""
        response = self._http.send(self._request(req), stream=True)
        try:
            response.read()
        except httpx.DecodingError:
            raise self._undecodable(response) from None
        finally:
            response.close()
        return response

    def close(self) -> None:
        """Close the client's connections (``with`` does it)."""
        self._http.close()

    def __enter__(self: T) -> T:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


class AsyncClient(_ClientBase):
    """Runs the same flows with an ``httpx.AsyncClient``; ``async with`` closes it."""

    _http: httpx.AsyncClient

    def __init__(self, base_url: str, **kwargs: Any) -> None:
        super().__init__(base_url, **kwargs)
        self._http = httpx.AsyncClient(**self._http_options)
        self._exclusive = anyio.Lock()  # asyncio's or trio's, as the loop the call runs on

    async def _run(self, flow: Flow[T]) -> T:
        """:meth:`SyncClient._run`, each step awaited."""
        with closing(flow):
            sent: Any = None
            while True:
                try:
                    step = flow.send(sent)
                except StopIteration as done:
                    return done.value
                if isinstance(step, Exclusive):
                    async with self._exclusive:
                        sent = await self._run(step.flow)
                else:
                    sent = await self._send(step)

    async def _send(self, req: Req) -> httpx.Response:
        """:meth:`SyncClient._send`, awaited."""
        response = await self._http.send(self._request(req), stream=True)
        try:
            await response.aread()
        except httpx.DecodingError:
            raise self._undecodable(response) from None
        finally:
            await response.aclose()
        return response

    async def aclose(self) -> None:
        """Close the client's connections (``async with`` does it)."""
        await self._http.aclose()

    async def __aenter__(self: T) -> T:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()
