"""An acknowledged contact survives a SIGKILL of the server during writes."""

from __future__ import annotations

import signal
import threading
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from ..conftest import client_for, new_instance
from ..serverproc import ServerProcess


def test_acknowledged_contacts_survive_sigkill(tmp_path: Any) -> None:
    data = str(tmp_path / "crash.db")
    proc = ServerProcess(data).start()
    client = client_for(proc.url)
    instance = new_instance(client)
    flow = instance["flows"]["Default inbound"]
    acknowledged: list[str] = []
    lock = threading.Lock()
    enough = threading.Event()

    def writer(n: int) -> None:
        own = client_for(proc.url)
        i = 0
        while True:
            try:
                contact_id = own.start_task_contact(InstanceId=instance["id"],
                                                    ContactFlowId=flow,
                                                    Name=f"w{n}-{i}")["ContactId"]
            except (BotoCoreError, ClientError):
                return  # the server is gone: this request was never acknowledged
            with lock:
                acknowledged.append(contact_id)
                if len(acknowledged) >= 200:
                    enough.set()
            i += 1

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    assert enough.wait(60), "writers did not get 200 contacts acknowledged"
    proc.stop(signal.SIGKILL)  # while the writers are still sending
    for t in threads:
        t.join(30)
    with lock:
        survivors = list(acknowledged)

    restarted = ServerProcess(data).start()
    try:
        again = client_for(restarted.url)
        for contact_id in survivors:
            contact = again.describe_contact(InstanceId=instance["id"],
                                             ContactId=contact_id)["Contact"]
            assert contact["Id"] == contact_id
    finally:
        restarted.stop()
    assert len(survivors) >= 200
