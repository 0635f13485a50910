"""Fixtures: a server, boto3 clients pointed at it, a fresh instance per test.

The end-to-end tests (tests/api) run twice from the same code, as moto's do:
``CONNECTLOCAL_TEST_TRANSPORT=http`` (the default) drives a real ``connectlocal serve`` over
HTTP; ``inprocess`` answers the same clients with ``mock_connect()`` (one per "server", told
apart by endpoint URL). Tests of the process itself (its flags, raw sockets) are marked
``http_only``.
"""

from __future__ import annotations

import itertools
import json
import os
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.config import Config

from connectlocal.dispatch import Dispatcher, HttpRequest
from connectlocal.mock import mock_connect
from connectlocal.service import Service
from connectlocal.store import open_store

from . import pg
from .serverproc import ServerProcess, tmp_db

pytest_plugins = ["pytester"]

_aliases = itertools.count()
_servers = itertools.count()
TRANSPORT = os.environ.get("CONNECTLOCAL_TEST_TRANSPORT", "http")
if TRANSPORT not in ("http", "inprocess"):
    raise RuntimeError(f"CONNECTLOCAL_TEST_TRANSPORT must be http or inprocess: {TRANSPORT}")
# The store the HTTP servers of the API tests keep their data in: a SQLite file each, or
# (``postgresql``) a schema each in a PostgreSQL database of the test run's own.
STORE = os.environ.get("CONNECTLOCAL_TEST_STORE", "sqlite")
if STORE not in ("sqlite", "postgresql"):
    raise RuntimeError(f"CONNECTLOCAL_TEST_STORE must be sqlite or postgresql: {STORE}")


class InProcessServer:
    """The in-process stand-in for a ServerProcess: same ``url``, ``admin()``, ``set_clock()``,
    answered by a mock_connect() that takes only requests to its own URL."""

    _names = itertools.count()

    def __init__(self) -> None:
        self.url = f"http://inprocess-{next(self._names)}.connectlocal.test"
        self.mock = mock_connect(endpoint_url=self.url)

    def start(self) -> InProcessServer:
        self.mock.start()
        return self

    def stop(self) -> None:
        self.mock.stop()

    def admin(self, method: str, path: str, body: Any = None) -> tuple[int, Any]:
        status, data = self.mock.admin(method, path,
                                       b"" if body is None else json.dumps(body).encode())
        return status, json.loads(data)

    def set_clock(self, now: str | None, ticking: bool = False) -> None:
        status, body = self.admin("POST", "clock", {"now": now, "ticking": ticking})
        assert status == 200, body

    def raw(self, method: str, path: str, body: bytes | None,
            headers: dict[str, str]) -> tuple[int, dict[str, str], Any]:
        """A request as bytes, straight to the dispatcher (the HTTP tests use a socket)."""
        target, _, query = path.partition("?")
        response = self.mock.dispatcher(HttpRequest(
            method, target, query, {k.lower(): v for k, v in headers.items()}, body or b""))
        return response.status, dict(response.headers), json.loads(response.body)


def _new_server(request: pytest.FixtureRequest, tmp: pytest.TempPathFactory, name: str) -> Any:
    if TRANSPORT == "inprocess":
        return InProcessServer().start()
    # A 12-digit access key id is its own account (moto's convention, which mock_connect
    # keeps); serve allows it only when asked (tests/api/test_auth.py checks that).
    if STORE == "postgresql":  # a schema of the server's own in the run's database
        database = request.getfixturevalue("pg_database")
        return ServerProcess(f"{database}?schema={name}{next(_servers)}", "--accounts",
                             "*").start()
    return ServerProcess(tmp_db(tmp.mktemp(name)), "--accounts", "*").start()


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "http_only: needs a real server process (its flags, "
                                       "its socket); skipped in the in-process run")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    if TRANSPORT == "inprocess":
        skip = pytest.mark.skip(reason="tests the server process itself (flags, socket); "
                                       "the HTTP run covers it")
        for item in items:
            if "http_only" in item.keywords:
                item.add_marker(skip)


def client_for(url: str, region: str = "us-east-1", key: str = "AKIDEXAMPLE",
               parameter_validation: bool = True) -> Any:
    """A boto3 client of the server at ``url``; without its own parameter validation, it sends
    what botocore would refuse, so the server's validation answers."""
    return boto3.client(
        "connect",
        endpoint_url=url,
        region_name=region,
        aws_access_key_id=key,
        aws_secret_access_key="secret",
        config=Config(retries={"max_attempts": 1}, parameter_validation=parameter_validation),
    )


@pytest.fixture(scope="session")
def pg_database() -> Iterator[str]:
    """A PostgreSQL database of this test run's own (tests/pg.py), dropped at its end."""
    with pg.database() as url:
        yield url


@pytest.fixture(scope="session")
def server(request: pytest.FixtureRequest,
           tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    """One server for the session; tests that move its clock use ``clocked_server``."""
    proc = _new_server(request, tmp_path_factory, "server")
    yield proc
    proc.stop()


@pytest.fixture
def clocked_server(request: pytest.FixtureRequest,
                   tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    """A server of the test's own, whose clock the test may move."""
    proc = _new_server(request, tmp_path_factory, "clocked")
    yield proc
    proc.stop()


@pytest.fixture
def connect(server: ServerProcess) -> Any:
    return client_for(server.url)


def new_instance(client: Any, **overrides: Any) -> dict[str, Any]:
    """Creates an instance and returns its ids and default directory by name."""
    params = {"IdentityManagementType": "CONNECT_MANAGED",
              "InstanceAlias": f"test-{next(_aliases)}-{id(client) % 100000}",
              "InboundCallsEnabled": True, "OutboundCallsEnabled": True, **overrides}
    created = client.create_instance(**params)
    instance_id = created["Id"]
    flows = {f["Name"]: f["Id"] for f in
             client.list_contact_flows(InstanceId=instance_id)["ContactFlowSummaryList"]}
    queues = {q["Name"]: q["Id"] for q in
              client.list_queues(InstanceId=instance_id)["QueueSummaryList"]}
    return {"id": instance_id, "arn": created["Arn"], "flows": flows, "queues": queues}


@pytest.fixture
def instance(connect: Any) -> dict[str, Any]:
    return new_instance(connect)


def new_agent(client: Any, instance: dict[str, Any], username: str = "") -> str:
    """Creates a user with the Agent security profile and the instance's routing profile."""
    security = {p["Name"]: p["Id"] for p in client.list_security_profiles(
        InstanceId=instance["id"])["SecurityProfileSummaryList"]}
    routing = client.list_routing_profiles(
        InstanceId=instance["id"])["RoutingProfileSummaryList"][0]["Id"]
    user_id: str = client.create_user(
        InstanceId=instance["id"], Username=username or f"agent-{next(_aliases)}",
        Password="Passw0rd!", IdentityInfo={"FirstName": "Ada", "LastName": "Agent"},
        SecurityProfileIds=[security["Agent"]], RoutingProfileId=routing)["UserId"]
    return user_id


def implemented_operations() -> list[str]:
    """The model operations connectlocal has a handler for."""
    store = open_store(":memory:")
    try:
        return sorted(Dispatcher(Service(store)).handlers)
    finally:
        store.close()
