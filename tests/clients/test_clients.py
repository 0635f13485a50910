"""Every real client against a running server: the JavaScript SDK v3 (pinned in this folder,
installed on first use) and aiobotocore (installed with the built wheel of connectlocal in one
fresh environment, serving from there), run as a user runs them.
boto3 is the client of tests/api, the AWS CLI of tests/cli. Each scenario reports what its SDK
gave back; these tests check it, and check it against what boto3 sees of the same contacts."""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from ..conftest import client_for
from ..serverproc import ServerProcess
from .venvs import VenvServer, make_venv

HERE = Path(__file__).parent
ROOT = HERE.parents[1]
JS = HERE / "js"
AIO_REQUIREMENTS = HERE / "aio-requirements.txt"
MISSING = "11111111-1111-4111-8111-111111111111"

pytestmark = pytest.mark.http_only


def _run(cmd: list[str], cwd: Path | None = None) -> str:
    done = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, timeout=600)
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed ({done.returncode}):\n{done.stdout}\n"
                           f"{done.stderr}")
    return done.stdout


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()[:16]


@pytest.fixture(scope="session")
def node() -> str:
    """Node with the pinned @aws-sdk/client-connect installed from package-lock.json."""
    node, npm = shutil.which("node"), shutil.which("npm")
    if node is None or npm is None:
        pytest.fail("Node.js and npm are needed for the JavaScript SDK tests (Node 20+)")
    stamp = JS / "node_modules" / f".installed-{_digest(JS / 'package-lock.json')}"
    if not stamp.exists():
        _run([npm, "ci", "--no-audit", "--no-fund", "--loglevel=error"], cwd=JS)
        stamp.touch()
    return node


@pytest.fixture(scope="session")
def aio(tmp_path_factory: pytest.TempPathFactory, wheel: Path) -> Iterator[tuple[str, str]]:
    """aiobotocore (pinned here, with the older botocore it pins) and the built wheel of
    connectlocal in one fresh environment, as a user of both has them; a `connectlocal serve`
    run from it. Its python and the server's URL."""
    venv = tmp_path_factory.mktemp("aio") / "venv"
    python = make_venv(venv, str(wheel), "-r", str(AIO_REQUIREMENTS))
    with VenvServer(venv) as served:
        yield str(python), served.url


def _as_boto3_sees_it(url: str, region: str, instance_id: str,
                      contact_id: str) -> dict[str, Any]:
    contact: dict[str, Any] = client_for(url, region=region).describe_contact(
        InstanceId=instance_id, ContactId=contact_id)["Contact"]
    return contact


def _iso(value: datetime) -> str:
    return value.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def test_javascript_sdk_v3(server: ServerProcess, node: str) -> None:
    out = json.loads(_run([node, "scenario.mjs", server.url], cwd=JS))
    # Region from the SigV4 scope, the default account.
    assert out["instance"]["Arn"] == (
        f"arn:aws:connect:eu-west-2:123456789012:instance/{out['instance']['Id']}")
    described = out["describe"]
    assert described["status"] == 200 and described["requestId"]
    types = described["types"]
    assert types["InitiationTimestamp"] == types["LastUpdateTimestamp"] == "Date"
    assert types["QueueInfo"] == {"Id": "string", "EnqueueTimestamp": "Date"}
    assert types["Attributes"] == {"customer": "string", "seen": "string"}
    assert out["describeCompleted"]["DisconnectTimestamp"] == "Date"
    contact = described["contact"]
    assert contact["Name"] == "From JavaScript"
    assert contact["Attributes"] == {"customer": "42", "seen": "yes"}
    boto3_view = _as_boto3_sees_it(server.url, "eu-west-2", out["instance"]["Id"],
                                   out["started"]["task"])
    # The same instant to the millisecond, whichever SDK parsed it.
    assert contact["InitiationTimestamp"] == _iso(boto3_view["InitiationTimestamp"])
    assert contact["QueueInfo"]["Id"] == boto3_view["QueueInfo"]["Id"]
    search = out["search"]
    started = {out["started"][k] for k in ("task", "chat", "voice", "created")}
    assert started <= set(search["ids"]) and len(search["ids"]) == 7
    assert len(set(search["ids"])) == 7 and search["pages"] == 4
    assert search["totalCounts"] == [7, 7, 7, 7] and search["firstType"] == "Date"
    assert out["error"] == {
        "typed": True, "name": "ResourceNotFoundException",
        "message": f"Contact not found: {MISSING} (instance {out['instance']['Id']})",
        "status": 404, "requestId": out["error"]["requestId"], "fault": "client"}
    assert out["error"]["requestId"]


def test_javascript_sdk_v3_against_strict_sigv4(tmp_path: Path, node: str) -> None:
    key, secret = "AKIAJSSTRICT", "js/Secret+Key0123456789abcdefghijklmnopq"
    with ServerProcess(str(tmp_path / "strict.db"), "--auth", "strict", "--accounts",
                       f"{key}:{secret}=111122223333") as server:
        out = json.loads(_run([node, "strict.mjs", server.url, key, secret], cwd=JS))
    assert out["signed"] == {"ok": 200}
    assert out["wrongSecret"]["name"] == "InvalidSignatureException"
    assert out["wrongSecret"]["status"] == 403
    assert out["wrongSecret"]["message"].startswith("The request signature we calculated")
    assert out["unknownKey"] == {
        "name": "UnrecognizedClientException", "status": 403,
        "message": "The security token included in the request is invalid."}
    assert out["expired"]["name"] == "InvalidSignatureException"
    assert out["expired"]["message"].startswith("Signature expired: ")


@pytest.mark.timeout(900)  # its fixture makes an environment: pip, minutes on a loaded machine
def test_aiobotocore(aio: tuple[str, str]) -> None:
    python, url = aio
    out = json.loads(_run([python, str(HERE / "aio_scenario.py"), url]))
    assert out["instance"]["Arn"].startswith("arn:aws:connect:ap-southeast-2:123456789012:")
    types = out["describe"]["types"]
    assert types["InitiationTimestamp"] == types["LastUpdateTimestamp"] == "datetime"
    assert types["QueueInfo"] == {"Id": "str", "EnqueueTimestamp": "datetime"}
    assert out["describe"]["values"]["Attributes"] == {"customer": "42"}
    boto3_view = _as_boto3_sees_it(url, "ap-southeast-2", out["instance"]["Id"],
                                   out["started"][0])
    assert out["describe"]["values"]["InitiationTimestamp"] == str(
        boto3_view["InitiationTimestamp"])
    search = out["search"]
    assert set(search["ids"]) == set(out["started"]) and search["pages"] == 2
    assert search["totalCounts"] == [4, 4]
    assert out["error"] == {
        "typed": True, "code": "ResourceNotFoundException", "status": 404,
        "message": f"Contact not found: {MISSING} (instance {out['instance']['Id']})"}
