"""DescribeContact's stored answers (connectlocal.wire) for contacts a bulk load stored: the
import leaves them to be made, a running server makes them in the background, and what a
client reads is the same before and after."""

from __future__ import annotations

import http.client
import json
import sqlite3
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from ..ctr.test_import_export import connectlocal
from ..serverproc import ServerProcess

pytestmark = pytest.mark.http_only

ACCOUNT, REGION = "123456789012", "us-east-1"
INSTANCE = "5b0c8f4e-7a61-4d1e-9f3a-2c4b6d8e0f12"
ARN = f"arn:aws:connect:{REGION}:{ACCOUNT}:instance/{INSTANCE}"


def _records(count: int, start: datetime) -> list[dict[str, Any]]:
    records = []
    for n in range(count):
        began = start + timedelta(minutes=n)
        records.append({
            "AWSAccountId": ACCOUNT, "InstanceARN": ARN,
            "ContactId": str(uuid.UUID(int=n + 1, version=4)), "Channel": "VOICE",
            "InitiationMethod": "INBOUND", "InitiationTimestamp": began.isoformat(),
            "DisconnectTimestamp": (began + timedelta(minutes=3)).isoformat(),
            "LastUpdateTimestamp": (began + timedelta(minutes=4)).isoformat(),
            "CustomerEndpoint": {"Type": "TELEPHONE_NUMBER", "Address": "+15555550100"},
            "Attributes": {"n": str(n)}})
    return records


def _describe(url: str, contact_id: str, instance: str = INSTANCE) -> tuple[int, bytes]:
    """DescribeContact's status and body bytes, signed as an SDK signs it."""
    parsed = urlparse(url)
    path = f"/contacts/{instance}/{contact_id}"
    request = AWSRequest("GET", url + path)
    SigV4Auth(Credentials("AKIDEXAMPLE", "secret"), "connect", REGION).add_auth(request)
    conn = http.client.HTTPConnection(parsed.hostname, parsed.port, timeout=10)
    conn.request("GET", path, headers=dict(request.headers))
    response = conn.getresponse()
    body = response.read()
    conn.close()
    return response.status, body


def _pending(path: Path) -> int:
    with sqlite3.connect(path) as db:
        return int(db.execute("SELECT count(*) FROM answers_pending").fetchone()[0])


def _wait_for_answers(path: Path) -> None:
    """Until the server has made every pending answer (30 s at most)."""
    deadline = time.monotonic() + 30
    while _pending(path) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert _pending(path) == 0, "the server made no stored answers within 30 s"


def test_a_server_makes_the_answers_of_contacts_another_process_imported(
        tmp_path: Path) -> None:
    store = tmp_path / "s.db"
    start = datetime(2026, 11, 1, 9, 0, tzinfo=UTC)
    source = tmp_path / "ctrs.jsonl"
    source.write_text("".join(json.dumps(r) + "\n" for r in _records(300, start)))
    with ServerProcess(str(store), "--clock", "2026-11-20T00:00:00Z") as server:
        done = connectlocal("import", "--data", str(store), "--quiet", str(source))
        assert done.returncode == 0, done.stderr
        ids = [str(uuid.UUID(int=n, version=4)) for n in (1, 150, 300)]
        before = [_describe(server.url, contact_id) for contact_id in ids]
        assert all(status == 200 for status, _ in before), before
        _wait_for_answers(store)
        with sqlite3.connect(store) as db:
            assert db.execute("SELECT count(*) FROM answers WHERE wire IS NOT NULL"
                              ).fetchone() == (300,)
        after = [_describe(server.url, contact_id) for contact_id in ids]
    assert after == before  # the same bytes, from the stored answer now
    contact = json.loads(after[1][1])["Contact"]
    assert contact["Id"] == ids[1] and contact["Attributes"] == {"n": "149"}
    assert contact["InitiationTimestamp"] == (start + timedelta(minutes=149)).timestamp()


def test_an_import_over_answered_contacts_never_serves_the_old_answer(tmp_path: Path) -> None:
    """A newer record of a contact that has a stored answer replaces the answer with the
    contact, in one transaction: a read never sees the old one."""
    store = tmp_path / "s.db"
    start = datetime(2026, 11, 1, 9, 0, tzinfo=UTC)
    first = _records(5, start)
    source = tmp_path / "first.jsonl"
    source.write_text("".join(json.dumps(r) + "\n" for r in first))
    with ServerProcess(str(store), "--clock", "2026-11-20T00:00:00Z") as server:
        assert connectlocal("import", "--data", str(store), "--quiet",
                            str(source)).returncode == 0
        _wait_for_answers(store)
        old = json.loads(_describe(server.url, first[2]["ContactId"])[1])["Contact"]
        assert "DisconnectReason" not in old  # the first records carry none
        newer = [dict(r, LastUpdateTimestamp=(start + timedelta(days=1)).isoformat(),
                      DisconnectReason="AGENT_DISCONNECT") for r in first]
        source.write_text("".join(json.dumps(r) + "\n" for r in newer))
        assert connectlocal("import", "--data", str(store), "--quiet",
                            str(source)).returncode == 0
        status, body = _describe(server.url, first[2]["ContactId"])
        _wait_for_answers(store)  # the newer record's answer, made again
        remade = _describe(server.url, first[2]["ContactId"])
    assert status == 200 and remade == (200, body)
    contact = json.loads(body)["Contact"]
    assert contact["DisconnectReason"] == "AGENT_DISCONNECT"
    assert contact["LastUpdateTimestamp"] == (start + timedelta(days=1)).timestamp()
    assert {k: v for k, v in contact.items()
            if k not in ("DisconnectReason", "LastUpdateTimestamp")} == {
        k: v for k, v in old.items() if k != "LastUpdateTimestamp"}


def test_an_imported_instance_id_that_is_no_uuid_is_refused_alike_before_and_after(
        tmp_path: Path) -> None:
    # An instance ARN's id is 36 characters of hex and dashes for the import; DescribeContact
    # takes only a UUID (or an ARN), so the stored answer must not answer where it refuses.
    store = tmp_path / "s.db"
    odd = "0123456789abcdef0123456789abcdef0123"
    record = dict(_records(1, datetime(2026, 11, 1, 9, 0, tzinfo=UTC))[0],
                  InstanceARN=f"arn:aws:connect:{REGION}:{ACCOUNT}:instance/{odd}")
    source = tmp_path / "odd.jsonl"
    source.write_text(json.dumps(record) + "\n")
    with ServerProcess(str(store), "--clock", "2026-11-20T00:00:00Z") as server:
        assert connectlocal("import", "--data", str(store), "--quiet",
                            str(source)).returncode == 0
        before = _describe(server.url, record["ContactId"], odd)
        _wait_for_answers(store)
        after = _describe(server.url, record["ContactId"], odd)
    assert before[0] == 400 and json.loads(before[1])["Message"] == (
        f"InstanceId '{odd}' is not a valid instance id or instance ARN")
    assert after == before
