"""connectlocal: Amazon Connect's contact API, locally, faithful to the wire."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"
__all__ = ["__version__", "mock_connect"]

if TYPE_CHECKING:
    from .mock import mock_connect


def __getattr__(name: str) -> Any:
    # Imported on first use: ``import connectlocal`` stays cheap and patches nothing.
    if name == "mock_connect":
        from .mock import mock_connect

        return mock_connect
    raise AttributeError(f"module 'connectlocal' has no attribute {name!r}")
