"""Lambda targets (engine/lambdas.py): Python, Node and the Invoke API, their context, their
failures, and mappings refused at start-up."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from typing import Any, ClassVar

import pytest

from connectlocal.engine.lambdas import ConfigError, LambdaError, Lambdas

ARN = "arn:aws:lambda:us-east-1:123456789012:function:lookup"
EVENT = {"Details": {"ContactData": {"ContactId": "c-1"}, "Parameters": {"k": "v"}},
         "Name": "ContactFlowEvent"}


def handler(event: dict[str, Any], context: Any) -> dict[str, str]:
    return {"contact": event["Details"]["ContactData"]["ContactId"],
            "name": context.function_name, "arn": context.invoked_function_arn,
            "remaining": str(context.get_remaining_time_in_millis())}


def test_a_python_target_is_called_with_the_event_and_a_lambda_context() -> None:
    lambdas = Lambdas({ARN: "python:tests.engine.test_lambdas:handler"})
    answer = lambdas.invoke(ARN, EVENT, 3)
    assert answer["contact"] == "c-1" and answer["name"] == "lookup" and answer["arn"] == ARN
    assert 0 < int(answer["remaining"]) <= 3000
    assert ARN + ":$LATEST" in lambdas  # a qualified ARN runs the unqualified mapping


@pytest.mark.skipif(shutil.which("node") is None, reason="needs Node.js on PATH")
def test_a_node_target_runs_async_and_callback_handlers(tmp_path: Path) -> None:
    script = tmp_path / "handler.js"
    script.write_text(
        "exports.handler = async (event, context) => ({contact: "
        "event.Details.ContactData.ContactId, name: context.functionName});\n"
        "exports.callback = (event, context, done) => "
        "done(null, {k: event.Details.Parameters.k});\n"
        "exports.broken = async () => { throw new Error('no customer'); };\n")
    lambdas = Lambdas({ARN: f"node:{script}:handler",
                       ARN + "2": f"node:{script}:callback",
                       ARN + "3": f"node:{script}:broken"})
    assert lambdas.invoke(ARN, EVENT, 8) == {"contact": "c-1", "name": "lookup"}
    assert lambdas.invoke(ARN + "2", EVENT, 8) == {"k": "v"}
    with pytest.raises(LambdaError, match="no customer"):
        lambdas.invoke(ARN + "3", EVENT, 8)


class _InvokeApi(BaseHTTPRequestHandler):
    """A stand-in for SAM CLI's start-lambda: the Lambda Invoke API."""

    seen: ClassVar[list[tuple[str, dict[str, Any]]]] = []

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        type(self).seen.append((self.path, body))
        failed = self.path.split("/")[3] == "broken"
        answer = json.dumps({"errorMessage": "boom"} if failed else {"ok": "yes"}).encode()
        self.send_response(200)
        if failed:
            self.send_header("X-Amz-Function-Error", "Unhandled")
        self.send_header("Content-Length", str(len(answer)))
        self.end_headers()
        self.wfile.write(answer)

    def log_message(self, *_: Any) -> None:
        pass


@pytest.fixture
def invoke_api() -> Iterator[str]:
    server = HTTPServer(("127.0.0.1", 0), _InvokeApi)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_an_http_target_calls_the_invoke_api(invoke_api: str) -> None:
    broken = "arn:aws:lambda:us-east-1:123456789012:function:broken"
    lambdas = Lambdas({ARN: invoke_api, broken: invoke_api})
    assert lambdas.invoke(ARN, EVENT, 5) == {"ok": "yes"}
    assert _InvokeApi.seen[-1] == ("/2015-03-31/functions/lookup/invocations", EVENT)
    with pytest.raises(LambdaError, match=r"Unhandled.*boom"):
        lambdas.invoke(broken, EVENT, 5)


def test_an_unreachable_invoke_api_is_a_lambda_error() -> None:
    lambdas = Lambdas({ARN: "http://127.0.0.1:9"})
    with pytest.raises(LambdaError, match="cannot be reached"):
        lambdas.invoke(ARN, EVENT, 2)


@pytest.mark.parametrize(("mapping", "message"), [
    ({"not-an-arn": "python:json:dumps"}, "not a Lambda function ARN"),
    ({ARN: "python:no.such.module:handler"}, "cannot import handler from no.such.module"),
    ({ARN: "python:json"}, "not python:package.module:function"),
    ({ARN: "ruby:x"}, "a target is python:module:function"),
    ({ARN: "node:/no/such/file.js:handler"}, "no Node handler file"),
])
def test_bad_mappings_are_refused(mapping: dict[str, str], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        Lambdas(mapping)


def test_serve_refuses_a_bad_mapping_at_start() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "connectlocal.cli", "serve", "--port", "0", "--data",
         ":memory:", "--lambda", f"{ARN}=python:no.such.module:handler"],
        capture_output=True, text=True, timeout=60)
    assert done.returncode == 2
    assert "cannot import handler from no.such.module" in done.stderr
