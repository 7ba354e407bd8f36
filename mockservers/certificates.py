"""What a served certificate names and who issued it: what ``serve`` checks of
``--tls-self-signed``'s kept files before it reuses them, and what its banner says of the host
names a client may reach the fake by (the names a client verifies the certificate against).
"""

from __future__ import annotations

import ipaddress
from datetime import UTC, datetime
from pathlib import Path

from cryptography import x509
from cryptography.exceptions import InvalidSignature

LOCAL_NAMES = ("localhost", "127.0.0.1")
"""What the local CA's certificate must name: the host names clients on the machine use."""


def load(path: Path) -> x509.Certificate:
    """The first certificate of a PEM file (``ValueError`` naming the file if there is none)."""
    try:
        return x509.load_pem_x509_certificate(path.read_bytes())
    except ValueError:
        raise ValueError(f"{path} holds no PEM certificate") from None


def names(certificate: x509.Certificate) -> list[str]:
    """The host names and addresses the certificate is for (its subjectAltName, which clients
    verify a host against; none without one), as a client writes them."""
    try:
        alternative = certificate.extensions.get_extension_for_class(x509.SubjectAlternativeName)
    except x509.ExtensionNotFound:
        return []
    dns = alternative.value.get_values_for_type(x509.DNSName)
    addresses = alternative.value.get_values_for_type(x509.IPAddress)
    return [*dns, *(str(address) for address in addresses)]


def verifies(named: list[str], host: str) -> bool:
    """Whether a client reaching ``host`` verifies a certificate naming ``named``: an address
    the same address, a name the same name in any case or a ``*.`` name one label above."""
    try:
        return str(ipaddress.ip_address(host)) in named
    except ValueError:  # a name
        host = host.lower().rstrip(".")
    parent = host.partition(".")[2]
    accepted = {host, f"*.{parent}"} if parent else {host}
    return any(name.lower() in accepted for name in named)


def reuse_problem(ca_path: Path, cert_path: Path) -> str | None:
    """Why the local CA's kept files would fail every client (None: they will do): the
    certificate not issued by the CA, not for ``LOCAL_NAMES``, or either expired."""
    authority, certificate = load(ca_path), load(cert_path)
    try:
        certificate.verify_directly_issued_by(authority)
    except (ValueError, TypeError, InvalidSignature):  # another CA's, or another key's
        return f"{cert_path} was not issued by {ca_path}"
    named = names(certificate)
    missing = [name for name in LOCAL_NAMES if not verifies(named, name)]
    if missing:
        shown = ", ".join(named) or "no host"
        return f"{cert_path} does not name {' and '.join(missing)} (it names {shown})"
    now = datetime.now(UTC)
    for path, held in ((ca_path, authority), (cert_path, certificate)):
        if held.not_valid_after_utc <= now:
            return f"{path} expired on {held.not_valid_after_utc:%Y-%m-%d}"
    return None
