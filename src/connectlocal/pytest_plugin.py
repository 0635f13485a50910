"""The pytest plugin (entry point ``pytest11``): fixtures that give each test a fresh Amazon
Connect, in-process or as a real server.

    connect_mock        a started ``mock_connect()`` (its handle: seed, move the clock)
    connect_client      a boto3 ``connect`` client answered by ``connect_mock``
    connectlocal_server a real ``connectlocal serve`` on a free port, emptied for each test
                        (``.url`` for endpoint_url / AWS_ENDPOINT_URL_CONNECT / --endpoint-url)

Loading the plugin imports nothing heavy and patches nothing: each fixture does its own work.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from .mock import mock_connect
    from .testing import ServerProcess


@pytest.fixture
def connect_mock() -> Iterator[mock_connect]:
    from .mock import mock_connect

    with mock_connect() as mock:
        yield mock


@pytest.fixture
def connect_client(connect_mock: mock_connect) -> Any:
    import boto3

    return boto3.client("connect", region_name=os.environ.get("AWS_DEFAULT_REGION") or
                        "us-east-1")


@pytest.fixture(scope="session")
def connectlocal_server_process() -> Iterator[ServerProcess]:
    """One server process for the session, in memory; ``connectlocal_server`` empties it."""
    from .testing import ServerProcess

    with ServerProcess(":memory:") as server:
        yield server


@pytest.fixture
def connectlocal_server(connectlocal_server_process: ServerProcess) -> ServerProcess:
    connectlocal_server_process.reset()
    return connectlocal_server_process
