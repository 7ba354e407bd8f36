"""How ``mockservers serve`` builds what it serves: the app from its options (in this process, or
in each of ``--workers N`` processes, which receive the same ``ServeSpec``), the store, TLS
material.

Kept apart from the CLI so that a worker process builds exactly the app the command described.
"""

from __future__ import annotations

import gc
import signal
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from starlette.applications import Starlette

from mockservers.app import check_vendor_tables, create_app
from mockservers.config import Config, ConfigError, browser_origins, check_admin_token
from mockservers.core.shared import Store, masked_url

if TYPE_CHECKING:
    import uvicorn

_STORE = "--store (or MOCKSERVERS_STORE)"
"""Where a store's URL came from, as a refusal names it."""


@dataclass(frozen=True)
class ServeSpec:
    """What ``serve`` was asked for, as data a worker process can read back."""

    config: str | None = None
    admin_token: str | None = None
    state_file: str | None = None
    store: str | None = None
    cors_origins: tuple[str, ...] = field(default=())

    def load_config(self) -> Config:
        """The config file with the command's options over it, checked whole (the vendors'
        tables too): a mistake is refused at start, not met by every call."""
        config = Config.load(self.config) if self.config else Config()
        check_vendor_tables(config)
        changes: dict[str, Any] = {}
        if self.admin_token:
            check_admin_token(self.admin_token, "--admin-token (or MOCKSERVERS_ADMIN_TOKEN)")
            changes["admin_token"] = self.admin_token
        if self.cors_origins:  # the file's, already as a browser writes them, then these
            given = (*config.cors_origins, *self.cors_origins)
            changes["cors_origins"] = browser_origins(given, "--cors-origin")
        return config.with_overrides(**changes) if changes else config

    def make_store(self) -> Store:
        if self.store is None:
            return Store()
        if not self.store.startswith(("redis://", "rediss://", "unix://")):
            shown = masked_url(self.store)
            raise ConfigError(f"{_STORE}: a redis:// URL is expected, not {shown!r}")
        unreadable = _unreadable(self.store)  # redis-py's own error would quote a piece of it
        if unreadable is not None:
            raise ConfigError(f"{_STORE}: {unreadable}")
        database = urlsplit(self.store).path.strip("/")
        if not self.store.startswith("unix://") and database and not database.isdecimal():
            # redis-py reads such a URL as database 0: a typo would share another fake's
            raise ConfigError(
                f"{_STORE}: the database is a number (redis://HOST:PORT/0), not"
                f" {masked_url(database)!r}"  # a password holding a "/" is read as a path
            )
        from mockservers.core.redis_store import RedisStore

        try:
            return RedisStore(self.store)
        except ValueError as exc:  # a query parameter redis-py cannot set, or cannot read
            raise ConfigError(f"--store: {exc}") from None

    def build(self) -> Starlette:
        """The app, dating its answers on the kit's clock: ``serve`` turns uvicorn's off."""
        return create_app(
            self.load_config(),
            state_file=self.state_file,
            store=self.make_store(),
            date_header=True,
        )


_IN_A_PASSWORD = "this URL cannot be read (percent-encode ?, #, / and @ in a password)"
_PORT = "the port is a number from 1 to 65535 (redis://HOST:PORT/0)"
_BRACKETS = (
    "this URL cannot be read: write an IPv6 address in brackets (redis://[::1]:6379/0),"
    " and percent-encode [ and ] in a password"
)


def _unreadable(url: str) -> str | None:
    """Why a store's URL does not read as one host, port and query (None: it does), quoting
    no piece of it: a password holding an unencoded ``?`` or ``#`` ends the host early, its
    rest read as a port or a query."""
    try:
        parts = urlsplit(url)
    except ValueError:  # "Invalid IPv6 URL"; or a bracket's inside, quoted: maybe a password's
        return _BRACKETS
    names = (segment.partition("=")[0] for segment in parts.query.split("&"))
    if "#" in url or any("@" in name for name in names):
        return _IN_A_PASSWORD
    host = parts.netloc.rpartition("@")[2]
    if "[" not in host and host.count(":") > 1:  # redis://::1:6379/0: not a port's fault
        return _BRACKETS
    try:
        port = parts.port  # parsed as it is read: "Port could not be cast to integer value"
    except ValueError:
        digits = parts.netloc.rpartition(":")[2].isdecimal()  # else a piece of a password
        return _PORT if digits else _IN_A_PASSWORD
    return _PORT if port == 0 else None


