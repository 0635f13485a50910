"""No well-formed request produces a 500: inputs generated from the model's own shapes for every
implemented operation, with real instance, contact and directory ids mixed in, so requests get
past validation and into the handlers. Serialized by botocore, answered by the dispatcher."""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

import pytest
from botocore.model import OperationModel, Shape
from botocore.serialize import create_serializer
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from connectlocal.dispatch import Dispatcher, HttpRequest
from connectlocal.service import Service
from connectlocal.spec import service_model
from connectlocal.store import open_store

from ..conftest import implemented_operations

MODEL = service_model()
# Examples per operation; CONNECTLOCAL_FUZZ_EXAMPLES=400 for a longer search (no 500 found at
# 400 on 2026-11-22).
EXAMPLES = int(os.environ.get("CONNECTLOCAL_FUZZ_EXAMPLES", "60"))
SERIALIZER = create_serializer("rest-json", include_validation=False)


class World:
    """An instance with its default directory, a user and a few contacts, made in-process."""

    def __init__(self) -> None:
        self.service = Service(open_store(":memory:"))
        self.dispatcher = Dispatcher(self.service)
        created = self.call("CreateInstance", IdentityManagementType="CONNECT_MANAGED",
                            InstanceAlias="fuzz", InboundCallsEnabled=True,
                            OutboundCallsEnabled=True)
        self.instance = created["Id"]
        flows = self.call("ListContactFlows", InstanceId=self.instance)
        self.flows = [f["Id"] for f in flows["ContactFlowSummaryList"]]
        queues = self.call("ListQueues", InstanceId=self.instance)
        self.queues = [q["Id"] for q in queues["QueueSummaryList"]]
        security = self.call("ListSecurityProfiles", InstanceId=self.instance)
        routing = self.call("ListRoutingProfiles", InstanceId=self.instance)
        hours = self.call("ListHoursOfOperations", InstanceId=self.instance)
        self.directory = {
            "SecurityProfile": [p["Id"] for p in security["SecurityProfileSummaryList"]],
            "RoutingProfile": [p["Id"] for p in routing["RoutingProfileSummaryList"]],
            "HoursOfOperation": [h["Id"] for h in hours["HoursOfOperationSummaryList"]],
        }
        self.user = self.call(
            "CreateUser", InstanceId=self.instance, Username="fuzzer", Password="Passw0rd!",
            IdentityInfo={"FirstName": "F", "LastName": "Z"},
            SecurityProfileIds=[security["SecurityProfileSummaryList"][0]["Id"]],
            RoutingProfileId=routing["RoutingProfileSummaryList"][0]["Id"])["UserId"]
        default_inbound = next(f["Id"] for f in flows["ContactFlowSummaryList"]
                               if f["Name"] == "Default inbound")
        self.contacts = [self.call("StartTaskContact", InstanceId=self.instance, Name=f"t{i}",
                                   ContactFlowId=default_inbound)["ContactId"]
                         for i in range(3)]

    def request(self, operation: str, params: dict[str, Any]) -> tuple[int, Any]:
        op = MODEL.operation_model(operation)
        built = SERIALIZER.serialize_to_request(params, op)
        url = urlsplit(built["url_path"])
        body = built["body"] if isinstance(built["body"], bytes) else built["body"].encode()
        query = "&".join(f"{k}={v}" for k, v in _query(built["query_string"]))
        response = self.dispatcher(HttpRequest(
            method=built["method"], path=url.path, query=query,
            headers={k.lower(): str(v) for k, v in built["headers"].items()}, body=body))
        return response.status, response.body

    def call(self, operation: str, **params: Any) -> Any:
        import orjson

        status, body = self.request(operation, params)
        assert status == 200, (operation, body)
        return orjson.loads(body) if body else {}


def _query(query: Any) -> list[tuple[str, str]]:
    from urllib.parse import quote

    pairs: list[tuple[str, str]] = []
    for key, value in (query or {}).items():
        for item in value if isinstance(value, list) else [value]:
            pairs.append((quote(key, safe=""), quote(str(item), safe="")))
    return pairs


