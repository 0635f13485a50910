"""The server process the end-to-end tests drive (``connectlocal.testing``), and its data."""

from __future__ import annotations

from pathlib import Path

from connectlocal.testing import ServerProcess

__all__ = ["ServerProcess", "tmp_db"]


def tmp_db(tmp: Path) -> str:
    return str(tmp / "connect.db")
