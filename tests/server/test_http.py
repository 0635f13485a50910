"""The HTTP/1.1 transport over a raw socket: keep-alive, pipelining in order, HEAD, Expect,
malformed requests, and the Date header."""

from __future__ import annotations

import socket
import uuid
from email.utils import parsedate_to_datetime
from urllib.parse import urlparse

import orjson

from ..serverproc import ServerProcess

# An account of these tests' own (a 12-digit key id is its account): nothing else lists in it.
AUTH = ("Authorization: AWS4-HMAC-SHA256 Credential=246813579024/20250101/us-east-1/connect/"
        "aws4_request, SignedHeaders=host, Signature=0\r\n")


def _connect(server: ServerProcess) -> socket.socket:
    url = urlparse(server.url)
    sock = socket.create_connection((url.hostname, url.port), timeout=10)
    return sock


def _read_responses(sock: socket.socket, count: int) -> list[tuple[int, dict[str, str], bytes]]:
    data = b""
    responses: list[tuple[int, dict[str, str], bytes]] = []
    while len(responses) < count:
        while b"\r\n\r\n" not in data:
            chunk = sock.recv(65536)
            assert chunk, f"connection closed after {len(responses)} responses"
            data += chunk
        head, data = data.split(b"\r\n\r\n", 1)
        lines = head.decode("latin-1").split("\r\n")
        status = int(lines[0].split()[1])
        headers = {k.lower(): v.strip() for k, _, v in (h.partition(":") for h in lines[1:])}
        if status == 100:
            continue
        length = int(headers.get("content-length", "0"))
        while len(data) < length:
            data += sock.recv(65536)
        responses.append((status, headers, data[:length]))
        data = data[length:]
    return responses


def test_pipelined_reads_and_writes_answer_in_order(server: ServerProcess) -> None:
    sock = _connect(server)
    body = b'{"IdentityManagementType": "CONNECT_MANAGED", "InstanceAlias": "pipelined", ' \
           b'"InboundCallsEnabled": true, "OutboundCallsEnabled": true}'
    requests = (
        b"GET /instance HTTP/1.1\r\nHost: x\r\n" + AUTH.encode() + b"\r\n"
        + b"PUT /instance HTTP/1.1\r\nHost: x\r\n" + AUTH.encode()
        + b"Content-Length: %d\r\n\r\n" % len(body) + body
        + b"GET /no/such/route HTTP/1.1\r\nHost: x\r\n\r\n"
        + b"GET /instance HTTP/1.1\r\nHost: x\r\n" + AUTH.encode() + b"\r\n"
    )
    sock.sendall(requests)
    (s1, _, b1), (s2, h2, b2), (s3, h3, _), (s4, _, b4) = _read_responses(sock, 4)
    sock.close()
    assert (s1, s2, s3, s4) == (200, 200, 404, 200)
    assert h3["x-amzn-errortype"] == "UnknownOperationException"
    created = orjson.loads(b2)["Id"]
    # The write (answered from a worker thread) came back between the reads, in order.
    assert created not in {i["Id"] for i in orjson.loads(b1)["InstanceSummaryList"]}
    assert created in {i["Id"] for i in orjson.loads(b4)["InstanceSummaryList"]}
    assert h2["x-amzn-requestid"]


def test_date_header_and_head(server: ServerProcess) -> None:
    sock = _connect(server)
    sock.sendall(b"HEAD /instance HTTP/1.1\r\nHost: x\r\n" + AUTH.encode() + b"\r\n"
                 b"GET /instance HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
                 + AUTH.encode() + b"\r\n")
    data = b""
    while chunk := sock.recv(65536):
        data += chunk
    sock.close()
    head, rest = data.split(b"\r\n\r\n", 1)
    assert head.startswith(b"HTTP/1.1 200 OK")
    headers = dict(line.split(": ", 1) for line in head.decode().split("\r\n")[1:])
    assert parsedate_to_datetime(headers["date"]).tzinfo is not None
    # HEAD has no body: the next bytes are the second response, which closes the connection.
    assert rest.startswith(b"HTTP/1.1 200 OK") and b"connection: close" in rest


def test_expect_100_continue(server: ServerProcess) -> None:
    sock = _connect(server)
    sock.sendall(b"PUT /contact/task HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\n"
                 b"Content-Length: 2\r\n" + AUTH.encode() + b"\r\n")
    assert sock.recv(100).startswith(b"HTTP/1.1 100 Continue")
    sock.sendall(b"{}")
    ((status, headers, body),) = _read_responses(sock, 1)
    sock.close()
    assert status == 400 and headers["x-amzn-errortype"] == "InvalidParameterException"
    assert b"InstanceId" in body


def test_malformed_http_is_a_400_and_the_server_goes_on(server: ServerProcess) -> None:
    sock = _connect(server)
    sock.sendall(b"NOT HTTP AT ALL\r\n\r\n")
    ((status, headers, body),) = _read_responses(sock, 1)
    sock.close()
    assert status == 400 and orjson.loads(body)["Message"].startswith("Malformed HTTP request")
    assert headers["connection"] == "close"
    status, _ = server.admin("GET", "health")
    assert status == 200


def test_reads_arriving_together_each_get_their_own_answer(server: ServerProcess) -> None:
    """Reads that arrive in one turn of the event loop are answered together at its end:
    each connection gets its own answer, a connection gone before it is skipped, and
    `Connection: close` still closes after the answer."""
    ids = [str(uuid.uuid4()) for _ in range(24)]
    socks = [_connect(server) for _ in ids]
    for n, (sock, instance) in enumerate(zip(socks, ids, strict=True)):
        close = b"Connection: close\r\n" if n % 4 == 1 else b""
        sock.sendall(b"GET /instance/%s HTTP/1.1\r\nHost: x\r\n%s%s\r\n"
                     % (instance.encode(), AUTH.encode(), close))
        if n % 4 == 3:
            sock.close()  # gone before its answer
    for n, (sock, instance) in enumerate(zip(socks, ids, strict=True)):
        if n % 4 == 3:
            continue
        ((status, headers, body),) = _read_responses(sock, 1)
        assert status == 404 and headers["x-amzn-errortype"] == "ResourceNotFoundException"
        assert instance in orjson.loads(body)["Message"]
        if n % 4 == 1:
            assert headers["connection"] == "close" and sock.recv(1) == b""
        sock.close()
    status, _ = server.admin("GET", "health")
    assert status == 200
