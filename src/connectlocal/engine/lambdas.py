"""Where a Lambda function a flow invokes runs: an in-process Python function, a Node handler
file run by a small bundled runner, or the Lambda Invoke API of an endpoint (SAM CLI's
``start-lambda``, LocalStack, AWS). Configured locally (``serve --lambda ARN=TARGET``,
``mock_connect(lambdas=...)``), never by editing the flow."""

from __future__ import annotations

import importlib
import json
import os
import re
import shutil
import subprocess
import threading
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Callable, Mapping
from importlib import resources
from typing import Any
from urllib.parse import quote, urlsplit

# A Lambda function ARN, with an optional version or alias qualifier (Lambda's own pattern,
# AssociateLambdaFunction's FunctionArn).
LAMBDA_ARN = re.compile(
    r"^arn:aws[a-zA-Z-]*:lambda:[a-z]{2}(-[a-z]+)+-\d:\d{12}:function:[a-zA-Z0-9_-]+"
    r"(:(\$LATEST|[a-zA-Z0-9_-]+))?$")


class LambdaError(Exception):
    """The function failed, timed out, or answered what the flow cannot take."""


class ConfigError(ValueError):
    """A ``--lambda`` mapping that cannot work (told at start-up, not at call time)."""


class Context:
    """What a Python handler's second argument carries in AWS Lambda."""

    def __init__(self, arn: str, timeout: float) -> None:
        self.invoked_function_arn = arn
        self.function_name = function_name(arn)
        self.function_version = "$LATEST"
        self.memory_limit_in_mb = "128"
        self.aws_request_id = str(uuid.uuid4())
        self.log_group_name = f"/aws/lambda/{self.function_name}"
        self.log_stream_name = f"connectlocal/[$LATEST]{self.aws_request_id.replace('-', '')}"
        self._deadline = time.monotonic() + timeout

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self._deadline - time.monotonic()) * 1000))


def function_name(arn: str) -> str:
    return arn.split(":")[6] if arn.count(":") >= 6 else arn


Target = Callable[[dict[str, Any], str, float], Any]


def _python(handler: Callable[..., Any]) -> Target:
    def call(event: dict[str, Any], arn: str, timeout: float) -> Any:
        box: dict[str, Any] = {}

        def run() -> None:
            try:
                box["result"] = handler(event, Context(arn, timeout))
            except BaseException as exc:  # the function's own failure, reported as Lambda does
                box["error"] = exc

        worker = threading.Thread(target=run, name=f"lambda {function_name(arn)}", daemon=True)
        worker.start()
        worker.join(timeout)
        if worker.is_alive():
            raise LambdaError(f"Task timed out after {timeout:g} seconds")
        if "error" in box:
            error = box["error"]
            raise LambdaError(f"{type(error).__name__}: {error}")
        return box.get("result")
    return call


def _node(path: str, export: str) -> Target:
    node = shutil.which("node")
    if node is None:
        raise ConfigError("node is not on PATH: a node: target needs Node.js")
    if not os.path.isfile(path):
        raise ConfigError(f"no Node handler file at {path}")
    runner = str(resources.files("connectlocal.engine").joinpath("node_runner.js"))
    absolute = os.path.abspath(path)

    def call(event: dict[str, Any], arn: str, timeout: float) -> Any:
        context = {"functionName": function_name(arn), "invokedFunctionArn": arn,
                   "awsRequestId": str(uuid.uuid4()), "timeoutMillis": int(timeout * 1000)}
        try:
            done = subprocess.run(
                [node, runner, absolute, export], input=json.dumps(
                    {"event": event, "context": context}), capture_output=True, text=True,
                timeout=timeout)
        except subprocess.TimeoutExpired:
            raise LambdaError(f"Task timed out after {timeout:g} seconds") from None
        lines = done.stdout.strip().splitlines()
        try:
            answer = json.loads(lines[-1]) if lines else {}
        except json.JSONDecodeError:
            answer = {}
        if done.returncode != 0 or "error" in answer:
            raise LambdaError(str(answer.get("error") or done.stderr.strip()[-500:]
                                  or f"node exited {done.returncode}"))
        return answer.get("result")
    return call


