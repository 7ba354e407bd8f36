"""The names that say a value is a secret, and the mask that stands for one.

A query parameter, a header, a JSON field, a form's field, a URL's parameter...: a value under
one of these names, in any case, is masked (``***``) wherever the kit shows, logs or records it
(:mod:`mockservers.core.secrets`, :mod:`mockservers.core.urlmasks`), and learned to be blotted
out wherever else it appears (:mod:`mockservers.core.learned`).
"""

from __future__ import annotations

MASK = "***"
"""What stands for a secret's value. An empty value (like a JSON ``null``) is shown as it is:
there is nothing to hide in it, and ``***`` would show a value that was never sent (``password:
*** should be non-empty``, ``token=***`` beside ``the token is missing``)."""
SECRET_KEYS = frozenset(
    k.lower()
    for k in (
        "password",
        "ConfirmPassword",
        "token",
        "TOKEN",
        "AccessToken",
        "RefreshToken",
        "SyncSecretKey",
        "secret_key",
        "authorization",
        "COD_PWD",
        "FileBase64",
        "admin-token",
        "x-admin-token",
        # OAuth 2 and OpenID Connect's own spellings: a sandbox behind the proxy may speak
        # them (a token endpoint's form and answer, a query, an implicit flow's fragment).
        "access_token",
        "refresh_token",
        "id_token",
        "client_secret",
    )
)


_SECRET_HEADERS = frozenset({"cookie", "set-cookie", "proxy-authorization"})


def is_secret(key: str) -> bool:
    return key.lower() in SECRET_KEYS


def secret_parameter(name: str) -> bool:
    """Whether a query's or a form's parameter (its name decoded) is a secret: by its name as
    sent, or as PHP reads it into ``$_GET`` (QuoParts): ``password[]``, `` password`` and
    ``password[x]`` are ``password``, ``client.secret`` is ``client_secret``."""
    return is_secret(name) or is_secret(php_name(name))


def php_name(name: str) -> str:
    """A parameter's name as PHP registers it: leading spaces dropped, ``.`` and `` `` read as
    ``_``, and an index (``[...]``, up to its ``]``) ending the name; a ``[`` never closed is
    read as ``_``, the rest kept as it is."""
    name = name.lstrip(" ")
    base, bracket, rest = name.partition("[")
    base = base.replace(".", "_").replace(" ", "_")
    if not bracket or "]" in rest:
        return base
    return f"{base}_{rest}"


def secret_header(name: str) -> bool:
    """Whether a header's value is a secret (the secret names, and cookies)."""
    return is_secret(name) or name.lower() in _SECRET_HEADERS
