"""CTRs in and out through the real command line and a real server: the shared samples, every
file shape, bad records, retention, export → import → describe, and the CTR stream."""

from __future__ import annotations

import gzip
import http.server
import json
import os
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, ClassVar

import pytest

from connectlocal.ctr import CHANNELS, METHODS

from ..conftest import client_for, new_agent, new_instance
from ..serverproc import ServerProcess


def _samples() -> Path | None:
    """The workplace's shared CTR samples (read-only, beside the work tree; not copied into
    this repository): next to the checkout, or where CONNECTLOCAL_SHARED points."""
    candidates = [Path(os.environ["CONNECTLOCAL_SHARED"])] if os.environ.get(
        "CONNECTLOCAL_SHARED") else []
    candidates += [Path(__file__).parents[3] / "shared", Path("/work/shared")]
    for shared in candidates:
        if (shared / "ctr-samples").is_dir():
            return shared / "ctr-samples"
    return None


SAMPLES = _samples()
ACCOUNT, REGION = "123456789012", "us-east-1"
INSTANCE = "6e1f6b1c-3d4e-4f5a-8b9c-0d1e2f3a4b5c"
INSTANCE_ARN = f"arn:aws:connect:{REGION}:{ACCOUNT}:instance/{INSTANCE}"

pytestmark = pytest.mark.http_only


def connectlocal(*args: str, stdin: bytes | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "connectlocal.cli", *args], input=stdin and
                          stdin.decode(), capture_output=True, text=True, timeout=300)


def _time(text: str) -> datetime:
    return datetime.fromisoformat(text).astimezone(UTC)


@pytest.mark.skipif(SAMPLES is None, reason="the shared CTR samples (shared/ctr-samples beside "
                    "the checkout, or CONNECTLOCAL_SHARED) are not on this machine")
def test_the_shared_samples_describe_as_their_newest_record(tmp_path: Path) -> None:
    assert SAMPLES is not None
    sample = SAMPLES / "call-center-analytics-duplicated.json"
    data = str(tmp_path / "ctr.db")
    first = connectlocal("import", "--data", data, "--keep-past-retention", str(sample))
    assert first.returncode == 0, first.stderr
    assert "│        1 │      5 │       0 │              6 │" in first.stderr
    again = connectlocal("import", "--data", data, "--keep-past-retention", str(sample))
    assert "│        0 │      6 │       0 │              6 │" in again.stderr  # changes nothing
    records = json.loads(sample.read_text())
    newest = max(records, key=lambda r: _time(r["LastUpdateTimestamp"]))
    instance_id = newest["InstanceARN"].rsplit("/", 1)[1]
    with ServerProcess(data, "--clock", "2022-06-01T00:00:00Z") as server:
        client = client_for(server.url, region=newest["InstanceARN"].split(":")[3])
        contact = client.describe_contact(InstanceId=instance_id,
                                          ContactId=newest["ContactId"])["Contact"]
        queue = client.describe_queue(InstanceId=instance_id,
                                      QueueId=contact["QueueInfo"]["Id"])["Queue"]
        user = client.describe_user(InstanceId=instance_id,
                                    UserId=contact["AgentInfo"]["Id"])["User"]
    assert contact["Channel"] == newest["Channel"]
    assert contact["InitiationMethod"] == newest["InitiationMethod"]
    assert contact["QueueInfo"]["Id"] == newest["Queue"]["ARN"].rsplit("/", 1)[1]
    assert contact["QueueInfo"]["EnqueueTimestamp"] == _time(newest["Queue"]["EnqueueTimestamp"])
    assert queue["Name"] == newest["Queue"]["Name"]
    assert contact["AgentInfo"]["Id"] == newest["Agent"]["ARN"].rsplit("/", 1)[1]
    assert contact["AgentInfo"]["ConnectedToAgentTimestamp"] == _time(
        newest["Agent"]["ConnectedToAgentTimestamp"])
    assert contact["AgentInfo"]["HierarchyGroups"]["Level1"]["Arn"] == (
        newest["Agent"]["HierarchyGroups"]["Level1"]["ARN"])
    assert user["Username"] == newest["Agent"]["Username"]
    assert contact["CustomerEndpoint"] == newest["CustomerEndpoint"]
    assert contact["SystemEndpoint"] == newest["SystemEndpoint"]
    for field in ("InitiationTimestamp", "DisconnectTimestamp", "LastUpdateTimestamp",
                  "ConnectedToSystemTimestamp"):
        assert contact[field] == _time(newest[field]), field
    assert contact["DisconnectReason"] == newest["DisconnectReason"]
    assert contact["Attributes"] == newest["Attributes"]
    assert contact["Recordings"][0]["Location"] == newest["Recordings"][0]["Location"]