def _http(url: str) -> Target:
    base = url.rstrip("/")

    def call(event: dict[str, Any], arn: str, timeout: float) -> Any:
        # Lambda's Invoke API: POST /2015-03-31/functions/{FunctionName}/invocations
        request = urllib.request.Request(
            f"{base}/2015-03-31/functions/{quote(function_name(arn), safe='')}/invocations",
            data=json.dumps(event).encode(), method="POST",
            headers={"Content-Type": "application/json",
                     "X-Amz-Invocation-Type": "RequestResponse"})
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:
                body = response.read()
                failed = response.headers.get("X-Amz-Function-Error")
        except urllib.error.HTTPError as error:
            raise LambdaError(f"the Invoke API answered {error.code}: "
                              f"{error.read()[:500].decode(errors='replace')}") from None
        except TimeoutError:
            raise LambdaError(f"Task timed out after {timeout:g} seconds") from None
        except (urllib.error.URLError, OSError) as error:
            raise LambdaError(f"the Invoke API at {base} cannot be reached: {error}") from None
        if failed:
            raise LambdaError(f"{failed}: {body[:500].decode(errors='replace')}")
        try:
            return json.loads(body) if body else None
        except json.JSONDecodeError:
            raise LambdaError("the function's answer is not JSON") from None
    return call


def target(spec: str | Callable[..., Any]) -> Target:
    """A target from its spec: ``python:package.module:function``, ``node:PATH:EXPORT``,
    ``http(s)://...`` (the Invoke API's endpoint), or (in the mock) a Python callable."""
    if callable(spec):
        return _python(spec)
    kind, _, rest = spec.partition(":")
    if kind == "python":
        module, _, name = rest.rpartition(":")
        if not module or not name:
            raise ConfigError(f"not python:package.module:function: {spec!r}")
        try:
            handler = getattr(importlib.import_module(module), name)
        except (ImportError, AttributeError) as exc:
            raise ConfigError(f"cannot import {name} from {module}: {exc}") from None
        if not callable(handler):
            raise ConfigError(f"{module}:{name} is not a function")
        return _python(handler)
    if kind == "node":
        path, _, export = rest.rpartition(":")
        if not path:
            path, export = rest, "handler"
        return _node(path, export or "handler")
    if kind in ("http", "https"):
        if not urlsplit(spec).netloc:
            raise ConfigError(f"not a URL: {spec!r}")
        return _http(spec)
    raise ConfigError(f"a target is python:module:function, node:PATH:EXPORT or an http(s) "
                      f"URL, not {spec!r}")


class Lambdas:
    """The configured function ARN → target mapping of a service."""

    def __init__(self, mapping: Mapping[str, str | Callable[..., Any]] | None = None) -> None:
        self._targets: dict[str, Target] = {}
        for arn, spec in (mapping or {}).items():
            if not LAMBDA_ARN.match(arn):
                raise ConfigError(f"not a Lambda function ARN: {arn!r}")
            self._targets[arn] = target(spec)

    @classmethod
    def parse(cls, items: list[str]) -> Lambdas:
        """From ``ARN=TARGET`` items (each may hold several, comma-separated)."""
        mapping: dict[str, str] = {}
        for item in items:
            for pair in filter(None, (p.strip() for p in item.split(","))):
                arn, sep, spec = pair.partition("=")
                if not sep or not spec:
                    raise ConfigError(f"not ARN=TARGET: {pair!r}")
                mapping[arn.strip()] = spec.strip()
        return cls(mapping)

    def __contains__(self, arn: str) -> bool:
        return self._find(arn) is not None

    def _find(self, arn: str) -> Target | None:
        # An ARN invoked with a qualifier (:$LATEST, an alias) runs the unqualified mapping.
        return self._targets.get(arn) or self._targets.get(":".join(arn.split(":")[:7]))

    def invoke(self, arn: str, event: dict[str, Any], timeout: float) -> Any:
        found = self._find(arn)
        if found is None:
            raise LambdaError(f"no target is configured for {arn} (serve --lambda ARN=TARGET, "
                              "mock_connect(lambdas=...))")
        return found(event, arn, timeout)
