"""The hardened HTTP/1.1 transport over raw sockets: every complete request before a bad one
is answered in order, then the refusal; Connection: close in a pipeline; the head, body and
keep-alive timeouts; the request-target, header and body limits (414, 431, 413); Expect:
100-continue only for a body that will be read and never ahead of an earlier answer; Host."""

from __future__ import annotations

import contextlib
import socket
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import orjson
import pytest

from connectlocal.server.http import MAX_BODY, MAX_HEAD, MAX_HEADERS, MAX_TARGET

from ..conftest import client_for, new_instance
from ..serverproc import ServerProcess, tmp_db

# An account of these tests' own (a 12-digit key id is its account): nothing else lists in it.
ACCOUNT = "135792468024"
AUTH = (f"Authorization: AWS4-HMAC-SHA256 Credential={ACCOUNT}/20250101/us-east-1/connect/"
        "aws4_request, SignedHeaders=host, Signature=0\r\n").encode()
SHORT = 0.5  # the timeouts of the ``quick`` server, in seconds

Answer = tuple[int, dict[str, str], bytes]


@pytest.fixture(scope="module")
def quick(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    """A server with half-second head, body and keep-alive timeouts."""
    proc = ServerProcess(tmp_db(tmp_path_factory.mktemp("quick")),
                         "--head-timeout", str(SHORT), "--body-timeout", str(SHORT),
                         "--keep-alive-timeout", str(SHORT)).start()
    yield proc
    proc.stop()


@pytest.fixture(scope="module")
def instance(server: ServerProcess) -> dict[str, Any]:
    return new_instance(client_for(server.url, key=ACCOUNT))


def _connect(server: ServerProcess) -> socket.socket:
    url = urlparse(server.url)
    return socket.create_connection((url.hostname, url.port), timeout=15)


def _read_all(sock: socket.socket) -> bytes:
    """Everything until the server closes its side."""
    data = b""
    while chunk := sock.recv(65536):
        data += chunk
    return data


def _parse(data: bytes) -> list[Answer]:
    """The responses in a byte stream, interim (100) ones included, in order."""
    answers: list[Answer] = []
    while data:
        head, sep, data = data.partition(b"\r\n\r\n")
        assert sep, f"a response head did not end: {head[:200]!r}"
        lines = head.decode("latin-1").split("\r\n")
        status = int(lines[0].split()[1])
        headers = {k.lower(): v.strip() for k, _, v in (h.partition(":") for h in lines[1:])}
        length = int(headers.get("content-length", "0"))
        assert len(data) >= length, "a response body was cut short"
        answers.append((status, headers, data[:length]))
        data = data[length:]
    return answers


def _exchange(server: ServerProcess, data: bytes) -> list[Answer]:
    """Sends ``data`` on a new connection and reads the answers until the server closes."""
    sock = _connect(server)
    sock.sendall(data)
    answers = _parse(_read_all(sock))
    sock.close()
    return answers


def _message(body: bytes) -> str:
    message: str = orjson.loads(body)["Message"]
    return message


def _get(path: str, *extra: bytes) -> bytes:
    return b"GET %s HTTP/1.1\r\nHost: x\r\n%s%s\r\n" % (path.encode(), AUTH, b"".join(extra))


def _task_request(instance: dict[str, Any], name: str) -> bytes:
    body = orjson.dumps({"InstanceId": instance["id"], "Name": name,
                         "ContactFlowId": instance["flows"]["Default inbound"]})
    return (b"PUT /contact/task HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            + AUTH + b"Content-Length: %d\r\n\r\n" % len(body) + body)


def _rss_kib(server: ServerProcess) -> int:
    assert server.proc is not None
    for line in Path(f"/proc/{server.proc.pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise AssertionError("no VmRSS")


# Requests before a bad one, and after Connection: close


def test_a_write_then_junk_is_answered_then_refused(server: ServerProcess,
                                                     instance: dict[str, Any]) -> None:
    """The task is created and the client is told so, then the junk gets its 400."""
    answers = _exchange(server, _task_request(instance, "before junk")
                        + _get(f"/instance/{instance['id']}") + b"\x00\x01 NOT HTTP\r\n\r\n")
    assert [status for status, _, _ in answers] == [200, 200, 400]
    (_, _, task), (_, _, described), (_, refused_headers, refused) = answers
    assert orjson.loads(described)["Instance"]["Id"] == instance["id"]
    assert _message(refused).startswith("Malformed HTTP request")
    assert refused_headers["connection"] == "close"
    contact_id = orjson.loads(task)["ContactId"]
    contact = client_for(server.url, key=ACCOUNT).describe_contact(
        InstanceId=instance["id"], ContactId=contact_id)["Contact"]
    assert contact["Name"] == "before junk" and contact["Channel"] == "TASK"


def test_three_reads_then_junk(server: ServerProcess, instance: dict[str, Any]) -> None:
    sock = _connect(server)
    path = f"/instance/{instance['id']}"
    sock.sendall(_get(path) * 3 + b"GARBAGE\r\n\r\n")
    answers = _parse(_read_all(sock))
    sock.close()
    assert [status for status, _, _ in answers] == [200, 200, 200, 400]
    assert all(orjson.loads(body)["Instance"]["Id"] == instance["id"]
               for _, _, body in answers[:3])


def test_pipelined_requests_up_to_connection_close_are_answered(
        server: ServerProcess, instance: dict[str, Any]) -> None:
    """10 reads, a read with Connection: close, 10 more: 11 answers, then the end."""
    sock = _connect(server)
    path = f"/instance/{instance['id']}"
    sock.sendall(_get(path) * 10 + _get(f"/instance/{instance['id']}x", b"Connection: close\r\n")
                 + _get(path) * 10)
    answers = _parse(_read_all(sock))
    sock.close()
    assert [status for status, _, _ in answers] == [200] * 10 + [400]
    assert answers[-1][1]["connection"] == "close"
    assert answers[-1][1]["x-amzn-errortype"] == "InvalidRequestException"  # the "x" id
    assert all("connection" not in headers for _, headers, _ in answers[:10])


def test_a_write_with_connection_close_behind_a_read(server: ServerProcess,
                                                     instance: dict[str, Any]) -> None:
    sock = _connect(server)
    write = _task_request(instance, "closing").replace(b"Host: x\r\n",
                                                       b"Host: x\r\nConnection: close\r\n")
    sock.sendall(_get(f"/instance/{instance['id']}") + write + _get("/instance"))
    answers = _parse(_read_all(sock))
    sock.close()
    assert [status for status, _, _ in answers] == [200, 200]
    assert "ContactId" in orjson.loads(answers[1][2])


def test_a_half_closed_client_still_gets_its_answers(server: ServerProcess,
                                                     instance: dict[str, Any]) -> None:
    sock = _connect(server)
    sock.sendall(_get(f"/instance/{instance['id']}") + _task_request(instance, "half-closed"))
    sock.shutdown(socket.SHUT_WR)
    answers = _parse(_read_all(sock))
    sock.close()
    assert [status for status, _, _ in answers] == [200, 200]


# Timeouts


def test_a_connection_that_sends_nothing_is_closed(quick: ServerProcess) -> None:
    sock = _connect(quick)
    began = time.monotonic()
    assert _read_all(sock) == b""  # closed without an answer: no request was begun
    assert time.monotonic() - began >= SHORT
    sock.close()


@pytest.mark.parametrize("sent", [b"GET /inst", b"GET /instance HTTP/1.1\r\nHost: x\r\n"])
def test_a_head_that_does_not_arrive_in_time_is_a_408(quick: ServerProcess, sent: bytes) -> None:
    sock = _connect(quick)
    began = time.monotonic()
    sock.sendall(sent)
    ((status, headers, body),) = _parse(_read_all(sock))
    assert time.monotonic() - began >= SHORT
    sock.close()
    assert status == 408 and headers["connection"] == "close"
    assert _message(body) == f"The request head did not arrive within {SHORT:g} s"


def test_slowloris_is_cut_off_although_bytes_keep_coming(quick: ServerProcess) -> None:
    sock = _connect(quick)
    sock.sendall(b"GET /instance HTTP/1.1\r\nHost: x\r\n")
    began = time.monotonic()
    answer = b""
    for n in range(100):  # a header byte every 50 ms: never a blank line
        try:
            sock.sendall(b"X-Slow-%d: y\r\n" % n)
        except (BrokenPipeError, ConnectionResetError):
            break
        sock.settimeout(0.05)
        try:
            answer = sock.recv(65536)
        except TimeoutError:
            continue
        break
    sock.settimeout(15)
    answer += _read_all(sock)
    elapsed = time.monotonic() - began
    sock.close()
    ((status, _, body),) = _parse(answer)
    assert status == 408 and "head" in _message(body)
    assert SHORT <= elapsed < 100 * 0.05


def test_a_body_that_does_not_arrive_in_time_is_a_408(quick: ServerProcess) -> None:
    ((status, headers, body),) = _exchange(
        quick, b"PUT /contact/task HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n0123456789")
    assert status == 408 and headers["connection"] == "close"
    assert _message(body) == f"The request body did not arrive within {SHORT:g} s"


def test_an_idle_keep_alive_connection_is_closed(quick: ServerProcess) -> None:
    sock = _connect(quick)
    for _ in range(3):  # within the timeout the connection is reused
        sock.sendall(_get("/no/such/route"))
        time.sleep(SHORT / 5)
    data = b""
    while data.count(b"HTTP/1.1 404") < 3:
        data += sock.recv(65536)
    began = time.monotonic()
    rest = _read_all(sock)
    assert time.monotonic() - began >= SHORT / 2
    sock.close()
    assert rest == b""  # idle: closed without a 408
    assert [status for status, _, _ in _parse(data)] == [404, 404, 404]


# Limits


def test_a_request_target_over_the_limit_is_a_414(server: ServerProcess) -> None:
    ((status, headers, body),) = _exchange(
        server, b"GET /instance?x=" + b"a" * (1024 * 1024) + b" HTTP/1.1\r\nHost: x\r\n\r\n")
    assert status == 414 and headers["connection"] == "close"
    assert str(MAX_TARGET) in _message(body)


def test_a_long_query_within_the_limit_is_answered(server: ServerProcess) -> None:
    ((status, headers, body),) = _exchange(
        server, _get("/instance?nextToken=" + "a" * 4096, b"Connection: close\r\n"))
    # ListInstances read the token, and refused it as the service does.
    assert status == 400 and headers["x-amzn-errortype"] == "InvalidRequestException"
    assert "NextToken" in _message(body)


def test_a_header_over_the_limit_is_a_431_and_is_not_buffered(server: ServerProcess) -> None:
    before = _rss_kib(server)
    sock = _connect(server)
    sock.sendall(b"GET /instance HTTP/1.1\r\nHost: x\r\nX-Big: ")
    chunk = b"b" * (1024 * 1024)
    answer = b""
    try:
        for _ in range(64):  # 64 MB: the server answers long before, and drops the rest
            sock.sendall(chunk)
    except (BrokenPipeError, ConnectionResetError):
        pass
    answer = _read_all(sock)
    sock.close()
    ((status, headers, body),) = _parse(answer)
    assert status == 431 and headers["connection"] == "close"
    assert _message(body) == f"Request header section larger than {MAX_HEAD} bytes"
    # Buffered whole, the header took ~100 MB; bounded, the reads take a few.
    assert _rss_kib(server) - before < 32 * 1024


def test_a_big_head_right_behind_a_body_is_a_431(server: ServerProcess,
                                                 instance: dict[str, Any]) -> None:
    """A head that arrives in the same read as the body before it is bounded too."""
    answers = _exchange(server, _task_request(instance, "before a big head")
                        + b"GET /instance HTTP/1.1\r\nHost: x\r\nX-Big: " + b"b" * 200_000
                        + b"\r\n\r\n")
    assert [status for status, _, _ in answers] == [200, 431]


def test_too_many_header_fields_is_a_431(server: ServerProcess) -> None:
    sock = _connect(server)
    fields = b"".join(b"X-F%d: v\r\n" % n for n in range(16_000))
    sock.sendall(b"GET /instance HTTP/1.1\r\nHost: x\r\n" + fields + b"\r\n")
    ((status, _, body),) = _parse(_read_all(sock))
    sock.close()
    assert status == 431 and _message(body) == f"More than {MAX_HEADERS} header fields"


def test_a_body_over_the_limit_is_a_413_before_it_is_sent(server: ServerProcess) -> None:
    ((status, headers, body),) = _exchange(
        server, b"PUT /contact/task HTTP/1.1\r\nHost: x\r\nContent-Length: 104857600\r\n\r\n"
                b"0123456789")
    assert status == 413 and headers["connection"] == "close"
    assert _message(body) == (f"Request body of 104857600 bytes is over the limit of {MAX_BODY}"
                              " bytes (10 MiB)")


def test_a_chunked_body_is_a_413_when_it_crosses_the_limit(server: ServerProcess) -> None:
    sock = _connect(server)
    sock.sendall(b"PUT /contact/task HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n")
    chunk = b"100000\r\n" + b"{" * 0x100000 + b"\r\n"
    try:
        for _ in range(MAX_BODY // 0x100000 + 2):
            sock.sendall(chunk)
    except (BrokenPipeError, ConnectionResetError):
        pass
    ((status, _, body),) = _parse(_read_all(sock))
    sock.close()
    assert status == 413 and str(MAX_BODY) in _message(body)


def test_a_client_that_sends_an_oversized_body_anyway_reads_the_413(
        server: ServerProcess) -> None:
    """The server reads and drops the body after its answer, so the client is not reset
    before it reads it (urllib sends the whole body first)."""
    request = urllib.request.Request(f"{server.url}/contact/task", data=b" " * (MAX_BODY + 1),
                                     method="PUT")
    with pytest.raises(urllib.error.HTTPError) as raised:
        urllib.request.urlopen(request, timeout=30)
    assert raised.value.code == 413
    assert str(MAX_BODY) in orjson.loads(raised.value.read())["Message"]


def test_memory_is_given_back_after_refused_bodies(server: ServerProcess) -> None:
    before = _rss_kib(server)
    for _ in range(20):
        sock = _connect(server)
        sock.sendall(b"PUT /contact/task HTTP/1.1\r\nHost: x\r\n"
                     b"Content-Length: %d\r\n\r\n" % (MAX_BODY + 1))
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            sock.sendall(b" " * (MAX_BODY + 1))
        assert _parse(_read_all(sock))[0][0] == 413
        sock.close()
    assert _rss_kib(server) - before < 32 * 1024


# Expect: 100-continue and Host


def test_100_continue_is_not_sent_for_a_body_that_will_be_refused(server: ServerProcess) -> None:
    answers = _exchange(server, b"PUT /contact/task HTTP/1.1\r\nHost: x\r\nExpect: 100-continue"
                                b"\r\nContent-Length: %d\r\n\r\n" % (MAX_BODY + 1))
    assert [status for status, _, _ in answers] == [413]


def test_100_continue_waits_for_the_answers_before_it(server: ServerProcess,
                                                      instance: dict[str, Any]) -> None:
    """A pipelined read and write, then a request that expects 100-continue: the 100 comes
    after the earlier answers, then the request's own."""
    sock = _connect(server)
    sock.sendall(_get(f"/instance/{instance['id']}") + _task_request(instance, "first")
                 + b"PUT /contact/task HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\n"
                 + AUTH + b"Content-Length: 2\r\n\r\n")
    data = b""
    while b"100 Continue" not in data:
        chunk = sock.recv(65536)
        assert chunk, "closed before the 100"
        data += chunk
    sock.sendall(b"{}")
    sock.shutdown(socket.SHUT_WR)
    answers = _parse(data + _read_all(sock))
    sock.close()
    assert [status for status, _, _ in answers] == [200, 200, 100, 400]
    assert answers[-1][1]["x-amzn-errortype"] == "InvalidParameterException"


def test_a_request_without_host_is_a_400(server: ServerProcess) -> None:
    ((status, headers, body),) = _exchange(
        server, b"GET /instance HTTP/1.1\r\n" + AUTH
                + b"Expect: 100-continue\r\nContent-Length: 2\r\n\r\n")
    assert status == 400 and headers["connection"] == "close"
    assert _message(body) == "An HTTP/1.1 request needs exactly one Host header"


def test_two_host_headers_are_a_400(server: ServerProcess) -> None:
    ((status, _, body),) = _exchange(
        server, b"GET /instance HTTP/1.1\r\nHost: x\r\nHost: y\r\n" + AUTH + b"\r\n")
    assert status == 400 and "Host" in _message(body)


def test_http_1_0_needs_no_host(server: ServerProcess) -> None:
    ((status, _, body),) = _exchange(server, b"GET /instance HTTP/1.0\r\n" + AUTH + b"\r\n")
    assert status == 200 and "InstanceSummaryList" in orjson.loads(body)
