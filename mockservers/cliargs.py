"""The command-line options and argparse types that ``mockservers``' own commands share with
those other packages plug in (``fuzz``): time limits, ports, base URLs, a sandbox's CA, the
vendors' credentials."""

from __future__ import annotations

import argparse
import math
import os
import ssl
from collections.abc import Callable
from urllib.parse import urlsplit

CREDENTIAL_FLAGS = (
    ("--username", "USER"),
    ("--password", "PASSWORD"),
    ("--public-key", "KEY"),
    ("--secret-key", "KEY"),
    ("--token", "TOKEN"),
    ("--company-id", "ID"),
    ("--site-id", "ID"),
)
"""Every vendor's credential options, with their metavars."""

CREDENTIALS_IN_URL = (
    "credentials in the URL (user:password@host) are refused: none of the vendors takes them "
    "so, and the URL is shown in every output; give them with the credential options "
    "(--username, --password, --public-key, --secret-key, --token, ...)"
)


def environ(name: str) -> str | None:
    """The environment variable ``name`` (a ``MOCKSERVERS_*`` one giving an option's default),
    None when it is unset or empty: ``MOCKSERVERS_STORE=`` in a compose file, a CI secret
    that is not set, counts as no store, as an empty admin token already counted as none."""
    return os.environ.get(name) or None


def or_environment(variable: str) -> Callable[[str], str | None]:
    """An argparse type for an option whose default is the environment variable ``variable``:
    given empty (``--admin-token ""``, a script's unset ``$TOKEN``), the option counts as not
    given, as an empty variable counts as unset, and the variable applies (its token was
    dropped, and the file's, or none, taken instead)."""

    def given(text: str) -> str | None:
        return text or environ(variable)

    return given


def processes(text: str) -> int:
    """``serve --workers`` (an argparse type, its default ``MOCKSERVERS_WORKERS``)."""
    try:
        number = int(text)
    except ValueError:
        number = 0
    if number < 1:
        raise argparse.ArgumentTypeError(
            f"a whole number from 1 is expected, not {text!r} (--workers or MOCKSERVERS_WORKERS)"
        )
    return number


def time_limit(text: str) -> float:
    """A time limit: seconds above 0, at most a day (``-1`` was a traceback, ``0`` a misleading
    "cannot reach"); ``replay``'s and ``fuzz``'s ``--timeout``."""
    try:
        seconds = float(text)
    except ValueError:
        seconds = math.nan
    if not 0 < seconds <= 86400:
        raise argparse.ArgumentTypeError(f"{text!r}: seconds above 0, at most 86400")
    return seconds


def port(text: str) -> int:
    """A TCP port (an argparse type): 99999 would be taken modulo 65536, silently."""
    try:
        number = int(text)
    except ValueError:
        number = -1
    if not 1 <= number <= 65535:
        raise argparse.ArgumentTypeError(f"a port is a number from 1 to 65535, not {text!r}")
    return number


def is_http_url(url: str) -> bool:
    """An http(s) URL naming a host, with a numeric port if any (``replay``, ``proxy``, and
    ``fuzz`` from the fuzz package)."""
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError for a port that is not a number
    except ValueError:
        return False
    return parts.scheme in ("http", "https") and bool(parts.hostname)


def carries_credentials(url: str) -> bool:
    """Whether ``url`` has userinfo (``https://user:password@host``): httpx would send it as
    Basic auth, which none of the four vendors takes, and the URL (shown in the console, the
    report, every recorded call) would show the password. ``fuzz``'s (``replay`` sends them as
    HTTP Basic, as the proxy sends ``--upstream``'s: a sandbox behind Basic auth)."""
    try:
        return "@" in urlsplit(url).netloc
    except ValueError:  # no URL at all (is_http_url says so)
        return False


def trusting(path: str) -> ssl.SSLContext:
    """An SSL context that trusts the CA certificates in ``path`` (PEM) besides those an httpx
    client trusts by default; a file it cannot read them from is a usage error."""
    import httpx

    context = httpx.create_ssl_context()
    try:
        context.load_verify_locations(cafile=path)
    except (OSError, ssl.SSLError) as exc:
        raise argparse.ArgumentTypeError(
            f"{path!r}: no CA certificate read from it ({exc})"
        ) from None
    return context


def add_cacert(parser: argparse._ActionsContainer) -> None:
    """``--cacert FILE`` (``replay``, ``proxy``, and ``fuzz`` from the fuzz package): a
    sandbox's own CA."""
    parser.add_argument(
        "--cacert",
        type=trusting,
        metavar="FILE",
        help="also trust the CA certificate(s) in FILE (PEM), e.g. a sandbox's own or "
        "serve --tls-self-signed's ca.pem",
    )


class FromEnvironment(str):
    """An option's value read from the environment variable ``variable``, not given on the
    command line: one environment may serve several commands and vendors, so a value found
    there may not be meant for this one."""

    variable: str

    def __new__(cls, value: str, variable: str) -> FromEnvironment:
        found = super().__new__(cls, value)
        found.variable = variable
        return found


def add_credentials(parser: argparse._ActionsContainer, env_prefix: str | None = None) -> None:
    """Every vendor's credential options (``replay``, and ``fuzz`` from the fuzz package). With
    ``env_prefix``, each is also read from the environment variable :func:`credential_variable`
    names (a command line shows in ``ps`` to every user of the machine, and in
    ``/proc/PID/cmdline``): the option given wins, an empty variable counts as unset, and a
    value read there is a :class:`FromEnvironment`."""
    for flag, metavar in CREDENTIAL_FLAGS:
        if env_prefix is None:
            parser.add_argument(flag, metavar=metavar)
            continue
        variable = credential_variable(flag, env_prefix)
        value = environ(variable)
        parser.add_argument(
            flag,
            metavar=metavar,
            default=None if value is None else FromEnvironment(value, variable),
            help=f"(env {variable})",
        )


def credential_variable(flag: str, prefix: str) -> str:
    """The environment variable a credential option is read from: ``--password`` with the
    prefix ``MOCKSERVERS_FUZZ_`` is ``MOCKSERVERS_FUZZ_PASSWORD``, as ``serve``'s
    ``--admin-token`` is ``MOCKSERVERS_ADMIN_TOKEN``."""
    return prefix + flag.removeprefix("--").replace("-", "_").upper()


def credentials(args: argparse.Namespace) -> dict[str, str | None]:
    """The credential options' values, by their names (``public_key``), None where not given."""
    names = (flag[2:].replace("-", "_") for flag, _ in CREDENTIAL_FLAGS)
    return {name: getattr(args, name) for name in names}
