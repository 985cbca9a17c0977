"""The Django receiver under real servers on 127.0.0.1: gunicorn (WSGI) and uvicorn (ASGI).

Chunked bodies are where servers differ: gunicorn hands Django a stream with no length (marked
``wsgi.input_terminated``), and Django's ASGI handler reads a whole body before any view runs
unless ``limit_webhook_bodies`` wraps it. Each server runs in a process of its own, one per
module, and is stopped at the end; every socket operation has a timeout.
"""

from __future__ import annotations

import http.client
import json
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

pytest.importorskip("django")

from webhook_payloads.payscore import signed_headers
from webhook_payloads.testing import build_request

SITE = Path(__file__).parent
SECRET = "s3cr3t"  # as in _django_site
LIMIT = 1024
TIMEOUT = 10.0


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def _serve(command: list[str], port: int) -> Iterator[int]:
    log = tempfile.TemporaryFile()  # noqa: SIM115 - closed below, after the server
    server = subprocess.Popen(command, cwd=SITE, stdout=subprocess.DEVNULL, stderr=log)
    try:
        deadline = time.monotonic() + 30
        while True:
            if server.poll() is not None:
                log.seek(0)
                pytest.fail(f"the server exited: {log.read().decode(errors='replace')[-2000:]}")
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                if time.monotonic() > deadline:
                    pytest.fail("the server did not start within 30 s")
                time.sleep(0.1)
        yield port
    finally:
        server.terminate()
        try:
            server.wait(TIMEOUT)
        except subprocess.TimeoutExpired:  # pragma: no cover - a server that hangs
            server.kill()
            server.wait(TIMEOUT)
        log.close()


@pytest.fixture(scope="module")
def gunicorn() -> Iterator[int]:
    pytest.importorskip("gunicorn")
    port = _free_port()
    command = [sys.executable, "-m", "gunicorn", "--bind", f"127.0.0.1:{port}", "--workers", "1"]
    yield from _serve([*command, "--log-level", "warning", "_django_site:wsgi"], port)


@pytest.fixture(scope="module")
def uvicorn() -> Iterator[int]:
    pytest.importorskip("uvicorn")
    port = _free_port()
    command = [sys.executable, "-m", "uvicorn", "--host", "127.0.0.1", "--port", str(port)]
    yield from _serve([*command, "--log-level", "warning", "_django_site:asgi"], port)


def _signed() -> tuple[bytes, dict[str, str]]:
    body, _ = build_request("payscore", "VERIFICATION_STARTED")
    return body, signed_headers(body, SECRET)


def _post_chunked(
    port: int, path: str, pieces: list[bytes], headers: dict[str, str]
) -> tuple[int, bytes]:
    # http.client sends an iterable body chunked (Transfer-Encoding: chunked, no length).
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=TIMEOUT)
    try:
        connection.request("POST", path, body=iter(pieces), headers=headers)
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()


def _answer_before_the_body_ends(port: int, head: bytes, first: bytes) -> int:
    """Send the head and the start of a body, never its end; the status that comes back."""
    with socket.create_connection(("127.0.0.1", port), timeout=TIMEOUT) as connection:
        connection.sendall(head + first)
        # No more is sent: an answer now proves the server stopped reading at the limit.
        status_line = connection.makefile("rb").readline()
    return int(status_line.split()[1])


def _chunk(data: bytes) -> bytes:
    return b"%x\r\n%s\r\n" % (len(data), data)


# The webhook views of _django_site, all limited to LIMIT bytes: plain, and with an inbox.
LIMITED = ["/hooks/payscore", "/hooks/payscore-inbox", "/hooks/payscore-async-inbox"]


def _chunked_head(path: str) -> bytes:
    return (
        b"POST %s HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        b"Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"
    ) % path.encode()


@pytest.mark.parametrize("server", ["gunicorn", "uvicorn"])
def test_a_signed_chunked_body_is_read_and_parsed(
    server: str, request: pytest.FixtureRequest
) -> None:
    port: int = request.getfixturevalue(server)
    body, headers = _signed()
    pieces = [body[:10], body[10:40], body[40:]]
    status, answer = _post_chunked(port, "/hooks/payscore", pieces, headers)
    assert (status, json.loads(answer)) == (200, {"event_type": "VERIFICATION_STARTED"})


@pytest.mark.parametrize("path", LIMITED)
@pytest.mark.parametrize("server", ["gunicorn", "uvicorn"])
def test_a_chunked_body_over_the_limit_is_refused_before_it_ends(
    server: str, path: str, request: pytest.FixtureRequest
) -> None:
    port: int = request.getfixturevalue(server)
    first = b"".join(_chunk(b" " * 512) for _ in range(4))  # 2 KiB of a body that never ends
    assert _answer_before_the_body_ends(port, _chunked_head(path), first) == 413


@pytest.mark.parametrize("path", LIMITED)
def test_a_declared_length_over_the_limit_is_refused_before_the_body_under_asgi(
    uvicorn: int, path: str
) -> None:
    head = (
        b"POST %s HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        b"Content-Type: application/json\r\nContent-Length: 52428800\r\n\r\n"
    ) % path.encode()
    # 50 MiB declared, none of it sent: only a refusal before the body can answer.
    assert _answer_before_the_body_ends(uvicorn, head, b"") == 413


@pytest.mark.parametrize("server", ["gunicorn", "uvicorn"])
def test_a_body_with_its_length_and_other_routes_are_untouched(
    server: str, request: pytest.FixtureRequest
) -> None:
    port: int = request.getfixturevalue(server)
    body, headers = _signed()
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=TIMEOUT)
    try:
        connection.request("POST", "/hooks/payscore", body=body, headers=headers)
        response = connection.getresponse()
        assert (response.status, json.loads(response.read())) == (
            200,
            {"event_type": "VERIFICATION_STARTED"},
        )
        # Not a webhook view: no limit of ours applies to it.
        connection.request("POST", "/other", body=b"x" * (4 * LIMIT))
        response = connection.getresponse()
        assert (response.status, json.loads(response.read())) == (200, {"read": 4 * LIMIT})
    finally:
        connection.close()
