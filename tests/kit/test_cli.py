"""``mockservers serve`` as a user runs it: a real process, real port, Ctrl-C to stop."""

from __future__ import annotations

import httpx
import pytest

from tests.conftest import QP
from tests.servers import serve_refused, serving


def test_serve_prints_base_urls_and_demo_credentials_and_answers() -> None:
    with serving() as served:
        url, text = served.url, "\n".join(served.banner)
        assert f"{url}/quoparts" in text and "username demo, password demo" in text
        assert f"{url}/__admin/ui" in text  # the dashboard, beside the base URLs
        assert served.banner[-1].split()[:2] == ["admin", f"{url}/__admin"]  # still the last
        assert httpx.get(f"{url}/__admin/health").json()["status"] == "ok"
        (minting,) = [line for line in served.banner if "bearer tokens" in line]
        path = minting.split("POST ", 1)[1].split()[0]  # it was tsdigital/tokens: a 404
        assert httpx.post(url + path, json={"kind": "user"}).json()["kind"] == "user"
        login = httpx.get(url + QP, params={"login": "", "username": "demo", "password": "demo"})
        assert login.json()["errorCode"] == "0"
        assert httpx.get(f"{url}/quoparts/openapi.json").json()["openapi"] == "3.1.0"


def test_serve_reads_a_config_file(tmp_path: object) -> None:
    config = tmp_path / "kit.toml"  # type: ignore[operator]
    config.write_text('[[quoparts.accounts]]\nusername = "acme"\npassword = "pw"\n')
    with serving("--config", str(config)) as served:
        login = httpx.get(
            served.url + QP, params={"login": "", "username": "acme", "password": "pw"}
        )
        assert login.json()["errorCode"] == "0"


def test_serve_refuses_a_bad_config_file_with_a_clear_message(tmp_path: object) -> None:
    config = tmp_path / "kit.toml"  # type: ignore[operator]
    config.write_text("[quoparts]\ntoken_ttl = 5\n")
    result = serve_refused("--config", str(config))
    assert result.returncode == 2
    assert "[quoparts]: unknown keys ['token_ttl']" in result.stderr


def test_serve_refuses_a_public_address_without_an_admin_token() -> None:
    result = serve_refused("--host", "0.0.0.0")
    assert result.returncode == 2 and "--admin-token" in result.stderr


@pytest.mark.parametrize(
    "args",
    [
        ["serve"],
        ["proxy", "--upstream", "quoparts=http://127.0.0.1:9"],
        ["serve", "--workers", "2", "--store", "REDIS"],
    ],
    ids=["serve", "proxy", "serve-workers"],
)
def test_a_script_calls_the_moment_the_banner_s_admin_line_is_printed(
    args: list[str], request: pytest.FixtureRequest
) -> None:
    """Tools that start serve or proxy wait for the admin line, then call: the port must take
    the connection by then (it was refused, uvicorn listening 75-100 ms after the banner)."""
    if "REDIS" in args:
        args[args.index("REDIS")] = request.getfixturevalue("redis_url")
    command, *options = args
    for _ in range(3):
        with serving(*options, command=command, startup=False) as served:
            assert served.banner[-1].split()[:2] == ["admin", f"{served.url}/__admin"]
            assert httpx.get(f"{served.url}/__admin/health").status_code == 200