def tune_gc() -> None:
    """Garbage collection for a long-running fake, once its app is built.

    The start-up objects (modules, compiled validators, contracts) are frozen out of every
    collection, and the young generation is collected every 50,000 allocations instead of 700:
    a fake's state is many small dicts and lists that live for the whole run, which the default
    thresholds scan again and again. In ``make bench`` this cuts TS Digital createItem's CPU per
    request by 15-22 % (160-180 to 132-141 µs) for about 8 % more memory under load
    (docs/performance.md). A process that embeds the app (``MockServer``, an ASGI transport)
    keeps its own settings.
    """
    gc.collect()
    gc.freeze()
    gc.set_threshold(50_000, 20, 20)


class _Encrypted(Exception):
    """The private key asks for a pass phrase."""


def _no_pass_phrase() -> str:
    raise _Encrypted


def on_hangup(handler: Callable[[int, Any], Any]) -> None:
    """SIGHUP (the terminal closed) calls ``handler``, unless SIGHUP is ignored: ``nohup``
    ignores it so that the command outlives its terminal, and the workers inherit that."""
    if signal.getsignal(signal.SIGHUP) is not signal.SIG_IGN:
        signal.signal(signal.SIGHUP, handler)


def stop_on_hangup(server: uvicorn.Server) -> None:
    """SIGHUP stops ``server`` as SIGTERM does (unless ignored, :func:`on_hangup`): the
    requests in flight are answered, the app's lifespan ends (the state file is closed). A
    closed terminal sends it to every process of its job; uvicorn handles SIGINT and SIGTERM
    only, so the kit died at once, calls cut, a state file's -wal, -shm and lock left behind."""
    on_hangup(server.handle_exit)


def check_certificate(certfile: str, keyfile: str) -> None:
    """Load the certificate and its key as the server will (``OSError``, ``ValueError``
    naming the problem): a missing file, a key of another certificate or an encrypted key is
    refused before ``serve`` says it serves, not as a traceback after. An encrypted key is
    never asked a pass phrase for: OpenSSL asked on the terminal (twice, then failed, where
    there is none), and uvicorn asked again while the first calls waited."""
    import shlex
    import ssl

    for path in (certfile, keyfile):
        if not Path(path).is_file():
            raise OSError(f"{path}: no such file")
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    try:
        context.load_cert_chain(certfile, keyfile, password=_no_pass_phrase)
    except _Encrypted:
        key = Path(keyfile)
        plain = key.with_name(f"{key.stem}.plain{key.suffix}")
        command = shlex.join(["openssl", "pkey", "-in", keyfile, "-out", str(plain)])
        raise ValueError(
            f"--ssl-keyfile {keyfile} is encrypted: give an unencrypted key ({command})"
        ) from None
    except ssl.SSLError as exc:
        if exc.reason == "KEY_VALUES_MISMATCH":
            raise ValueError(
                f"the key {keyfile} does not match the certificate {certfile} (it is another"
                " certificate's key)"
            ) from None
        why = f" ({exc.reason})" if exc.reason else ""
        raise ValueError(
            f"{certfile} and {keyfile}: not a PEM certificate and its private key{why}"
        ) from None


_NEW_CA = "to make a new local CA (clients must then trust the new ca.pem)"


def self_signed(directory: str | Path) -> tuple[Path, Path, Path]:
    """A local CA and a certificate for localhost/127.0.0.1/::1 signed by it, in ``directory``
    (made once, then reused, so clients keep trusting the same CA): (ca, cert, key) paths.
    A directory holding some of the three files is refused, and so is one whose certificate
    every client would refuse (not the CA's, not for localhost and 127.0.0.1, expired): the
    CA's own key is not kept, so a new certificate needs a new CA, which every client would
    have to trust again."""
    from mockservers.certificates import reuse_problem

    folder = Path(directory)
    if folder.exists() and not folder.is_dir():
        raise ValueError(f"--tls-self-signed {folder}: not a directory")
    ca, cert, key = folder / "ca.pem", folder / "server.pem", folder / "server.key"
    present = [path.name for path in (ca, cert, key) if path.exists()]
    if present and len(present) < 3:
        raise ValueError(
            f"{folder} holds {', '.join(present)} but not all of ca.pem, server.pem and"
            f" server.key: remove them {_NEW_CA}"
        )
    problem = reuse_problem(ca, cert) if present else None
    if problem is not None:
        raise ValueError(f"{problem}: every client would refuse it; remove {folder} {_NEW_CA}")
    if not present:
        import trustme

        folder.mkdir(parents=True, exist_ok=True)
        authority = trustme.CA(organization_name="mockservers local CA")
        issued = authority.issue_cert("localhost", "127.0.0.1", "::1")
        authority.cert_pem.write_to_path(str(ca))
        issued.private_key_pem.write_to_path(str(key))
        with cert.open("wb") as handle:
            for blob in issued.cert_chain_pems:
                handle.write(blob.bytes())
        key.chmod(0o600)
    return ca, cert, key
