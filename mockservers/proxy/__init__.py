"""The kit in front of a real vendor: ``mockservers proxy`` (forward, check, journal, shadow,
record) and ``mockservers replay`` (a recording sent again, the answers compared)."""

from mockservers.proxy.app import ProxyApp, create_proxy_app

__all__ = ["ProxyApp", "create_proxy_app"]
