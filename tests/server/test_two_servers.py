"""Two ``connectlocal serve`` processes over one PostgreSQL database answer as one Amazon
Connect: what one writes the other serves, their concurrent read-modify-writes lose nothing and
break no limit, a clock set on one moves the other, and ``kill -9`` of one loses no write it
acknowledged."""

from __future__ import annotations

import itertools
import signal
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from botocore.exceptions import ClientError

from ..conftest import client_for, new_instance
from ..serverproc import ServerProcess

_schemas = itertools.count()


@pytest.fixture
def servers(pg_database: str) -> Iterator[tuple[ServerProcess, ServerProcess]]:
    url = f"{pg_database}?schema=two{next(_schemas)}"
    first = ServerProcess(url).start()
    second = ServerProcess(url).start()
    yield first, second
    first.stop()
    second.stop()


def _on_both(servers: tuple[ServerProcess, ServerProcess], calls: int,
             call: Callable[[Any, int], Any]) -> list[Any]:
    """``calls`` calls, alternately on either server, 8 at a time; each result or the
    ClientError it raised."""
    clients = [client_for(s.url) for s in servers]

    def one(n: int) -> Any:
        try:
            return call(clients[n % 2], n)
        except ClientError as error:
            return error

    with ThreadPoolExecutor(8) as pool:
        return list(pool.map(one, range(calls)))


def _codes(results: list[Any]) -> list[str]:
    return sorted(r.response["Error"]["Code"] for r in results if isinstance(r, ClientError))


def test_what_one_writes_the_other_serves(servers: tuple[ServerProcess, ServerProcess]) -> None:
    a, b = (client_for(s.url) for s in servers)
    instance = new_instance(a)
    flow = instance["flows"]["Sample task flow"]
    started = _on_both(servers, 20, lambda c, n: c.start_task_contact(
        InstanceId=instance["id"], ContactFlowId=flow, Name=f"t{n}",
        Attributes={"n": str(n)})["ContactId"])
    assert all(isinstance(s, str) for s in started), started
    for n, contact_id in enumerate(started):
        contact = b.describe_contact(InstanceId=instance["id"], ContactId=contact_id)["Contact"]
        assert contact["Name"] == f"t{n}"
        assert a.get_contact_attributes(InstanceId=instance["id"],
                                        InitialContactId=contact_id)["Attributes"] == {
            "n": str(n)}
    # Started on one, transferred, tagged and updated on the other.
    first = a.start_task_contact(InstanceId=instance["id"], ContactFlowId=flow,
                                 Name="first")["ContactId"]
    moved = b.transfer_contact(InstanceId=instance["id"], ContactId=first,
                               ContactFlowId=instance["flows"]["Default queue transfer"],
                               QueueId=instance["queues"]["BasicQueue"])["ContactId"]
    b.tag_contact(InstanceId=instance["id"], ContactId=first, Tags={"team": "billing"})
    b.update_contact(InstanceId=instance["id"], ContactId=first, Name="renamed")
    described = a.describe_contact(InstanceId=instance["id"], ContactId=first)["Contact"]
    assert described["Name"] == "renamed" and described["Tags"] == {"team": "billing"}
    assert a.describe_contact(InstanceId=instance["id"], ContactId=moved)["Contact"][
        "PreviousContactId"] == first


def test_concurrent_read_modify_writes_lose_nothing_and_break_no_limit(
        servers: tuple[ServerProcess, ServerProcess]) -> None:
    a = client_for(servers[0].url)
    instance = new_instance(a)
    flow = instance["flows"]["Sample task flow"]
    first = a.start_task_contact(InstanceId=instance["id"], ContactFlowId=flow,
                                 Name="first")["ContactId"]
    # Attributes merge: 40 updates of distinct keys, on both servers at once.
    results = _on_both(servers, 40, lambda c, n: c.update_contact_attributes(
        InstanceId=instance["id"], InitialContactId=first, Attributes={f"k{n}": str(n)}))
    assert _codes(results) == []
    attributes = a.get_contact_attributes(InstanceId=instance["id"],
                                          InitialContactId=first)["Attributes"]
    assert attributes == {f"k{n}": str(n) for n in range(40)}
    # Tag limit (6 a contact): 5 calls of 2 new tags each, at once: 3 fit, 2 are refused.
    tagged = a.start_task_contact(InstanceId=instance["id"], ContactFlowId=flow,
                                  Name="tagged")["ContactId"]
    results = _on_both(servers, 5, lambda c, n: c.tag_contact(
        InstanceId=instance["id"], ContactId=tagged, Tags={f"a{n}": "v", f"b{n}": "v"}))
    assert _codes(results) == ["InvalidParameterException"] * 2
    assert len(a.describe_contact(InstanceId=instance["id"], ContactId=tagged)["Contact"][
        "Tags"]) == 6
    # 12 tasks a PreviousContactId: 16 at once, 12 are started.
    results = _on_both(servers, 16, lambda c, n: c.start_task_contact(
        InstanceId=instance["id"], ContactFlowId=flow, Name=f"link{n}",
        PreviousContactId=first))
    assert _codes(results) == ["ServiceQuotaExceededException"] * 4
    # One ClientToken, both servers at once: one contact.
    results = _on_both(servers, 8, lambda c, n: c.start_task_contact(
        InstanceId=instance["id"], ContactFlowId=flow, Name="once", ClientToken="tok-1")[
        "ContactId"])
    assert len(set(results)) == 1, results


def test_a_clock_set_on_one_moves_the_other(
        servers: tuple[ServerProcess, ServerProcess]) -> None:
    first, second = servers
    first.set_clock("2025-01-02T03:04:05Z")
    time.sleep(0.5)  # the other server rereads the setting within 0.25 s
    status, body = second.admin("GET", "clock")
    assert status == 200 and body["now"] == "2025-01-02T03:04:05.000Z" and body["set"] is True
    b = client_for(second.url)
    instance = new_instance(b)
    contact_id = b.start_task_contact(InstanceId=instance["id"], Name="then",
                                      ContactFlowId=instance["flows"]["Sample task flow"])[
        "ContactId"]
    contact = client_for(first.url).describe_contact(InstanceId=instance["id"],
                                                     ContactId=contact_id)["Contact"]
    assert contact["InitiationTimestamp"].isoformat() == "2025-01-02T03:04:05+00:00"
    # A third server joining them without --clock keeps the clock they share.
    with ServerProcess(first.data):
        time.sleep(0.5)
        status, body = first.admin("GET", "clock")
        assert body["now"] == "2025-01-02T03:04:05.000Z", body


def test_kill_9_of_one_loses_no_acknowledged_write(
        servers: tuple[ServerProcess, ServerProcess]) -> None:
    victim, survivor = servers
    a = client_for(victim.url)
    instance = new_instance(a)
    flow = instance["flows"]["Sample task flow"]
    acknowledged: list[str] = []
    stop = threading.Event()

    def write() -> None:
        client = client_for(victim.url)
        while not stop.is_set():
            try:
                acknowledged.append(client.start_task_contact(
                    InstanceId=instance["id"], ContactFlowId=flow, Name="w")["ContactId"])
            except Exception:  # the server died under the call: not acknowledged
                return

    writers = [threading.Thread(target=write) for _ in range(4)]
    for writer in writers:
        writer.start()
    time.sleep(1.5)
    victim.stop(signal.SIGKILL)
    stop.set()
    for writer in writers:
        writer.join()
    assert len(acknowledged) > 10
    b = client_for(survivor.url)
    for contact_id in acknowledged:
        b.describe_contact(InstanceId=instance["id"], ContactId=contact_id)
