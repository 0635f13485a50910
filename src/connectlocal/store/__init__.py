"""Persistence behind one interface (``base.Store``): SQLite embedded, or PostgreSQL."""

from __future__ import annotations

from .base import Store, StoreError, StoreUnavailable

__all__ = ["Store", "StoreError", "StoreUnavailable", "open_store"]


def open_store(url: str) -> Store:
    """A store from a location: a SQLite file path, ``:memory:``, ``sqlite:///path``, or
    ``postgresql://user@host:port/db`` (with ``?schema=name`` to keep it in a schema of its
    own; needs the ``connectlocal[postgresql]`` extra). Raises ``StoreError`` for a location
    that is no connectlocal store, ``StoreUnavailable`` for a database that cannot be reached."""
    if url.startswith(("postgresql://", "postgres://")):
        try:
            from .postgres import PostgresStore
        except ImportError as exc:
            raise StoreError(
                f"a postgresql:// store needs psycopg 3 and its pool ({exc.name} is not "
                "installed): pip install 'connectlocal[postgresql]'") from None
        return PostgresStore(url)
    from .sqlite import SqliteStore

    path = url.removeprefix("sqlite://") if url.startswith("sqlite://") else url
    return SqliteStore(path)
