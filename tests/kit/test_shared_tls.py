"""What a test's clients of a plain http kit cost: no TLS context of their own.

httpx builds a TLS context for every client, loading certifi's CA bundle (about 10 ms of CPU):
a suite's ``mockserver_session`` spent 90 % of its time there, and each reference client as
much again, for clients that only ever speak plain http to 127.0.0.1.
"""

from __future__ import annotations

import ssl
from collections.abc import Iterator
from unittest import mock

import anyio
import httpx
import pytest

import clients.tls
from clients.quoparts import AsyncQuoPartsClient, QuoPartsClient
from clients.tls import shared_context, verify_for
from mockservers.testing import MockServer
from mockservers.testing.perprocess import like


@pytest.fixture
def contexts_built(monkeypatch: pytest.MonkeyPatch) -> Iterator[mock.Mock]:
    """Every TLS context built with CAs loaded (httpx's default, and any ``SSL_CERT_FILE``
    one), counted from a process that has built none yet for its plain http clients."""
    monkeypatch.setattr(clients.tls, "_shared", None)
    counted = mock.Mock(wraps=ssl.create_default_context)
    with mock.patch("ssl.create_default_context", counted):
        yield counted


def test_sessions_and_clients_of_a_plain_http_kit_share_one_tls_context(
    mockserver: MockServer, contexts_built: mock.Mock
) -> None:
    for _ in range(10):
        with mockserver.session() as session:
            account = session.credentials["quoparts"]
            with QuoPartsClient(session.base_url("quoparts"), **account) as client:
                client.login()
            session.assert_called(1, operation="login")

    async def twins() -> None:
        for _ in range(10):
            async with mockserver.async_session() as session:
                account = session.credentials["quoparts"]
                url = session.base_url("quoparts")
                async with AsyncQuoPartsClient(url, **account) as client:
                    await client.login()
                await session.assert_called(1, operation="login")

    anyio.run(twins)
    given = httpx.Client(base_url=mockserver.url, verify=False)  # builds no CA-loaded context
    with like(given) as remade:  # as a forked process's client is made
        assert remade.get(f"{mockserver.url}/__admin/clock").status_code == 200
    assert contexts_built.call_count == 1  # 41 before: one per client


def test_a_client_that_may_speak_tls_builds_its_own_context_as_httpx_does(
    contexts_built: mock.Mock,
) -> None:
    """Verification stays httpx's: https, a client certificate or a ``verify`` of one's own
    are never given the shared context (the https reference clients still refuse a CA they do
    not know: test_reference_clients)."""
    own = ssl.create_default_context()
    assert verify_for("https://sandbox.example") is True
    assert verify_for("HTTPS://sandbox.example") is True
    assert verify_for("http://127.0.0.1:1", cert="client.pem") is True
    assert verify_for("http://127.0.0.1:1", own) is own
    assert verify_for("http://127.0.0.1:1", False) is False
    assert verify_for("HTTP://127.0.0.1:1") is shared_context()
    with QuoPartsClient("https://sandbox.example", "u", "p"):
        pass
    assert contexts_built.call_count == 3  # own, the shared one, the https client's
