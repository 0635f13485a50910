"""The simulator's contacts, over a simulated day: causal timestamps, chains linked both ways,
counts within statistical bounds of the profile, and the same seed giving the same contacts."""

from __future__ import annotations

import itertools
import math
from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest

from connectlocal.models import Contact, Instance
from connectlocal.simulate import CHANNEL_MIX, Profile, Simulator, poisson_bounds
from connectlocal.store.codec import encode

START = datetime(2026, 11, 1, tzinfo=UTC)
DAY = timedelta(days=1)
INSTANCE = Instance(id="0f0e0d0c-0b0a-4908-8706-050403020100",
                    arn="arn:aws:connect:us-east-1:123456789012:instance/"
                        "0f0e0d0c-0b0a-4908-8706-050403020100",
                    identity_management_type="CONNECT_MANAGED", created_time=START,
                    inbound_calls_enabled=True, outbound_calls_enabled=True)
AGENTS = [f"00000000-0000-4000-8000-{n:012d}" for n in range(25)]
PROFILE = Profile(rate_per_hour=240.0)


def _day(seed: int = 7, profile: Profile = PROFILE) -> tuple[Simulator, list[Contact]]:
    simulator = Simulator(INSTANCE, "queue-1", AGENTS, profile, seed)
    return simulator, list(simulator.run(START, START + DAY))


@pytest.fixture(scope="module")
def day() -> tuple[Simulator, list[Contact]]:
    return _day()


def test_timestamps_are_in_causal_order(day: tuple[Simulator, list[Contact]]) -> None:
    _, contacts = day
    for c in contacts:
        assert c.disconnect_timestamp is not None, c.id  # every life is over
        points = [c.initiation_timestamp]
        if c.queue is not None:
            points.append(c.queue.enqueue_timestamp)
        if c.ring_start_timestamp is not None:
            points.append(c.ring_start_timestamp)
        if c.agent and c.agent.connected_to_agent_timestamp:
            assert c.agent.accepted_by_agent_timestamp == c.agent.connected_to_agent_timestamp
            points.append(c.agent.connected_to_agent_timestamp)
        points.append(c.disconnect_timestamp)
        assert points == sorted(points), c
        if c.agent and c.agent.after_contact_work_start:
            assert c.agent.after_contact_work_start == c.disconnect_timestamp
            assert c.agent.after_contact_work_end >= c.agent.after_contact_work_start
        assert c.last_update_timestamp >= c.disconnect_timestamp


def test_chains_are_linked_both_ways(day: tuple[Simulator, list[Contact]]) -> None:
    _, contacts = day
    by_id = {c.id: c for c in contacts}
    followers = [c for c in contacts if c.previous_contact_id]
    assert followers, "transfers and callbacks happen in a day"
    for c in followers:
        previous = by_id[c.previous_contact_id]  # type: ignore[index]
        assert c.id in [n.contact_id for n in previous.next_contacts]
        assert c.initial_contact_id == (previous.initial_contact_id or previous.id)
        assert c.contact_association_id == previous.contact_association_id
        assert c.initiation_timestamp == previous.disconnect_timestamp
    for c in contacts:
        for n in c.next_contacts:
            assert by_id[n.contact_id].previous_contact_id == c.id


def test_no_agent_handles_two_contacts_at_once(day: tuple[Simulator, list[Contact]]) -> None:
    _, contacts = day
    busy: dict[str, list[tuple[datetime, datetime]]] = {}
    for c in contacts:
        if c.agent and c.agent.connected_to_agent_timestamp:
            end = c.agent.after_contact_work_end or c.disconnect_timestamp
            assert end is not None
            busy.setdefault(c.agent.agent_id, []).append(
                (c.ring_start_timestamp or c.agent.connected_to_agent_timestamp, end))
    for spans in busy.values():
        spans.sort()
        for (_, first_end), (second_start, _) in itertools.pairwise(spans):
            assert second_start >= first_end


def test_counts_match_the_profile(day: tuple[Simulator, list[Contact]]) -> None:
    simulator, contacts = day
    arrivals = [c for c in contacts if c.previous_contact_id is None]
    low, high = poisson_bounds(PROFILE.rate_per_hour * 24)
    assert low <= len(arrivals) <= high
    channels = Counter(c.channel for c in arrivals)
    for channel, share in CHANNEL_MIX.items():
        expected = share * len(arrivals)
        spread = 5 * math.sqrt(len(arrivals) * share * (1 - share))
        assert abs(channels[channel] - expected) <= spread, (channel, channels)
    assert {c.initiation_method for c in arrivals} == {"INBOUND", "API"}
    assert all((c.channel == "VOICE") == (c.initiation_method == "INBOUND") for c in arrivals)
    answered = simulator.summary.answered
    transfers = sum(1 for c in contacts if c.initiation_method in ("TRANSFER", "QUEUE_TRANSFER"))
    expected = PROFILE.transfer_probability * answered
    assert abs(transfers - expected) <= 5 * math.sqrt(expected) + 1
    assert simulator.summary.contacts == len(contacts)


def test_the_same_seed_gives_the_same_contacts() -> None:
    _, first = _day(seed=11)
    _, again = _day(seed=11)
    _, other = _day(seed=12)
    assert [encode(c) for c in first] == [encode(c) for c in again]
    assert [c.id for c in first] != [c.id for c in other]


def test_a_busy_day_abandons_and_calls_back() -> None:
    simulator, contacts = _day(profile=Profile(rate_per_hour=900.0, patience_seconds=60))
    assert simulator.summary.abandoned > 0
    callbacks = [c for c in contacts if c.initiation_method == "CALLBACK"]
    assert callbacks and all(c.system_endpoint is None for c in callbacks)
    given_up = [c for c in contacts if c.disconnect_reason == "CUSTOMER_DISCONNECT"
                and c.agent is None]
    assert given_up


def test_callbacks_are_voice_calls_and_tasks_have_names() -> None:
    """Amazon Connect's queued callbacks call the customer back, so only a caller who gives up
    is called back (a chat customer who gives up just leaves); every task has the Name
    StartTaskContact requires; a task, with nobody waiting on the line, is never abandoned."""
    _, contacts = _day(profile=Profile(rate_per_hour=900.0, patience_seconds=60,
                                       callback_probability=1.0))
    by_kind = Counter((c.channel, c.initiation_method) for c in contacts)
    assert by_kind[("VOICE", "CALLBACK")] > 0
    assert {channel for channel, method in by_kind if method == "CALLBACK"} == {"VOICE"}
    tasks = [c for c in contacts if c.channel == "TASK"]
    assert tasks and all(isinstance(c.name, str) and c.name for c in tasks)
    assert all(c.agent is not None and c.agent.connected_to_agent_timestamp is not None
               for c in tasks)
    chats_given_up = [c for c in contacts if c.channel == "CHAT" and c.agent is None]
    assert chats_given_up and all(c.disconnect_reason == "CUSTOMER_DISCONNECT" and
                                  not c.next_contacts for c in chats_given_up)