@pytest.fixture(scope="module")
def world() -> Iterator[World]:
    w = World()
    yield w
    w.service.store.close()


def _strings(shape: Shape, name: str, w: World) -> st.SearchStrategy[str]:
    if shape.enum:
        return st.sampled_from(shape.enum)
    meta = shape.metadata
    low, high = meta.get("min", 0), min(meta.get("max", 40), 40)
    plain = st.one_of(
        st.text(alphabet="abcdefghijklmnopqrstuvwxyzABC0123456789-_.", min_size=low,
                max_size=max(low, high)),
        st.text(min_size=low, max_size=max(low, high)))
    known: list[str] = []
    if "Instance" in name:
        known.append(w.instance)
    if "Contact" in name and "Flow" not in name:
        known += w.contacts
    if "Flow" in name:
        known += w.flows
    if "Queue" in name:
        known += w.queues
    if "User" in name or "Agent" in name:
        known.append(w.user)
    for kind, ids in w.directory.items():
        if kind in name:
            known += ids
    if "PhoneNumber" in name:
        known += ["+15555550100", "+442071234567"]
    if "Email" in name:
        known.append("someone@example.com")
    if name in ("resourceArn",):
        known.append(f"arn:aws:connect:us-east-1:123456789012:instance/{w.instance}")
    if not known:
        return plain
    # Mostly ids that exist, so requests get past the lookups and into the logic.
    return st.integers(0, 9).flatmap(lambda n: st.sampled_from(known) if n < 8 else plain)


def _values(shape: Shape, name: str, w: World, depth: int = 0) -> st.SearchStrategy[Any]:
    kind = shape.type_name
    if kind == "structure":
        if depth > 4:
            return st.just({})
        required = {m: _values(s, m, w, depth + 1) for m, s in shape.members.items()
                    if m in shape.required_members}
        optional = {m: _values(s, m, w, depth + 1) for m, s in shape.members.items()
                    if m not in shape.required_members}
        return st.fixed_dictionaries(required, optional=optional)
    if kind == "list":
        size = min(shape.metadata.get("max", 3), 3)
        return st.lists(_values(shape.member, name, w, depth + 1),  # type: ignore[attr-defined]
                        min_size=min(shape.metadata.get("min", 0), size), max_size=size)
    if kind == "map":
        size = min(shape.metadata.get("max", 3), 3)
        return st.dictionaries(_strings(shape.key, "key", w),  # type: ignore[attr-defined]
                               _values(shape.value, name, w, depth + 1),  # type: ignore[attr-defined]
                               max_size=size)
    if kind == "string":
        return _strings(shape, name, w)
    if kind in ("integer", "long"):
        return st.integers(min_value=int(shape.metadata.get("min", -(2**31))),
                           max_value=int(min(shape.metadata.get("max", 2**31 - 1), 2**53)))
    if kind in ("float", "double"):
        return st.floats(allow_nan=False, allow_infinity=False)
    if kind == "boolean":
        return st.booleans()
    if kind == "timestamp":
        return st.datetimes(min_value=datetime(2020, 1, 1), max_value=datetime(2035, 1, 1),
                            timezones=st.just(UTC))
    return st.none()


@pytest.mark.parametrize("operation", implemented_operations())
def test_well_formed_requests_never_get_a_500(world: World, operation: str) -> None:
    if operation == "DeleteInstance":  # it would take the shared instance with it
        world = World()
    op: OperationModel = MODEL.operation_model(operation)
    strategy = _values(op.input_shape, "", world) if op.input_shape else st.just({})

    @settings(max_examples=EXAMPLES, deadline=None, database=None,
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
    @given(strategy)
    def check(params: dict[str, Any]) -> None:
        status, body = world.request(operation, params)
        assert status < 500, (operation, params, body)

    check()
