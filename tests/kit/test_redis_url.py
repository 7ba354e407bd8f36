"""A store URL's query parameters are ones redis-py can set, or ``serve`` refuses them at start
(docs/deploy.md, "The options").

redis-py passes each parameter of the query to its connection as a keyword: one the
connection does not take (``?foo=1``, a typo such as ``?passwd=``, rediss's ``?ssl_cert_reqs=``
on a redis:// URL) raised ``TypeError`` inside the first connect, and ``serve`` died with a
traceback (exit 1) instead of saying what was wrong.
"""

from __future__ import annotations

import uuid

import httpx
import pytest

from mockservers import create_app
from mockservers.core.redis_store import RedisStore
from mockservers.testing import SyncASGITransport
from tests.conftest import QP
from tests.servers import free_port, serve_refused

SECRET = "S3cret-value"


def _unreachable(query: str, scheme: str = "redis") -> str:
    """A URL of a Redis nobody listens on: a refusal that names the parameter was made before
    connecting (after, it would say that Redis cannot be reached)."""
    return f"{scheme}://127.0.0.1:{free_port()}/0?{query}"


@pytest.mark.parametrize(
    ("query", "name"),
    [
        ("ssl_cert_reqs=none", "'ssl_cert_reqs' from a redis:// URL (a parameter of rediss://"),
        ("foo=1", "'foo' from a redis:// URL;"),
        (f"passwd={SECRET}", "'passwd' from a redis:// URL;"),
        (f"PASSWORD={SECRET}", "'PASSWORD' from a redis:// URL;"),
        # redis-py passes it as the text "yes": the store's replies came back as text, and hung
        ("decode_responses=yes", "'decode_responses' from a redis:// URL;"),
        ("db=1&timeout=5", "'timeout' from a redis:// URL;"),  # a blocking pool's, not ours
    ],
)
def test_serve_refuses_a_query_parameter_redis_py_cannot_set(query: str, name: str) -> None:
    result = serve_refused("--store", _unreachable(query))
    assert result.returncode == 2, result.stderr
    assert f"mockservers: --store: redis-py cannot set {name}" in result.stderr
    assert "it can set client_name, db, " in result.stderr  # what it could have been
    assert "Traceback" not in result.stderr and SECRET not in result.stderr + result.stdout


def test_a_parameter_after_a_password_is_not_named() -> None:
    """``?password=ab&cd=ef`` is most likely one password holding an unencoded ``&``: the
    parameter redis-py reads as ``cd`` is a piece of it."""
    result = serve_refused("--store", _unreachable(f"password=ab&{SECRET}=x"))
    assert result.returncode == 2, result.stderr
    assert "redis-py cannot set a parameter that follows 'password'" in result.stderr
    assert "percent-encode an & in a password as %26" in result.stderr
    assert SECRET not in result.stderr + result.stdout


def test_a_value_redis_py_cannot_read_is_refused_without_it() -> None:
    result = serve_refused("--store", _unreachable(f"socket_timeout={SECRET}"))
    assert result.returncode == 2, result.stderr
    assert "--store: Invalid value for 'socket_timeout' in connection URL." in result.stderr
    assert SECRET not in result.stderr


@pytest.mark.parametrize(
    "url",
    [
        "redis://127.0.0.1:6379/0?foo=1",
        "unix:///run/redis.sock?ssl_ca_certs=ca.pem",
        "redis://127.0.0.1:6379/0?encoder_class=x",  # taken by name, but not as text
    ],
)
def test_an_embedded_store_refuses_it_when_made(url: str) -> None:
    """``create_app(store=RedisStore(url))``: refused when the store is made, not at the
    app's start."""
    with pytest.raises(ValueError, match="redis-py cannot set '"):
        RedisStore(url)


@pytest.mark.parametrize(
    "url",
    [
        "redis://127.0.0.1:6379/0?socket_timeout=3&client_name=kit&max_connections=20",
        "rediss://127.0.0.1:6380/0?ssl_cert_reqs=none&ssl_password=x&ssl_check_hostname=false",
        "unix:///run/redis.sock?db=2&password=x",
    ],
)
def test_the_parameters_redis_py_reads_are_taken(url: str) -> None:
    assert RedisStore(url).url == url


def test_a_fake_on_a_url_with_parameters_redis_py_reads_serves(redis_url: str) -> None:
    url = f"{redis_url}?client_name=kit&socket_keepalive=true&health_check_interval=10"
    store = RedisStore(url, prefix=f"test-{uuid.uuid4().hex}")
    transport = SyncASGITransport(create_app(store=store), lifespan=True)
    with httpx.Client(transport=transport, base_url="http://m") as http:
        answer = http.get(QP, params={"login": "", "username": "demo", "password": "demo"})
    assert answer.json()["errorCode"] == "0"
