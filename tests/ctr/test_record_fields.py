"""CTRs carry every field a real contact record carries: the shared sample's keys, at every
nesting level, are in what connectlocal streams and exports for the same kind of contact (a
voice call answered by an agent, held, wrapped up), with the durations the data model
defines; and a consumer written the way Salesforce's CTR adapter is (indexing the keys, no
``.get``) reads them all."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from connectlocal.ctr import parse_contact, record

from ..conftest import client_for, new_agent, new_instance
from ..serverproc import ServerProcess
from .test_import_export import SAMPLES, connectlocal

START = datetime(2026, 11, 20, 10, 0, tzinfo=UTC)
needs_samples = pytest.mark.skipif(
    SAMPLES is None, reason="the shared CTR samples (shared/ctr-samples beside the checkout, "
                            "or CONNECTLOCAL_SHARED) are not on this machine")


def _sample() -> dict[str, Any]:
    assert SAMPLES is not None
    records = json.loads((SAMPLES / "call-center-analytics-duplicated.json").read_text())
    newest: dict[str, Any] = max(records, key=lambda r: r["LastUpdateTimestamp"])
    return newest


CALLER_DATA = frozenset({"Attributes"})  # keys of the contact's own, not of the data model


def _missing(sample: Any, ours: Any, path: str = "") -> list[str]:
    """The key paths the sample has that ``ours`` lacks, walking every object both have (a
    list: its first items), except the caller's attribute maps."""
    if isinstance(sample, list) and isinstance(ours, list) and sample and ours:
        return _missing(sample[0], ours[0], f"{path}[0]")
    if not isinstance(sample, dict) or not isinstance(ours, dict):
        return []
    gone = [f"{path}{key}" for key in sample if key not in ours]
    for key, value in sample.items():
        if key in ours and key not in CALLER_DATA:
            gone += _missing(value, ours[key], f"{path}{key}.")
    return gone


def salesforce_style(ctr: dict[str, Any]) -> dict[str, Any]:
    """Reads a CTR the way Salesforce's published CTR sync Lambda does: every key indexed,
    so a missing one is a KeyError."""
    row: dict[str, Any] = {"AWSAccountId": ctr["AWSAccountId"]}
    if ctr["Agent"]:
        agent = ctr["Agent"]
        for key in ("AfterContactWorkDuration", "AfterContactWorkEndTimestamp",
                    "AfterContactWorkStartTimestamp", "ConnectedToAgentTimestamp",
                    "AgentInteractionDuration", "CustomerHoldDuration", "HierarchyGroups",
                    "LongestHoldDuration", "NumberOfHolds", "Username"):
            row[f"Agent{key}"] = agent[key]
        if agent["RoutingProfile"]:
            row["RoutingProfileARN"] = agent["RoutingProfile"]["ARN"]
            row["RoutingProfileName"] = agent["RoutingProfile"]["Name"]
    for key in ("AgentConnectionAttempts", "Attributes", "Channel", "ConnectedToSystemTimestamp",
                "InitiationTimestamp", "InitialContactId", "InitiationMethod", "InstanceARN",
                "LastUpdateTimestamp", "NextContactId", "PreviousContactId", "DisconnectReason",
                "DisconnectTimestamp", "ContactId"):
        row[key] = ctr[key]
    if ctr["CustomerEndpoint"]:
        row["CustomerEndpointAddress"] = ctr["CustomerEndpoint"]["Address"]
    if ctr["ContactDetails"]:
        row["ContactDetails"] = json.dumps(ctr["ContactDetails"])
    if ctr["Queue"]:
        for key in ("ARN", "DequeueTimestamp", "Duration", "EnqueueTimestamp", "Name"):
            row[f"Queue{key}"] = ctr["Queue"][key]
    if ctr["Recording"]:
        for key in ("Location", "Status", "DeletionReason"):
            row[f"Recording{key}"] = ctr["Recording"][key]
    if ctr["References"]:
        row["References"] = json.dumps(ctr["References"])
    if ctr["SystemEndpoint"]:
        row["SystemEndpointAddress"] = ctr["SystemEndpoint"]["Address"]
    if ctr["TransferredToEndpoint"]:
        row["TransferredToEndpoint"] = ctr["TransferredToEndpoint"]["Address"]
    if ctr["TransferCompletedTimestamp"]:
        row["TransferCompletedTimestamp"] = ctr["TransferCompletedTimestamp"]
    return row


def _at(seconds: float) -> str:
    return (START + timedelta(seconds=seconds)).isoformat().replace("+00:00", "Z")


def _event(server: ServerProcess, **body: Any) -> dict[str, Any]:
    status, answer = server.admin("POST", "events", body)
    assert status == 200, answer
    result: dict[str, Any] = answer
    return result


def _answered_call(server: ServerProcess) -> tuple[dict[str, Any], str, str]:
    """A call queued 10 s after it arrives, ringing an agent at 100 s, answered at 106 s,
    held twice (30 s and 50 s), hung up at 406 s, wrapped up until 420 s."""
    client = client_for(server.url)
    instance = new_instance(client)
    agent = new_agent(client, instance, username="jane.agent")
    contact = _event(server, event="arrive", instance_id=instance["id"], channel="VOICE",
                     customer="+15555550111", system="+18005550100", queued_after=10,
                     at=_at(0))["ContactId"]
    common = {"instance_id": instance["id"], "contact_id": contact}
    _event(server, event="ring", agent_id=agent, at=_at(100), **common)
    _event(server, event="accept", agent_id=agent, at=_at(106), **common)
    _event(server, event="hold", seconds=30, **common)
    _event(server, event="hold", seconds=50, **common)
    _event(server, event="disconnect", at=_at(406), **common)
    _event(server, event="after_contact_work", at=_at(406), end=_at(420), **common)
    return instance, agent, contact


