"""Persistence behind one interface (``base.Store``); SQLite embedded, more to follow."""

from __future__ import annotations

from .base import Store, StoreError

__all__ = ["Store", "StoreError", "open_store"]


def open_store(url: str) -> Store:
    """A store from a location: a SQLite file path, ``:memory:``, or ``sqlite:///path``.
    Raises ``StoreError`` for a location that is no connectlocal store."""
    from .sqlite import SqliteStore

    path = url.removeprefix("sqlite://") if url.startswith("sqlite://") else url
    return SqliteStore(path)