def _record(channel: str, method: str, **extra: Any) -> dict[str, Any]:
    contact_id = str(uuid.uuid4())
    return {"AWSAccountId": ACCOUNT, "InstanceARN": INSTANCE_ARN, "ContactId": contact_id,
            "Channel": channel, "InitiationMethod": method,
            "InitiationTimestamp": "2026-11-01T10:00:00.250Z",
            "LastUpdateTimestamp": "2026-11-01T10:05:00Z",
            "DisconnectTimestamp": "2026-11-01T10:04:00Z",
            "Queue": {"ARN": f"{INSTANCE_ARN}/queue/{uuid.uuid4()}", "Name": "Imported",
                      "EnqueueTimestamp": "2026-11-01T10:00:30Z"},
            "Attributes": {"channel": channel}, **extra}


@pytest.fixture
def served(tmp_path: Path) -> Iterator[ServerProcess]:
    with ServerProcess(str(tmp_path / "s.db"), "--clock", "2026-11-20T00:00:00Z") as server:
        yield server


def test_every_channel_and_method_in_every_file_shape(tmp_path: Path,
                                                      served: ServerProcess) -> None:
    server = served
    made = [_record(c, m) for c in sorted(CHANNELS) for m in sorted(METHODS)]
    shapes = tmp_path / "in"
    shapes.mkdir()
    quarter = len(made) // 4
    (shapes / "array.json").write_text(json.dumps(made[:quarter]))
    (shapes / "lines.jsonl").write_text("\n".join(json.dumps(r) for r in
                                                  made[quarter:2 * quarter]) + "\n")
    (shapes / "firehose").write_text("".join(json.dumps(r) for r in
                                             made[2 * quarter:3 * quarter]))
    with gzip.open(shapes / "more.jsonl.gz", "wt") as handle:
        handle.write("\n".join(json.dumps(r) for r in made[3 * quarter:-1]))
    single = json.dumps(made[-1], indent=2)  # one pretty-printed object, from stdin
    done = connectlocal("import", "--endpoint", server.url, str(shapes))
    assert done.returncode == 0, done.stderr
    piped = connectlocal("import", "--endpoint", server.url, "-", stdin=single.encode())
    assert piped.returncode == 0, piped.stderr
    client = client_for(server.url)
    for r in made:
        contact = client.describe_contact(InstanceId=INSTANCE, ContactId=r["ContactId"])[
            "Contact"]
        assert (contact["Channel"], contact["InitiationMethod"]) == (
            r["Channel"], r["InitiationMethod"])
        assert contact["InitiationTimestamp"] == _time(r["InitiationTimestamp"])
        assert contact["Attributes"] == r["Attributes"]


