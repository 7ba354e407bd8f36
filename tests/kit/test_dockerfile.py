"""The image's ``HEALTHCHECK`` (docs/deploy.md, "Containers"), run as Docker runs it: the line
read from the ``Dockerfile``, by ``/bin/sh -c``, against a real ``serve``.

CI has no Docker engine, so the line was never run: it read ``os.environ[...]`` (a token
given by the config file or ``--admin-token`` made it a ``KeyError``, the container unhealthy
for ever) and plain ``http://127.0.0.1:8000`` (a kit serving HTTPS was never healthy).
"""

from __future__ import annotations

import contextlib
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests import redis_server
from tests.servers import free_port, serving

DOCKERFILE = Path(__file__).parents[2] / "Dockerfile"
TOKEN = "S3cret-admin-token"


def healthcheck_command() -> str:
    """The command of the ``HEALTHCHECK`` instruction, its lines joined as Docker joins them."""
    instructions = re.sub(r"\\\n", "", DOCKERFILE.read_text()).splitlines()
    (line,) = [line for line in instructions if line.startswith("HEALTHCHECK ")]
    return line.partition(" CMD ")[2]


def probe(url: str | None, token: str | None = None) -> subprocess.CompletedProcess[str]:
    """The health check as Docker runs it in the container: ``python`` is the image's (here
    the tests' interpreter)."""
    env = {"PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}
    if url is not None:
        env["MOCKSERVERS_HEALTH_URL"] = f"{url}/__admin/health"
    if token is not None:
        env["MOCKSERVERS_ADMIN_TOKEN"] = token
    command = ["/bin/sh", "-c", healthcheck_command()]
    return subprocess.run(command, env=env, capture_output=True, text=True, timeout=30)


@pytest.fixture
def no_token_in_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("MOCKSERVERS_ADMIN_TOKEN", raising=False)


def test_the_command_serves_where_the_check_looks_by_default() -> None:
    """Without ``MOCKSERVERS_HEALTH_URL``, the check asks the port ``CMD`` serves."""
    text = DOCKERFILE.read_text()
    assert '"--port", "8000"]' in text
    assert "'http://127.0.0.1:8000/__admin/health'" in healthcheck_command()


def test_healthy_with_the_token_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MOCKSERVERS_ADMIN_TOKEN", TOKEN)  # serve reads it, as in the image
    with serving() as served:
        assert probe(served.url, TOKEN).returncode == 0
        wrong = probe(served.url, "another-token")  # the kit's 401: a token it does not take
    assert wrong.returncode == 1


def test_healthy_with_the_token_from_the_config_file(tmp_path: Path, no_token_in_env: None) -> None:
    """The probe sends no token and the kit answers 401: the process answers (it was a
    ``KeyError`` before a call was made)."""
    config = tmp_path / "kit.toml"
    config.write_text(f'[kit]\nadmin_token = "{TOKEN}"\n')
    with serving("--config", str(config)) as served:
        done = probe(served.url)
    assert done.returncode == 0, done.stderr
    assert "KeyError" not in done.stderr


def test_healthy_without_any_token(no_token_in_env: None) -> None:
    with serving() as served:
        assert probe(served.url).returncode == 0


def test_healthy_over_https(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MOCKSERVERS_ADMIN_TOKEN", TOKEN)
    with serving("--tls-self-signed", str(tmp_path / "tls"), scheme="https") as served:
        done = probe(served.url, TOKEN)
    assert done.returncode == 0, done.stderr


def test_unhealthy_when_nothing_answers() -> None:
    assert probe(f"http://127.0.0.1:{free_port()}", TOKEN).returncode == 1


def test_unhealthy_while_its_redis_is_down(monkeypatch: pytest.MonkeyPatch) -> None:
    if not redis_server.available():
        pytest.skip("redis-server is not installed (make test installs it)")
    monkeypatch.setenv("MOCKSERVERS_ADMIN_TOKEN", TOKEN)
    with contextlib.ExitStack() as redis:
        url = redis.enter_context(redis_server.redis_server())
        with serving("--store", url) as served:
            assert probe(served.url, TOKEN).returncode == 0
            redis.close()  # Redis stops; the fake goes on serving
            assert probe(served.url, TOKEN).returncode == 1  # the health's 503


DEPLOY = DOCKERFILE.parent / "docs" / "deploy.md"


def _docker_runs(text: str) -> list[str]:
    """The ``docker run`` commands of a text, continued lines joined (a comment's too)."""
    uncommented = re.sub(r"(?m)^#\s*", "", text)
    joined = re.sub(r"\\\n\s*", " ", uncommented)
    return [line.strip() for line in joined.splitlines() if line.strip().startswith("docker run")]


@pytest.mark.parametrize("path", [DOCKERFILE, DEPLOY], ids=["Dockerfile", "deploy.md"])
def test_replicas_reach_redis_by_its_container_s_name_on_a_network_of_their_own(
    path: Path,
) -> None:
    """``MOCKSERVERS_STORE=redis://redis:6379/0`` was shown alone: on Docker's default network
    no container name resolves, and ``serve`` exited 2, "Name or service not known"."""
    text = path.read_text()
    runs = _docker_runs(text)
    sharing = [run for run in runs if "MOCKSERVERS_STORE=redis://redis:" in run]
    assert sharing
    for run in sharing:
        network = re.search(r"--network (\S+)", run)
        assert network is not None, run
        assert f"docker network create {network[1]}" in text
        assert any(f"--network {network[1]} --name redis " in other for other in runs)


def test_the_self_signed_directory_is_given_to_the_image_s_user() -> None:
    """``--tls-self-signed DIR`` writes DIR on the first start, as the image's user: WORKDIR
    ``/app`` is root's, and a mounted directory is its owner's."""
    uid = re.search(r"useradd .*--uid (\d+)", DOCKERFILE.read_text())
    assert uid is not None
    deploy = DEPLOY.read_text()
    assert f"sudo chown {uid[1]} tls" in deploy
    assert '-v "$PWD/tls:/tls"' in deploy and "--tls-self-signed /tls" in deploy
