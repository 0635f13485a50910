"""Fixtures: a real server over HTTP, boto3 clients pointed at it, a fresh instance per test."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.config import Config

from connectlocal.dispatch import Dispatcher
from connectlocal.service import Service
from connectlocal.store import open_store

from .serverproc import ServerProcess, tmp_db

_aliases = itertools.count()


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
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    """One server for the session; tests that move its clock use ``clocked_server``."""
    proc = ServerProcess(tmp_db(tmp_path_factory.mktemp("server"))).start()
    yield proc
    proc.stop()


@pytest.fixture
def clocked_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    """A server of the test's own, whose clock the test may move."""
    proc = ServerProcess(tmp_db(tmp_path_factory.mktemp("clocked"))).start()
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