def test_bad_records_are_named_and_skipped(tmp_path: Path, served: ServerProcess) -> None:
    server = served
    good = _record("VOICE", "INBOUND")
    lines = [
        json.dumps(good),
        "{not json",
        json.dumps({**_record("CHAT", "API"), "ContactId": None}),
        json.dumps({**_record("CHAT", "API"), "InitiationTimestamp": 1700000000}),
        json.dumps({**_record("CHAT", "API"), "Channel": "FAX"}),
        json.dumps({**_record("TASK", "API"), "InstanceARN": "arn:aws:s3:::bucket"}),
        # Durations past a 64-bit integer: from orjson, and from the reader that takes what
        # orjson refuses (1e400), which keeps any integer (both crashed the import once).
        json.dumps({**_record("VOICE", "INBOUND"), "Agent": {
            "ARN": f"{INSTANCE_ARN}/agent/{uuid.uuid4()}", "CustomerHoldDuration": 2**63}}),
        json.dumps({**_record("VOICE", "INBOUND"), "Agent": {
            "ARN": f"{INSTANCE_ARN}/agent/{uuid.uuid4()}", "NumberOfHolds": 2**64}}
                   ).replace("{", '{"MediaStreams": 1e400, ', 1),
        json.dumps({**_record("VOICE", "INBOUND"), "Name": "a\ud800b"}),  # a lone surrogate
        # Both where the import keeps nothing: the record imports (sent without them).
        json.dumps({**_record("CHAT", "API"), "MediaStreams": ["a\ud800", 2**70]}),
    ]
    path = tmp_path / "mixed.jsonl"
    path.write_text("\n".join(lines) + "\n")
    done = connectlocal("import", "--endpoint", server.url, str(path))
    assert done.returncode == 1
    err = done.stderr
    assert f"{path}: line 2: not JSON" in err
    assert f"{path}: line 3: ContactId is missing" in err
    assert f"{path}: line 4: InitiationTimestamp must be a string, not a number" in err
    assert f"{path}: line 5: Channel 'FAX' is not one of CHAT, EMAIL, TASK, VOICE" in err
    assert f"{path}: line 6: InstanceARN is not an Amazon Connect instance ARN" in err
    assert (f"{path}: line 7: Agent.CustomerHoldDuration must be a whole number from "
            f"{-2**63} to {2**63 - 1}, not {2**63}") in err
    assert f"{path}: line 8: Agent.NumberOfHolds must be a whole number from" in err
    assert (f"{path}: line 9: Name is not Unicode text: it holds a lone surrogate "
            "('a\\ud800b')") in err
    assert "Traceback" not in err
    assert "│        2 │      0 │       8 │              0 │" in err
    contact = client_for(server.url).describe_contact(InstanceId=INSTANCE,
                                                      ContactId=good["ContactId"])
    assert contact["Contact"]["Channel"] == "VOICE"
    local = connectlocal("import", "--data", str(tmp_path / "local.db"), str(path))
    assert local.returncode == 1 and "│        2 │      0 │       8 │" in local.stderr
    for target in (["--endpoint", server.url], ["--data", str(tmp_path / "local.db")]):
        missing = connectlocal("import", *target, str(tmp_path / "no-such.json"))
        assert missing.returncode == 1
        assert f"{tmp_path / 'no-such.json'}: the file: cannot read" in missing.stderr


def test_what_no_store_can_write_is_named_not_fatal(tmp_path: Path,
                                                    served: ServerProcess) -> None:
    """Lone surrogates (which only json's reader, after orjson refused the line, keeps) in
    what the import writes beside the document, values nested past what orjson writes, and a
    line nested past what json reads: each a named problem, locally and with --endpoint."""
    deep = "[" * 300 + "]" * 300
    lines = [
        json.dumps({**_record("VOICE", "INBOUND"), "Attributes": {"k": "\ud800"}}),
        json.dumps({**_record("VOICE", "INBOUND"), "Queue": {
            "ARN": f"{INSTANCE_ARN}/queue/{uuid.uuid4()}", "Name": "q\udc00"}}),
        json.dumps({**_record("CHAT", "API"), "SegmentAttributes": {
            "a": {"ValueString": "x", "d": 0}}}).replace("0}}", deep + "}}"),
        '{"a": ' + "[" * 5000,
        json.dumps(_record("TASK", "API")),
    ]
    path = tmp_path / "unwritable.jsonl"
    path.write_text("\n".join(lines) + "\n")
    for target in (["--data", str(tmp_path / "local.db")], ["--endpoint", served.url]):
        done = connectlocal("import", *target, str(path))
        err = done.stderr
        assert done.returncode == 1 and "Traceback" not in err, err
        assert (f"{path}: line 1: Attributes.k is not Unicode text: it holds a lone "
                "surrogate ('\\ud800')") in err
        assert f"{path}: line 2: Queue.Name is not Unicode text" in err
        assert (f"{path}: line 3: SegmentAttributes is nested too deeply to be stored "
                "(more than 254 levels)") in err
        assert f"{path}: line 4: not JSON" in err
        assert "│        1 │      0 │       4 │              0 │" in err


def test_what_no_request_can_carry_is_named(tmp_path: Path, served: ServerProcess) -> None:
    """A record importable locally but with a lone surrogate and a value nested past what
    orjson writes in a field the import does not keep: --endpoint names it, sends the rest."""
    record = json.dumps({**_record("VOICE", "INBOUND"), "MediaStreams": ["\ud800", 0]})
    path = tmp_path / "deep.jsonl"
    path.write_text(record.replace(", 0]", ", " + "[" * 300 + "]" * 300 + "]") + "\n"
                    + json.dumps(_record("CHAT", "API")) + "\n")
    local = connectlocal("import", "--data", str(tmp_path / "local.db"), str(path))
    assert local.returncode == 0 and "│        2 │      0 │       0 │" in local.stderr
    sent = connectlocal("import", "--endpoint", served.url, str(path))
    assert sent.returncode == 1 and "Traceback" not in sent.stderr, sent.stderr
    assert (f"{path}: line 1: the record is nested too deeply to be sent to a server; it "
            "imports with --data") in sent.stderr
    assert "│        1 │      0 │       1 │" in sent.stderr


