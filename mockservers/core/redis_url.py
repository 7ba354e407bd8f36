"""The query parameters a store's URL may carry, checked before connecting.

redis-py hands every parameter of a URL's query to its connection as a keyword: one the
connection does not take (``?foo=1``, ``?passwd=``, rediss's ``?ssl_cert_reqs=`` on a redis://
URL) raised ``TypeError`` at the first connect, and ``serve`` died with a traceback. A
parameter redis-py does not convert from text reaches the connection as text: on an option
that is no text (``?decode_responses=yes``) the kit's store hung. So a parameter is settable in
a URL when the connection redis-py makes for the URL's scheme (or its pool) takes it, and
redis-py either converts it (``URL_QUERY_ARGUMENT_PARSERS``) or the option takes text.
Both read from the installed redis-py, not listed here.
"""

from __future__ import annotations

import functools
import inspect
import typing
from typing import Any
from urllib.parse import parse_qsl, urlsplit, urlunsplit

from redis.asyncio.connection import URL_QUERY_ARGUMENT_PARSERS, ConnectionPool, parse_url

from mockservers.core.shared import _credential

SCHEMES = ("redis", "rediss", "unix")
"""The schemes redis-py reads (``parse_url``)."""
_KEYWORDS = (inspect.Parameter.KEYWORD_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)


def check_query(url: str) -> None:
    """Raise ``ValueError`` naming a query parameter of ``url`` that redis-py cannot set for
    its scheme, or whose value it cannot read (never the value: it may be a secret)."""
    parts = urlsplit(url)
    # The query alone, read as redis-py reads it: its value errors name the parameter only.
    parse_url(urlunsplit((parts.scheme, "", "", parts.query, "")))
    known = settable(parts.scheme)
    follows = ""
    for name, _ in parse_qsl(parts.query):  # in order, as redis-py's parse_qs reads them
        if name not in known:
            raise ValueError(_refusal(name, parts.scheme, known, follows))
        if _credential(name):
            follows = name


def _refusal(name: str, scheme: str, known: frozenset[str], follows: str) -> str:
    """Why ``name`` is refused; not named when it follows a credential in the query: it may
    be the rest of a password holding an unencoded ``&``."""
    can = f"it can set {', '.join(sorted(known))}"
    if follows:
        return (
            f"redis-py cannot set a parameter that follows {follows!r} in this {scheme}:// URL"
            f" (percent-encode an & in a password as %26); {can}"
        )
    elsewhere = [f"{other}://" for other in SCHEMES if name in settable(other)]
    where = f" (a parameter of {' and '.join(elsewhere)} URLs)" if elsewhere else ""
    return f"redis-py cannot set {name!r} from a {scheme}:// URL{where}; {can}"


@functools.cache
def settable(scheme: str) -> frozenset[str]:
    """The query parameters redis-py can set on the connection it makes for ``scheme``."""
    default = inspect.signature(ConnectionPool).parameters["connection_class"].default
    connection = parse_url(f"{scheme}://").get("connection_class", default)
    names: set[str] = set()
    for init in (ConnectionPool.__init__, *_inits(connection)):
        hints = _hints(init)
        for name, parameter in inspect.signature(init).parameters.items():
            if name == "self" or parameter.kind not in _KEYWORDS:
                continue
            if name in URL_QUERY_ARGUMENT_PARSERS or _takes_text(hints.get(name, str)):
                names.add(name)
    return frozenset(names)


def _inits(cls: type) -> list[Any]:
    """The ``__init__`` methods a keyword given to ``cls`` can reach: its own, then its
    parents' for as long as each passes on the keywords it does not take."""
    found = []
    for owner in cls.__mro__:
        init = owner.__dict__.get("__init__")
        if init is None or owner is object:
            continue
        found.append(init)
        kinds = {p.kind for p in inspect.signature(init).parameters.values()}
        if inspect.Parameter.VAR_KEYWORD not in kinds:
            break
    return found


def _hints(init: Any) -> dict[str, Any]:
    """``init``'s parameter types; none known (every parameter taken as text) when this
    redis-py's annotations cannot be resolved."""
    try:
        return typing.get_type_hints(init)
    except (NameError, TypeError, AttributeError):  # an annotation its module cannot resolve
        return {}


def _takes_text(hint: Any) -> bool:
    return hint is str or str in typing.get_args(hint)
