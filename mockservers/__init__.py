"""mockservers: stateful fakes and a contract-testing kit for XTRA/XOX, TS Digital, 4WS.KeepIT
and QuoParts. ``create_app()`` gives the whole kit as one ASGI app."""

from mockservers.app import create_app
from mockservers.config import Config

__version__ = "0.1.0"
__all__ = ["Config", "__version__", "create_app"]
