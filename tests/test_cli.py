"""``mockservers serve`` as a user runs it: a real process, real port, Ctrl-C to stop."""

from __future__ import annotations

import signal
import socket
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager

import httpx

from tests.conftest import QP


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def serving(*args: str) -> Iterator[tuple[str, list[str]]]:
    port = _free_port()
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "mockservers.cli",
            "serve",
            "--port",
            str(port),
            "--log-level",
            "info",
            *args,
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        banner = []
        assert process.stdout is not None and process.stderr is not None
        for line in process.stdout:
            banner.append(line.rstrip())
            if "/__admin" in line:
                break
        for line in process.stderr:  # uvicorn says when it listens: no polling, no sleeping
            if "Uvicorn running on" in line:
                break
        yield f"http://127.0.0.1:{port}", banner
    finally:
        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=15) == 0, "Ctrl-C must stop the server cleanly"


def test_serve_prints_base_urls_and_demo_credentials_and_answers() -> None:
    with serving() as (url, banner):
        text = "\n".join(banner)
        assert f"{url}/quoparts" in text and "username demo, password demo" in text
        assert httpx.get(f"{url}/__admin/health").json()["status"] == "ok"
        login = httpx.get(url + QP, params={"login": "", "username": "demo", "password": "demo"})
        assert login.json()["errorCode"] == "0"
        assert httpx.get(f"{url}/quoparts/openapi.json").json()["openapi"] == "3.1.0"


def test_serve_reads_a_config_file(tmp_path: object) -> None:
    config = tmp_path / "kit.toml"  # type: ignore[operator]
    config.write_text('[[quoparts.accounts]]\nusername = "acme"\npassword = "pw"\n')
    with serving("--config", str(config)) as (url, _):
        login = httpx.get(url + QP, params={"login": "", "username": "acme", "password": "pw"})
        assert login.json()["errorCode"] == "0"


def test_serve_refuses_a_bad_config_file_with_a_clear_message(tmp_path: object) -> None:
    config = tmp_path / "kit.toml"  # type: ignore[operator]
    config.write_text("[quoparts]\ntoken_ttl = 5\n")
    result = subprocess.run(
        [sys.executable, "-m", "mockservers.cli", "serve", "--config", str(config)],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert result.returncode == 2
    assert "[quoparts]: unknown keys ['token_ttl']" in result.stderr


def test_serve_refuses_a_public_address_without_an_admin_token() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "mockservers.cli", "serve", "--host", "0.0.0.0"],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert result.returncode == 2 and "--admin-token" in result.stderr
