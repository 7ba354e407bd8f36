"""What the four reference clients share, as a connector's test meets it: a kit session's
credentials are each client's keyword arguments as they are."""

from __future__ import annotations

import anyio

from clients import (
    AsyncKeepItClient,
    AsyncQuoPartsClient,
    AsyncTsDigitalClient,
    AsyncXtraClient,
    KeepItClient,
    QuoPartsClient,
    TsDigitalClient,
    XtraClient,
)
from mockservers.testing import Session
from tests.data import keepit_customer

ROW = {"DES_NOM": "Rossi S.r.l.", "COD_PTA_IVA": "12345678901", "COD_CLI_ERP": "CLI01"}
ITEM = {"item": {"base": {"identifier": {"vatNumber": "01234567890"}}}}
APP = {"app_name": "my-erp", "app_version": "1.0"}


def test_quoparts_clients_take_a_sessions_credentials(mockserver_session: Session) -> None:
    session = mockserver_session
    url, account = session.base_url("quoparts"), session.credentials["quoparts"]
    with QuoPartsClient(url, **account) as sync:
        assert sync.import_customers([ROW])[0].ok

    async def twin() -> None:
        async with AsyncQuoPartsClient(url, **account) as client:
            assert (await client.import_customers([ROW | {"COD_CLI_ERP": "CLI02"}]))[0].ok

    anyio.run(twin)
    session.assert_called(2, operation="importCli", error_code="0")


def test_xtra_clients_take_a_sessions_credentials_and_keep_its_irid(
    mockserver_session: Session,
) -> None:
    """The credentials carry ``irid``, which the constructor refused (a TypeError)."""
    session = mockserver_session
    url, account = session.base_url("xtra"), session.credentials["xtra"]
    form = {"EMail": "anna@example.it", "Surname": "Rossi", "Name": "Anna", "WebReasonID": 13}
    with XtraClient(url, **account) as sync:
        assert sync.irid == account["irid"]
        (own,) = sync.update_identities([{"ID": sync.irid, "City": "Valenza"}])
        assert own.ok and own.id == account["irid"]
        (contact,) = sync.update_identities([form], contact_form=True)  # with the key pair
        assert contact.ok

    async def twin() -> None:
        async with AsyncXtraClient(url, **account) as client:
            assert client.irid == account["irid"]
            (own,) = await client.update_identities([{"ID": client.irid, "City": "Asti"}])
            assert own.ok

    anyio.run(twin)
    session.assert_called(2, operation="updateIdentities", headers={"AccessToken": "***"})
    keyed = {"SyncPublicKey": account["public_key"]}
    session.assert_called(
        1, operation="updateIdentities", query={"contactForm": "true"}, headers=keyed
    )


def test_keepit_clients_take_a_sessions_credentials(mockserver_session: Session) -> None:
    session = mockserver_session
    url, account = session.base_url("keepit"), session.credentials["keepit"]
    with KeepItClient(url, **account) as sync:
        assert sync.insert_customers([keepit_customer("C1")]).code == 200

    async def twin() -> None:
        async with AsyncKeepItClient(url, **account) as client:
            assert (await client.insert_customers([keepit_customer("C2")])).code == 200

    anyio.run(twin)
    session.assert_called(2, operation="insertClient_v3", error_code=200)


def test_tsdigital_clients_take_a_sessions_credentials_and_keep_its_tenant(
    mockserver_session: Session,
) -> None:
    session = mockserver_session
    url, account = session.base_url("tsdigital"), session.credentials["tsdigital"]
    token = session.tsdigital_token()
    with TsDigitalClient(url, token, **APP, **account) as sync:
        assert sync.tenant == account["tenant"]
        first = sync.create_item(ITEM)

    async def twin() -> str:
        async with AsyncTsDigitalClient(url, token, **APP, **account) as client:
            assert client.tenant == account["tenant"]
            return await client.create_item(ITEM)

    second = anyio.run(twin)
    items = session.state("tsdigital")["tenants"][account["tenant"]]["items"]
    assert {first, second} <= set(items)