def test_past_retention_is_counted_and_kept_only_when_asked(tmp_path: Path) -> None:
    old = _record("VOICE", "INBOUND", InitiationTimestamp="2023-01-01T00:00:00Z",
                  LastUpdateTimestamp="2023-01-01T00:10:00Z")
    path = tmp_path / "old.json"
    path.write_text(json.dumps(old))
    data = str(tmp_path / "r.db")
    dropped = connectlocal("import", "--data", data, str(path))
    assert dropped.returncode == 0
    assert "│        0 │      0 │       0 │              1 │" in dropped.stderr
    assert "not stored (--keep-past-retention stores them)" in dropped.stderr
    kept = connectlocal("import", "--data", data, "--keep-past-retention", str(path))
    assert "│        1 │      0 │       0 │              1 │" in kept.stderr
    with ServerProcess(data, "--clock", "2024-06-01T00:00:00Z") as server:
        contact = client_for(server.url).describe_contact(InstanceId=INSTANCE,
                                                          ContactId=old["ContactId"])
    assert contact["Contact"]["InitiationTimestamp"] == datetime(2023, 1, 1, tzinfo=UTC)


LOSSY = ("NextContacts",)  # a CTR carries NextContactId only (compared separately)


def test_export_then_import_gives_the_same_contacts(tmp_path: Path) -> None:
    source = str(tmp_path / "source.db")
    with ServerProcess(source) as server:
        client = client_for(server.url)
        instance = new_instance(client)
        agent = new_agent(client, instance)
        flow = instance["flows"]["Default inbound"]
        first = client.start_task_contact(
            InstanceId=instance["id"], ContactFlowId=flow, Name="Export me",
            Description="d", Attributes={"a": "1"},
            References={"doc": {"Type": "URL", "Value": "https://example.com"}})["ContactId"]
        client.tag_contact(InstanceId=instance["id"], ContactId=first, Tags={"t": "v"})
        client.update_contact(InstanceId=instance["id"], ContactId=first,
                              UserInfo={"UserId": agent})
        second = client.transfer_contact(
            InstanceId=instance["id"], ContactId=first,
            ContactFlowId=instance["flows"]["Default queue transfer"],
            QueueId=instance["queues"]["BasicQueue"])["ContactId"]
        voice = client.start_outbound_voice_contact(
            InstanceId=instance["id"], ContactFlowId=flow,
            DestinationPhoneNumber="+15555550100", SourcePhoneNumber="+15555550199",
            Attributes={"v": "2"})["ContactId"]
        ids = [first, second, voice]
        before = {i: client.describe_contact(InstanceId=instance["id"], ContactId=i)["Contact"]
                  for i in ids}
    exported = tmp_path / "out.jsonl"
    done = connectlocal("export", "--data", source, "--instance-id", instance["id"],
                        "--output", str(exported))
    assert done.returncode == 0, done.stderr
    assert "exported 3 contacts" in done.stderr
    lines = [json.loads(line) for line in exported.read_text().splitlines()]
    assert [r["ContactId"] for r in lines] == ids  # oldest first
    target = str(tmp_path / "target.db")
    done = connectlocal("import", "--data", target, str(exported))
    assert done.returncode == 0, done.stderr
    with ServerProcess(target) as server:
        client = client_for(server.url)
        after = {i: client.describe_contact(InstanceId=instance["id"], ContactId=i)["Contact"]
                 for i in ids}
    for contact_id in ids:
        old, new = dict(before[contact_id]), dict(after[contact_id])
        assert ([n["NextContactMetadata"]["QuickConnectContactData"]["ContactId"]
                 for n in old.pop("NextContacts", [])] ==
                [n["NextContactMetadata"]["QuickConnectContactData"]["ContactId"]
                 for n in new.pop("NextContacts", [])])
        assert new == old, contact_id


class _Webhook(http.server.BaseHTTPRequestHandler):
    received: ClassVar[list[dict[str, Any]]] = []
    fail_first = 2

    def do_POST(self) -> None:  # http.server's name
        body = self.rfile.read(int(self.headers["content-length"]))
        if _Webhook.fail_first > 0:
            _Webhook.fail_first -= 1
            self.send_response(503)
            self.end_headers()
            return
        _Webhook.received.append(json.loads(body))
        self.send_response(200)
        self.end_headers()

    def log_message(self, *_: Any) -> None:
        pass


