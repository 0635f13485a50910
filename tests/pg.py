"""The PostgreSQL the tests use: a database of the test run's own on the machine's server,
created at the start and dropped at the end (``CONNECTLOCAL_TEST_PG`` names the server)."""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from contextlib import contextmanager

import pytest

SERVER = os.environ.get("CONNECTLOCAL_TEST_PG", "postgresql://postgres@127.0.0.1:5432")
START = "pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start"


def unreachable(reason: str) -> None:
    """Fails in CI (CI=true), where PostgreSQL is part of the machine; skips elsewhere."""
    message = (f"PostgreSQL is not reachable at {SERVER} ({reason}); start it with `{START}` "
               "or point CONNECTLOCAL_TEST_PG at one")
    if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
        pytest.fail(message, pytrace=False)
    pytest.skip(message)


@contextmanager
def database() -> Iterator[str]:
    """The URL of a new database with a random name, dropped when the block ends."""
    try:
        import psycopg
    except ImportError:
        unreachable("psycopg is not installed: pip install 'connectlocal[postgresql]'")
        raise
    name = f"connectlocal_test_{secrets.token_hex(6)}"
    try:
        with psycopg.connect(f"{SERVER}/postgres", autocommit=True, connect_timeout=3) as db:
            db.execute(f'CREATE DATABASE "{name}"')
    except psycopg.OperationalError as exc:
        unreachable(" ".join(str(exc).split()))
    try:
        yield f"{SERVER}/{name}"
    finally:
        with psycopg.connect(f"{SERVER}/postgres", autocommit=True, connect_timeout=3) as db:
            db.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
