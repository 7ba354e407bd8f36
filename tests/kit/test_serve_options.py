"""``serve`` for teams: HTTPS with a local CA or given files, CORS for browser connectors, and
option combinations it refuses."""

from __future__ import annotations

import ssl
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from mockservers import create_app
from mockservers.testing import SyncASGITransport
from tests.servers import serving

ORIGIN = "http://localhost:3000"
PREFLIGHT = {
    "Origin": ORIGIN,
    "Access-Control-Request-Method": "POST",
    "Access-Control-Request-Headers": "content-type, authorization, x-app-name",
}


def test_self_signed_tls_is_verified_with_the_printed_ca_and_cors_answers_preflights(
    tmp_path: Path,
) -> None:
    folder = tmp_path / "tls"
    args = ("--tls-self-signed", str(folder), "--cors-origin", ORIGIN)
    with serving(*args, scheme="https") as served:
        (line,) = [line for line in served.banner if "local CA" in line]
        ca = Path(line.rsplit(" ", 1)[1])
        assert ca == folder / "ca.pem"
        trusted = ssl.create_default_context(cafile=str(ca))
        with httpx.Client(base_url=served.url, verify=trusted) as http:
            assert http.get("/__admin/health").json()["status"] == "ok"
            preflight = http.options("/tsdigital/api/v3/items", headers=PREFLIGHT)
            assert preflight.status_code == 200
            assert preflight.headers["access-control-allow-origin"] == ORIGIN
        with pytest.raises(httpx.ConnectError, match="CERTIFICATE_VERIFY_FAILED"):
            httpx.get(served.url + "/__admin/health")  # the system's CAs do not know it


def test_given_certificate_files_serve_https(tmp_path: Path) -> None:
    from mockservers.serving import self_signed

    ca, cert, key = self_signed(tmp_path)
    args = ("--ssl-certfile", str(cert), "--ssl-keyfile", str(key))
    with serving(*args, scheme="https") as served:
        trusted = ssl.create_default_context(cafile=str(ca))
        assert httpx.get(served.url + "/__admin/health", verify=trusted).status_code == 200


def test_the_local_ca_is_kept_between_starts(tmp_path: Path) -> None:
    from mockservers.serving import self_signed

    first = [path.read_bytes() for path in self_signed(tmp_path)]
    assert [path.read_bytes() for path in self_signed(tmp_path)] == first


@pytest.mark.parametrize("path", ["/quoparts/ws_quoparts.php", "/keepit/api", "/__admin/health"])
def test_cors_marks_answers_for_the_configured_origins_only(path: str) -> None:
    app = create_app({"kit": {"cors_origins": [ORIGIN]}})
    with httpx.Client(transport=SyncASGITransport(app), base_url="http://m") as http:
        allowed = http.options(path, headers=PREFLIGHT)
        assert allowed.status_code == 200
        assert allowed.headers["access-control-allow-origin"] == ORIGIN
        assert "POST" in allowed.headers["access-control-allow-methods"]
        other = http.options(path, headers={**PREFLIGHT, "Origin": "http://evil.example"})
        assert other.status_code == 400
        answer = http.get(path, headers={"Origin": ORIGIN})
        assert answer.headers["access-control-allow-origin"] == ORIGIN
        assert "X-Mockservers-Detail" in answer.headers["access-control-expose-headers"]


def test_without_cors_origins_no_cors_headers_are_sent() -> None:
    app = create_app()
    with httpx.Client(transport=SyncASGITransport(app), base_url="http://m") as http:
        answer = http.get("/__admin/health", headers={"Origin": ORIGIN})
        assert "access-control-allow-origin" not in answer.headers


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--workers", "2"], "--workers above 1 needs --store"),
        (["--store", "redis://x/0", "--state-file", "s.db"], "exclusive"),
        (["--store", "memory://"], "a redis:// URL is expected"),
        (["--ssl-certfile", "a.pem"], "go together"),
        (["--tls-self-signed", "d", "--ssl-certfile", "a", "--ssl-keyfile", "b"], "not both"),
    ],
)
def test_serve_refuses_option_combinations_that_cannot_work(args: list[str], message: str) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "mockservers.cli", "serve", *args],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert done.returncode == 2 and message in done.stderr