def test_the_ctr_stream_to_a_file_and_a_flaky_webhook(tmp_path: Path) -> None:
    hook = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Webhook)
    threading.Thread(target=hook.serve_forever, daemon=True).start()
    stream_file = tmp_path / "ctr.jsonl"
    try:
        with ServerProcess(str(tmp_path / "st.db"), "--ctr-file", str(stream_file),
                           "--ctr-webhook", f"http://127.0.0.1:{hook.server_port}") as server:
            client = client_for(server.url)
            instance = new_instance(client)
            task = client.start_task_contact(
                InstanceId=instance["id"], Name="streamed",
                ContactFlowId=instance["flows"]["Default inbound"])["ContactId"]
            assert not stream_file.exists() or not stream_file.read_text()  # not ended yet
            started = time.monotonic()
            client.stop_contact(InstanceId=instance["id"], ContactId=task)
            client.update_contact_attributes(InstanceId=instance["id"], InitialContactId=task,
                                             Attributes={"after": "end"})
            assert time.monotonic() - started < 1.0  # the failing webhook never holds a call
            deadline = time.monotonic() + 20
            while len(_Webhook.received) < 2 and time.monotonic() < deadline:
                time.sleep(0.1)
    finally:
        hook.shutdown()
        hook.server_close()
    lines = [json.loads(line) for line in stream_file.read_text().splitlines()]
    assert [r["ContactId"] for r in lines] == [task, task]
    assert lines[0]["DisconnectReason"] == "API" and lines[0]["DisconnectTimestamp"]
    assert lines[1]["Attributes"] == {"after": "end"}
    assert lines[1]["LastUpdateTimestamp"] >= lines[0]["LastUpdateTimestamp"]
    assert [r["ContactId"] for r in _Webhook.received] == [task, task]  # after two 503s
    assert _Webhook.received[1]["Attributes"] == {"after": "end"}


def test_a_chat_that_expires_is_streamed_when_the_sweep_ends_it(tmp_path: Path) -> None:
    """Amazon Connect streams a contact's CTR when it ends, expiring included: the retention
    sweep (every minute, and after every clock change) stores what has expired as ended."""
    stream_file = tmp_path / "ctr.jsonl"
    with ServerProcess(str(tmp_path / "ex.db"), "--ctr-file", str(stream_file),
                       "--clock", "2026-11-20T10:00:00Z") as server:
        client = client_for(server.url)
        instance = new_instance(client)
        chat = client.start_chat_contact(
            InstanceId=instance["id"], ContactFlowId=instance["flows"]["Default inbound"],
            ParticipantDetails={"DisplayName": "Jane"}, ChatDurationInMinutes=60)["ContactId"]
        assert server.admin("POST", "clock", {"advance_seconds": 30 * 60})[0] == 200
        time.sleep(0.5)
        assert not stream_file.exists() or not stream_file.read_text()  # not expired yet
        assert server.admin("POST", "clock", {"advance_seconds": 60 * 60})[0] == 200
        deadline = time.monotonic() + 10
        while (not stream_file.exists() or not stream_file.read_text()) \
                and time.monotonic() < deadline:
            time.sleep(0.1)
        described = client.describe_contact(InstanceId=instance["id"], ContactId=chat)["Contact"]
    (line,) = stream_file.read_text().splitlines()
    record = json.loads(line)
    assert record["ContactId"] == chat and record["DisconnectReason"] == "EXPIRED"
    assert _time(record["DisconnectTimestamp"]) == datetime(2026, 11, 20, 11, 0, tzinfo=UTC)
    assert described["DisconnectReason"] == "EXPIRED"
    assert described["DisconnectTimestamp"] == _time(record["DisconnectTimestamp"])


def test_an_import_reports_its_batches_then_its_merge(tmp_path: Path) -> None:
    from connectlocal.ctrfiles import import_paths
    from connectlocal.service import Service
    from connectlocal.store import open_store

    path = tmp_path / "ctrs.jsonl"
    path.write_text("".join(json.dumps(_record("CHAT", "API")) + "\n" for _ in range(3)))
    said: list[str] = []
    store = open_store(str(tmp_path / "s.db"))
    try:
        service = Service(store)
        service.set_clock(datetime(2026, 11, 20, tzinfo=UTC))
        counts = import_paths(service, [str(path)], progress=lambda n: said.append(f"{n}"),
                              merging=lambda: said.append("merging"))
    finally:
        store.close()
    assert said == ["3", "merging"]
    assert (counts.imported, counts.merged, counts.skipped) == (3, 0, 0)
