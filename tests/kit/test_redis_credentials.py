"""A Redis password in ``--store``'s URL is never shown (docs/deploy.md, "The options").

The URL was shown with only what precedes an ``@`` taken off: a password in its query
(``?password=``, which redis-py reads too) was in ``serve``'s banner, in ``GET
/__admin/health``, and in the ``X-Mockservers-Detail`` of every vendor's 503 while Redis was
down, which any caller reads.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import httpx
import pytest
import redis
from redis.asyncio.client import Pipeline
from redis.exceptions import ResponseError

from mockservers import create_app
from mockservers.core.redis_reload import said
from mockservers.core.redis_store import RedisStore
from mockservers.core.shared import masked_url
from mockservers.testing import SyncASGITransport
from tests.conftest import QP
from tests.redis_server import redis_server
from tests.servers import free_port, serve_refused, serving

SECRET = "S3cret-redis-pw"
LOGIN = {"login": "", "username": "demo", "password": "demo"}


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("redis://127.0.0.1:6379/0", "redis://127.0.0.1:6379/0"),
        (f"redis://:{SECRET}@h:6379/0", "redis://***@h:6379/0"),
        (f"redis://kit:{SECRET}@h/0", "redis://***@h/0"),
        (f"rediss://kit:pa@ss/{SECRET}@h:6380/0", "rediss://***@h:6380/0"),
        (f"redis://h:6379/0?password={SECRET}", "redis://h:6379/0?password=***"),
        (
            f"redis://h/1?socket_timeout=3&Username=kit&PASSWORD={SECRET}&db=1",
            "redis://h/1?socket_timeout=3&Username=***&PASSWORD=***&db=1",
        ),
        (f"unix://kit:{SECRET}@/run/redis.sock?db=1", "unix://***@/run/redis.sock?db=1"),
        (
            f"unix:///run/redis.sock?password={SECRET}&db=2",
            "unix:///run/redis.sock?password=***&db=2",
        ),
        (  # the client key's passphrase, which redis-py reads from the query
            f"rediss://h:6380/0?ssl_certfile=c.pem&SSL_Password={SECRET}",
            "rediss://h:6380/0?ssl_certfile=c.pem&SSL_Password=***",
        ),
        (
            f"redis://h/0?username=me@corp&password={SECRET}",
            "redis://h/0?username=***&password=***",
        ),
        # a password holding an unencoded "?" or "#": where its host starts cannot be told
        ("redis://:S3cret?pw@h:6379/0", "redis://***@h:6379/0"),
        ("redis://kit:S3cret#pw@h:6379/0", "redis://***@h:6379/0"),
        ("redis://kit:S3cr@t?pw@h/0", "redis://***@h/0"),
        ("redis://:1234?S3cret@h", "redis://***@h"),
        # a password holding an unencoded "&": its rest is no parameter redis-py reads
        ("redis://h:6379/0?password=ab&cdef", "redis://h:6379/0?password=***"),
        (f"redis://h/0?password=ab&cd=ef&{SECRET}&db=1", "redis://h/0?password=***&db=1"),
        (
            f"redis://h/0?username=kit&password=a&b@{SECRET}",
            "redis://h/0?username=***&password=***",
        ),
        (
            f"redis://h/0?password=ab&socket_timeout=3&{SECRET}&protocol=3",
            "redis://h/0?password=***&socket_timeout=3&***&protocol=3",
        ),
        (  # redis-py reads names as given: DB is not db, and ssl_certfile has no parser
            f"rediss://h/0?ssl_certfile=c.pem&password=a&DB=1&ssl_keyfile={SECRET}",
            "rediss://h/0?ssl_certfile=c.pem&password=***",
        ),
        (
            f"unix:///run/redis.sock?db=2&password=x&&{SECRET}",
            "unix:///run/redis.sock?db=2&password=***",
        ),
    ],
)
def test_a_store_url_is_shown_without_its_credentials(url: str, shown: str) -> None:
    assert masked_url(url) == shown


@pytest.fixture
def kit_user(redis_url: str) -> Iterator[str]:
    """A Redis user with a password (an ACL user: the tests' Redis keeps its default user
    open for the other tests): its name."""
    name = f"kit-{uuid.uuid4().hex[:8]}"
    with redis.Redis.from_url(redis_url) as admin:
        admin.acl_setuser(
            name, enabled=True, passwords=[f"+{SECRET}"], keys=["~*"], commands=["+@all"]
        )
        yield name
        admin.acl_deluser(name)


def test_the_banner_the_health_and_the_log_never_show_the_password(
    redis_url: str, kit_user: str
) -> None:
    url = f"{redis_url}?username={kit_user}&password={SECRET}"
    with serving("--store", url) as served, httpx.Client(base_url=served.url) as http:
        assert http.get(QP, params=LOGIN).json()["errorCode"] == "0"  # the password works
        store = http.get("/__admin/health").json()["store"]
        assert store == f"redis ({redis_url}?username=***&password=***)"
        assert f"(store: {store}, workers: 1)" in served.banner[0]
        assert SECRET not in "\n".join(served.banner + served.started)


def test_a_password_in_the_url_s_user_part_is_not_in_the_health(
    redis_url: str, kit_user: str
) -> None:
    url = redis_url.replace("redis://", f"redis://{kit_user}:{SECRET}@")
    store = RedisStore(url, prefix=f"test-{uuid.uuid4().hex}")
    with httpx.Client(
        transport=SyncASGITransport(create_app(store=store), lifespan=True), base_url="http://m"
    ) as http:
        health = http.get("/__admin/health")
    assert health.status_code == 200
    assert health.json()["store"] == f"redis ({redis_url.replace('redis://', 'redis://***@')})"


def test_a_vendor_s_503_while_redis_is_down_does_not_show_the_password(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Any caller reads a vendor's 503 detail, without the admin token."""
    url = f"redis://127.0.0.1:{free_port()}/0?password={SECRET}"
    app = create_app(store=RedisStore(url))
    with httpx.Client(transport=SyncASGITransport(app, lifespan=True), base_url="http://m") as http:
        answer = http.get(QP, params=LOGIN)
        admin = http.get("/__admin/health")
    detail = answer.headers["X-Mockservers-Detail"]
    assert answer.status_code == 503 and "cannot reach Redis at redis (" in detail
    assert "password=***" in detail and SECRET not in detail
    assert admin.status_code == 503 and SECRET not in admin.text
    assert "password=***" in caplog.text and SECRET not in caplog.text


