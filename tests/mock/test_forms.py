"""mock_connect in every form moto users write (bare and called decorators, classes, context
managers, start/stop), and that no form leaves a handler behind when it ends."""

from __future__ import annotations

import asyncio
import unittest
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.exceptions import EndpointConnectionError
from botocore.hooks import HierarchicalEmitter

from connectlocal import mock as mock_module
from connectlocal import mock_connect

ORIGINAL_EMIT = HierarchicalEmitter._emit
NOWHERE = "http://127.0.0.1:9"  # nothing listens: a request that gets there was not mocked


def _client(endpoint_url: str | None = None) -> Any:
    return boto3.client("connect", region_name="us-east-1", endpoint_url=endpoint_url,
                        aws_access_key_id="k", aws_secret_access_key="s")


def _aliases(endpoint_url: str | None = None) -> list[str]:
    return sorted(i["InstanceAlias"] for i in
                  _client(endpoint_url).list_instances()["InstanceSummaryList"])


def _create(alias: str) -> str:
    created: str = _client().create_instance(
        IdentityManagementType="CONNECT_MANAGED", InstanceAlias=alias,
        InboundCallsEnabled=True, OutboundCallsEnabled=True)["Id"]
    return created


def _assert_nothing_left() -> None:
    """botocore as it was, no mock registered, and a Connect call goes to the network."""
    assert HierarchicalEmitter._emit is ORIGINAL_EMIT
    assert mock_module._active == []
    with pytest.raises(EndpointConnectionError):
        _client(NOWHERE).list_instances()


@mock_connect
def test_bare_decorator(tmp_path: Path) -> None:
    # pytest still sees the test's own signature (its fixtures) through the decorator.
    assert tmp_path.is_dir()
    _create("bare")
    assert _aliases() == ["bare"]


@mock_connect
async def _bare_coroutine() -> list[str]:
    await asyncio.sleep(0)
    _create("bare-async")
    return _aliases()


def test_bare_decorator_on_a_coroutine_function() -> None:
    assert asyncio.run(_bare_coroutine()) == ["bare-async"]
    assert asyncio.run(_bare_coroutine()) == ["bare-async"]  # fresh for each call
    _assert_nothing_left()


@mock_connect
class TestBareOnAClass:
    def test_one(self) -> None:
        _create("class-bare")
        assert _aliases() == ["class-bare"]

    def test_two_starts_empty(self) -> None:
        assert _aliases() == []


@mock_connect
class TestBareOnAClassWithSetupMethod:
    def setup_method(self, method: Any) -> None:
        self.instance = _create("from-setup")

    def teardown_method(self, method: Any) -> None:
        # Still answered here: the service lives until teardown_method has run.
        assert _aliases() == ["from-setup"]

    def test_seeded_by_setup_method(self) -> None:
        assert _client().describe_instance(InstanceId=self.instance)["Instance"][
            "InstanceAlias"] == "from-setup"


@mock_connect
class TestBareOnAUnittestCase(unittest.TestCase):
    def setUp(self) -> None:
        self.instance = _create("unit-bare")

    def tearDown(self) -> None:
        assert _aliases() == ["unit-bare"]

    def test_seeded_in_setup(self) -> None:
        assert _aliases() == ["unit-bare"]


def test_options_with_the_called_form() -> None:
    @mock_connect(clock="2025-01-02T03:04:05Z")
    def clocked() -> str:
        status, body = mock_module._active[-1].admin("GET", "clock")
        assert status == 200
        return body.decode()

    assert '"2025-01-02T03:04:05.000Z"' in clocked()
    _assert_nothing_left()


def test_anything_but_a_function_or_class_is_refused() -> None:
    with pytest.raises(TypeError) as caught:
        mock_connect(42)
    assert str(caught.value) == ("mock_connect takes keyword options only, or decorates a "
                                 "function or class (got int)")


def test_a_failing_unittest_setup_leaves_nothing() -> None:
    @mock_connect
    class Failing(unittest.TestCase):
        def setUp(self) -> None:
            _create("half-set-up")
            raise RuntimeError("setUp failed")

        def test_never_runs(self) -> None:
            raise AssertionError("unreachable")

    result = unittest.TestResult()
    unittest.defaultTestLoader.loadTestsFromTestCase(Failing).run(result)
    assert [str(error[1]).splitlines()[-1] for error in result.errors] == [
        "RuntimeError: setUp failed"]
    _assert_nothing_left()


def test_start_twice_then_stop_leaves_no_handler() -> None:
    mock = mock_connect()
    assert mock.start() is mock
    _create("kept")
    mock.start()  # idempotent: the same service goes on
    assert _aliases() == ["kept"]
    mock.stop()
    _assert_nothing_left()
    mock.stop()  # stopping a stopped mock does nothing
    _assert_nothing_left()
    with pytest.raises(RuntimeError, match="mock_connect is not started"):
        _ = mock.service


def test_stop_before_start_does_nothing() -> None:
    mock_connect().stop()
    _assert_nothing_left()


def test_a_mock_can_start_again_fresh_after_stop() -> None:
    mock = mock_connect()
    with mock:
        _create("first-life")
    with mock:
        assert _aliases() == []
    _assert_nothing_left()


def test_the_context_manager_is_reentrant() -> None:
    mock = mock_connect()
    with mock as outer:
        _create("outer")
        with mock as inner:
            assert inner is outer
            assert _aliases() == ["outer"]  # the same service, not a new one
            _create("inner")
        assert _aliases() == ["inner", "outer"]  # leaving the inner block ends nothing
    _assert_nothing_left()


def test_start_inside_a_with_block_outlives_it_until_stop() -> None:
    mock = mock_connect()
    with mock:
        mock.start()
        _create("started")
    assert _aliases() == ["started"]
    mock.stop()
    _assert_nothing_left()


def test_nested_mocks_answer_innermost_first_and_unwind() -> None:
    with mock_connect():
        _create("outer")
        with mock_connect():
            assert _aliases() == []
            _create("inner")
            assert _aliases() == ["inner"]
        assert _aliases() == ["outer"]
    _assert_nothing_left()


def test_stopping_out_of_order_leaves_nothing() -> None:
    first, second = mock_connect().start(), mock_connect().start()
    first.stop()
    _create("second")
    assert _aliases() == ["second"]
    second.stop()
    _assert_nothing_left()


def test_a_decorated_function_calling_itself() -> None:
    @mock_connect
    def depth(n: int) -> list[int]:
        _create(f"level-{n}")
        below = depth(n - 1) if n else []
        return [len(_aliases()), *below]

    # Each call is a fresh service of its own; the outer one is back when the inner returns.
    assert depth(2) == [1, 1, 1]
    _assert_nothing_left()


def test_a_failing_test_body_leaves_nothing() -> None:
    @mock_connect
    def fails() -> None:
        _create("boom")
        raise ValueError("the test failed")

    with pytest.raises(ValueError, match="the test failed"):
        fails()
    _assert_nothing_left()
