"""``webhook-payloads send``: a signed sample POSTed to a server on 127.0.0.1 run by the test."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from webhook_payloads import SignatureError, anddone, parse
from webhook_payloads._cli import EXIT_CONFIG, EXIT_NOT_2XX, EXIT_UNAVAILABLE, main

SECRET = "send-secret-value"


@dataclass
class Received:
    """What the server got, and what it answers."""

    requests: list[tuple[str, str, bytes, dict[str, str]]] = field(default_factory=list)
    status: int = 200
    answer: bytes = b'{"ok": true}'
    extra_headers: dict[str, str] = field(default_factory=dict)


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length", "0"))
        body = self.rfile.read(length)
        self.server.received.requests.append(("POST", self.path, body, dict(self.headers)))
        self._answer()

    def do_GET(self) -> None:
        self.server.received.requests.append(("GET", self.path, b"", dict(self.headers)))
        self._answer()

    def _answer(self) -> None:
        received = self.server.received
        self.send_response(received.status)
        for name, value in received.extra_headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(received.answer)))
        self.end_headers()
        self.wfile.write(received.answer)

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - the base's name
        pass  # keep the test output clean


class _Server(ThreadingHTTPServer):
    received: Received


@pytest.fixture
def server() -> Iterator[tuple[str, Received]]:
    httpd = _Server(("127.0.0.1", 0), _Handler)
    httpd.received = Received()
    thread = threading.Thread(target=httpd.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}/hooks/payscore", httpd.received
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(timeout=5)


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_a_signed_sample_reaches_the_app_and_verifies(
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    server: tuple[str, Received],
) -> None:
    url, received = server
    monkeypatch.setenv("PAYSCORE_SECRET", SECRET)
    argv = ["send", url, "payscore", "REPORT_READY", "--secret-env", "PAYSCORE_SECRET"]
    code, out, err = run(capsys, *argv, "--field", "report_type=asset")
    assert (code, err) == (0, "")
    assert out == '200 OK\n{"ok": true}\n'
    [(method, path, body, headers)] = received.requests
    assert (method, path) == ("POST", "/hooks/payscore")
    assert headers["Content-Type"] == "application/json"
    event = parse("payscore", body, headers, secret=SECRET)
    assert event.report_type == "asset"
    with pytest.raises(SignatureError):
        parse("payscore", body, headers, secret="another secret")
    assert SECRET not in out + err


def test_an_event_without_a_documented_example_is_sent_as_a_minimal_body(
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    server: tuple[str, Received],
) -> None:
    url, received = server
    monkeypatch.setenv("CONNECT_SECRET", SECRET)
    argv = ["send", url, "mastercard_connect", "discovered", "--secret-env", "CONNECT_SECRET"]
    code, out, err = run(capsys, *argv)
    assert out.startswith("200 ")
    assert code == 0
    assert "--field" not in err  # no field was given, so none is blamed
    assert "publishes no example of discovered; sending a minimal body" in err
    [(_, _, body, headers)] = received.requests
    event = parse("mastercard_connect", body, headers, secret=SECRET)
    assert event.event_type == "discovered"


def test_field_values_are_json_when_they_parse_else_text(
    capsys: pytest.CaptureFixture[str], server: tuple[str, Received]
) -> None:
    url, received = server
    fields = [
        *("--field", "status=failure"),  # not JSON: the text
        *("--field", 'customer_id="1005061234"'),  # a JSON string: digits kept as text
        *("--field", "report_custom_fields__0__shown=true"),  # JSON: a boolean
    ]
    code, _, err = run(capsys, "send", url, "mastercard", "done", *fields)
    assert code == 0, err
    [(_, _, body, headers)] = received.requests
    data = json.loads(body)
    assert data["status"] == "failure"
    assert data["customerId"] == "1005061234"
    assert data["reportCustomFields"][0]["shown"] is True
    event = parse("mastercard", body, headers)
    assert event.customer_id == "1005061234"


def test_anddone_is_signed_in_the_body_under_the_named_scheme(
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    server: tuple[str, Received],
) -> None:
    url, received = server
    key = "6b" * 32
    monkeypatch.setenv("ANDDONE_KEY", key)
    name = "body_without_signature:hex_decoded"
    argv = ["send", url, "anddone", "ReportGenerated", "--secret-env", "ANDDONE_KEY"]
    code, _, err = run(capsys, *argv)
    assert code == EXIT_CONFIG
    assert name in err
    assert received.requests == []
    code, _, err = run(capsys, *argv, "--signature-scheme", name)
    assert code == 0, err
    [(_, _, body, headers)] = received.requests
    scheme = anddone.SignatureScheme.from_name(name)
    assert parse("anddone", body, headers, secret=key, signature_scheme=scheme).event_code == (
        "ReportGenerated"
    )
    assert key not in err


@pytest.mark.parametrize("status", [400, 401, 500])
def test_an_answer_other_than_2xx_is_printed_and_exits_1(
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    server: tuple[str, Received],
    status: int,
) -> None:
    url, received = server
    received.status = status
    received.answer = b'{"error": "invalid webhook signature"}'
    monkeypatch.setenv("PAYSCORE_SECRET", SECRET)
    argv = ["send", url, "payscore", "REPORT_READY", "--secret-env", "PAYSCORE_SECRET"]
    code, out, _ = run(capsys, *argv)
    assert code == EXIT_NOT_2XX == 1
    assert out.startswith(f"{status} ")
    assert out.endswith('\n{"error": "invalid webhook signature"}\n')


def test_a_redirect_is_shown_not_followed(
    capsys: pytest.CaptureFixture[str], server: tuple[str, Received]
) -> None:
    url, received = server
    received.status = 301
    received.answer = b""
    received.extra_headers = {"Location": "/hooks/payscore/"}
    code, out, _ = run(capsys, "send", url, "mastercard", "done")
    assert code == EXIT_NOT_2XX
    assert out == "301 Moved Permanently\nLocation: /hooks/payscore/\n"
    assert [method for method, *_ in received.requests] == ["POST"]


def test_a_long_answer_is_cut(
    capsys: pytest.CaptureFixture[str], server: tuple[str, Received]
) -> None:
    url, received = server
    received.answer = b"x" * (64 * 1024 + 10)
    code, out, _ = run(capsys, "send", url, "mastercard", "done")
    assert code == 0
    lines = out.splitlines()
    assert lines[0] == "200 OK"
    assert lines[1] == "x" * 64 * 1024
    assert lines[2] == "(the body goes on; the first 65536 bytes are shown)"


def test_no_answer_exits_69(
    capsys: pytest.CaptureFixture[str], server: tuple[str, Received]
) -> None:
    url, _ = server
    # A port that was just free: nothing listens there.
    free = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    port = free.server_address[1]
    free.server_close()
    code, out, err = run(
        capsys, "send", f"http://127.0.0.1:{port}/?token=t0k3n", "mastercard", "done"
    )
    assert code == EXIT_UNAVAILABLE == 69
    assert out == ""
    assert err.startswith("error: no answer from the URL: ")
    assert "t0k3n" not in err
    assert url  # the fixture's server is untouched


def test_a_silent_app_times_out(capsys: pytest.CaptureFixture[str]) -> None:
    import socket

    with socket.socket() as listener:  # accepts connections, never answers
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        port = listener.getsockname()[1]
        argv = ["send", f"http://127.0.0.1:{port}/", "mastercard", "done", "--timeout", "0.2"]
        code, _, err = run(capsys, *argv)
    assert code == EXIT_UNAVAILABLE
    assert "timed out" in err


def test_a_provider_that_signs_needs_a_secret(
    capsys: pytest.CaptureFixture[str], server: tuple[str, Received]
) -> None:
    url, received = server
    code, _, err = run(capsys, "send", url, "payscore", "REPORT_READY")
    assert code == EXIT_CONFIG
    assert "--secret-env VAR" in err
    assert received.requests == []


def test_a_secret_for_mastercard_is_a_configuration_error_as_documented(
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    server: tuple[str, Received],
) -> None:
    url, received = server
    monkeypatch.setenv("MC_SECRET", "cli-secret-value")
    code, _, err = run(capsys, "send", url, "mastercard", "done", "--secret-env", "MC_SECRET")
    assert code == EXIT_CONFIG == 78
    assert "mastercard does not sign its webhook bodies; drop --secret-env" in err
    assert "cli-secret-value" not in err
    assert received.requests == []


def test_an_unset_secret_variable_is_named(
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    server: tuple[str, Received],
) -> None:
    url, _ = server
    monkeypatch.delenv("NOT_SET_ANYWHERE", raising=False)
    argv = ["send", url, "payscore", "REPORT_READY", "--secret-env", "NOT_SET_ANYWHERE"]
    code, _, err = run(capsys, *argv)
    assert code == EXIT_CONFIG
    assert "NOT_SET_ANYWHERE is not set" in err


def test_a_secret_that_cannot_sign_is_a_configuration_error(
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    server: tuple[str, Received],
) -> None:
    url, received = server
    monkeypatch.setenv("PAYSCORE_SECRET", "   ")
    argv = ["send", url, "payscore", "REPORT_READY", "--secret-env", "PAYSCORE_SECRET"]
    code, _, err = run(capsys, *argv)
    assert code == EXIT_CONFIG
    assert "ConfigurationError" in err
    assert received.requests == []


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["file:///etc/passwd", "mastercard", "done"], "URL must start with http://"),
        (["http://127.0.0.1:9/", "mastercard", "nope"], "mastercard has no event 'nope'"),
        (["http://127.0.0.1:9/", "mastercard", "done", "--field", "x"], "--field number 1"),
        (["http://127.0.0.1:9/", "mastercard", "done", "--field", "=1"], "--field number 1"),
        (
            ["http://127.0.0.1:9/", "mastercard", "done", "--field", "a=1", "--field", "a=2"],
            "--field a is given twice",
        ),
        (["http://127.0.0.1:9/", "mastercard", "done", "--field", "no_such=1"], "--field: "),
        (
            ["http://127.0.0.1:9/", "payscore", "REPORT_READY", "--signature-scheme", "x"],
            "drop --signature-scheme",
        ),
        (["http://127.0.0.1:9/", "mastercard", "done", "--timeout", "0"], "positive number"),
        (["http://127.0.0.1:9/", "mastercard", "done", "--timeout", "nan"], "positive number"),
    ],
    ids=[
        "file-url",
        "unknown-event",
        "field-without-equals",
        "field-without-key",
        "field-twice",
        "unknown-field",
        "scheme-for-one-scheme",
        "timeout-0",
        "timeout-nan",
    ],
)
def test_usage_errors_exit_2_and_send_nothing(
    capsys: pytest.CaptureFixture[str], argv: list[str], message: str
) -> None:
    with pytest.raises(SystemExit) as info:
        main(["send", *argv])
    assert info.value.code == 2
    err = capsys.readouterr().err
    assert "usage: webhook-payloads send" in err
    assert message in err