@pytest.mark.parametrize(
    "url",
    [
        f"redis://127.0.0.1:{free_port()}/0?password={SECRET}",  # unreachable
        f"http://kit:{SECRET}@127.0.0.1:6379/0",  # not a Redis URL
        f"redis://:12/{SECRET}@127.0.0.1:6379/x",  # its "/" read as a path: no database
        f"rediss://127.0.0.1:{free_port()}/0?ssl_password={SECRET}",
        f"redis://127.0.0.1:{free_port()}/0?password=ab&{SECRET}",
    ],
    ids=["unreachable", "another-scheme", "slash-in-password", "ssl-password", "ampersand"],
)
def test_serve_refusing_its_store_does_not_show_the_password(url: str) -> None:
    result = serve_refused("--store", url)
    assert result.returncode == 2 and "***" in result.stderr, result.stderr
    assert SECRET not in result.stderr + result.stdout


@pytest.mark.parametrize(
    "url",
    [
        f"redis://:ab?{SECRET}@127.0.0.1:6379/0",
        f"redis://kit:ab#{SECRET}@127.0.0.1:6379/0",
        f"redis://:ab/{SECRET}@127.0.0.1:6379/0",
        f"redis://:99999?{SECRET}@127.0.0.1:6379/0",  # digits before the "?": no port
        f"redis://:ab[{SECRET}]@127.0.0.1:6379/0",  # Python quoted what the brackets held
    ],
    ids=["question-mark", "hash", "slash", "digits", "brackets"],
)
def test_a_password_that_ends_the_host_early_is_refused_without_a_piece_of_it(url: str) -> None:
    """redis-py read the password's start as the port and said so: "Port could not be cast to
    integer value as 'ab'"."""
    result = serve_refused("--store", url)
    assert result.returncode == 2, result.stderr
    assert "--store (or MOCKSERVERS_STORE): this URL cannot be read" in result.stderr
    assert "percent-encode" in result.stderr and "a password" in result.stderr
    assert "'ab'" not in result.stderr and SECRET not in result.stderr + result.stdout


def test_a_redis_that_asks_for_a_password_the_url_lacks_says_so_at_start() -> None:
    """Redis answers the handshake of a client without a password in protocol terms ("HELLO
    must be called with the client already authenticated…"): serve names what is missing."""
    with redis_server(options=["--requirepass", SECRET]) as url:
        missing = serve_refused("--store", url)
        wrong = serve_refused("--store", url.replace("//", "//:not-it@"))
    assert missing.returncode == 2, missing.stderr
    assert "Redis asks for a password" in missing.stderr
    assert "redis://:PASSWORD@HOST:PORT/DB" in missing.stderr
    assert wrong.returncode == 2 and "invalid username-password pair" in wrong.stderr
    assert "asks for a password" not in wrong.stderr and "not-it" not in wrong.stderr


def test_what_redis_said_to_a_pipelined_command_is_quoted_as_it_said_it() -> None:
    """redis-py rewrites a pipelined command's error into "Command # 1 (HGETALL <key>) of
    pipeline caused error: ('…',)": a 503 quotes Redis's own words, not the kit's keys."""
    refused = ResponseError("command not allowed when used memory > 'maxmemory'.")
    Pipeline.annotate_exception(None, refused, 1, ("HGETALL", "mockservers:journal-dropped"))  # type: ignore[arg-type]
    assert "of pipeline caused error" in str(refused)
    assert said(refused) == "command not allowed when used memory > 'maxmemory'."
    assert said(ResponseError("plain")) == "plain"