@pytest.mark.http_only
@needs_samples
def test_streamed_and_exported_records_have_every_key_of_the_sample(tmp_path: Path) -> None:
    stream = tmp_path / "ctr.jsonl"
    data = str(tmp_path / "c.db")
    with ServerProcess(data, "--ctr-file", str(stream), "--clock", _at(0)) as server:
        instance, agent, contact = _answered_call(server)
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and (
                not stream.exists() or len(stream.read_text().splitlines()) < 2):
            time.sleep(0.1)
        profile = client_for(server.url).describe_user(
            InstanceId=instance["id"], UserId=agent)["User"]["RoutingProfileId"]
    streamed = json.loads(stream.read_text().splitlines()[-1])  # after the wrap-up
    exported_file = tmp_path / "out.jsonl"
    done = connectlocal("export", "--data", data, "--instance-id", instance["id"],
                        "--output", str(exported_file))
    assert done.returncode == 0, done.stderr
    (exported,) = [json.loads(line) for line in exported_file.read_text().splitlines()]
    sample = _sample()
    for ours in (streamed, exported):
        assert ours["ContactId"] == contact
        assert _missing(sample, ours) == []
        assert ours["AgentConnectionAttempts"] == 1
        assert ours["Queue"]["EnqueueTimestamp"] == "2026-11-20T10:00:10.000Z"
        assert ours["Queue"]["DequeueTimestamp"] == "2026-11-20T10:01:46.000Z"
        assert ours["Queue"]["Duration"] == 96
        assert ours["Agent"]["NumberOfHolds"] == 2
        assert ours["Agent"]["CustomerHoldDuration"] == 80
        assert ours["Agent"]["LongestHoldDuration"] == 50
        assert ours["Agent"]["AgentInteractionDuration"] == 300 - 80
        assert ours["Agent"]["AfterContactWorkDuration"] == 14
        assert ours["Agent"]["Username"] == "jane.agent"
        assert ours["Agent"]["RoutingProfile"]["ARN"].endswith(f"/routing-profile/{profile}")
        assert ours["Agent"]["RoutingProfile"]["Name"]
        assert ours["TransferredToEndpoint"] is None
        assert ours["TransferCompletedTimestamp"] is None
        assert ours["Recording"] is None and ours["VoiceIdResult"] is None
        assert ours["MediaStreams"] == [{"Type": "AUDIO"}]
        assert ours["ContactDetails"] == {}
        row = salesforce_style(ours)
        assert row["QueueDuration"] == 96 and row["AgentNumberOfHolds"] == 2
    assert streamed == exported


@pytest.mark.http_only
def test_a_task_nobody_answered_reads_with_zeroes_and_nulls(tmp_path: Path) -> None:
    stream = tmp_path / "ctr.jsonl"
    with ServerProcess(str(tmp_path / "t.db"), "--ctr-file", str(stream)) as server:
        client = client_for(server.url)
        instance = new_instance(client)
        task = client.start_task_contact(
            InstanceId=instance["id"], Name="Call back Mr Smith",
            ContactFlowId=instance["flows"]["Default inbound"])["ContactId"]
        client.stop_contact(InstanceId=instance["id"], ContactId=task)
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and (not stream.exists() or not stream.read_text()):
            time.sleep(0.1)
    (line,) = stream.read_text().splitlines()
    ctr = json.loads(line)
    row = salesforce_style(ctr)  # no KeyError
    assert row["AgentConnectionAttempts"] == 0 and ctr["Agent"] is None
    assert ctr["MediaStreams"] == [] and ctr["Recording"] is None
    queue = ctr["Queue"]
    assert queue["DequeueTimestamp"] == ctr["DisconnectTimestamp"]  # left when it ended
    assert queue["Duration"] == int((datetime.fromisoformat(ctr["DisconnectTimestamp"])
                                     - datetime.fromisoformat(queue["EnqueueTimestamp"]))
                                    .total_seconds())


@needs_samples
def test_the_sample_maps_back_to_itself() -> None:
    """The sample imported and written out again: every key it has, and the durations the
    data model defines come out as the real record has them (Queue.Duration 346 s from
    enqueue to the agent; AgentInteractionDuration 239 s: connected until after-contact work
    less 221 s on hold)."""
    sample = _sample()
    imported, contact = parse_contact(sample)
    assert imported.queue is not None and imported.agent is not None
    ours = record(contact, imported.staged.attributes or {}, imported.scope.account,
                  imported.queue, imported.agent, imported.routing_profile)
    assert _missing(sample, ours) == []
    for key in ("AgentConnectionAttempts", "TransferredToEndpoint", "MediaStreams",
                "ContactDetails", "Attributes", "CustomerEndpoint", "SystemEndpoint"):
        assert ours[key] == sample[key], key
    assert ours["Queue"]["Duration"] == sample["Queue"]["Duration"] == 346
    assert _same_instant(ours["Queue"]["DequeueTimestamp"], sample["Queue"]["DequeueTimestamp"])
    assert _same_instant(ours["TransferCompletedTimestamp"], sample["TransferCompletedTimestamp"])
    for key in ("AgentInteractionDuration", "CustomerHoldDuration", "LongestHoldDuration",
                "NumberOfHolds", "AfterContactWorkDuration", "RoutingProfile", "Username"):
        assert ours["Agent"][key] == sample["Agent"][key], key
    assert ours["Recording"] == sample["Recording"]
    assert salesforce_style(ours).keys() == salesforce_style(sample).keys()


def _same_instant(a: str, b: str) -> bool:
    return datetime.fromisoformat(a) == datetime.fromisoformat(b)
