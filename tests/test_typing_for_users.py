"""What a user's mypy sees, run as users run it: with a config of their own, no plugin."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

USER_CODE = """\
from webhook_payloads import Webhook, parse


def handle(body: bytes, lenient: bool) -> None:
    reveal_type(parse("payscore", body, verify=False))
    reveal_type(Webhook("mastercard").parse(body))
    reveal_type(Webhook("anddone", verify=False, allow_unknown=lenient).parse(body))
"""


def test_mypy_without_the_pydantic_plugin_checks_user_code(tmp_path: Path) -> None:
    # The library's modules once carried '# mypy: disable-error-code="pydantic-alias"', a
    # code only the pydantic plugin defines: mypy crashed (INTERNAL ERROR) on any user file
    # importing the package, unless the user happened to load that plugin.
    pytest.importorskip("mypy", exc_type=ImportError)
    (tmp_path / "user.py").write_text(USER_CODE)
    (tmp_path / "mypy.ini").write_text("[mypy]\n")
    done = subprocess.run(
        [sys.executable, "-m", "mypy", "--config-file=mypy.ini", "--strict", "user.py"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
        timeout=600,
    )
    output = done.stdout + done.stderr
    assert done.returncode == 0, output
    assert "INTERNAL ERROR" not in output
    notes = [line for line in done.stdout.splitlines() if "Revealed type" in line]
    assert len(notes) == 3, output
    assert "webhook_payloads.payscore._events.ReportReady" in notes[0]
    assert "webhook_payloads.mastercard._events.ReportDone" in notes[1]
    assert "webhook_payloads.anddone._events.ReportGenerated" in notes[2]
    assert "webhook_payloads._base.UnknownEvent" in notes[2]


WRONG_PROVIDER = """\
from django.http import HttpRequest
from webhook_payloads.integrations.django import webhook_view
from webhook_payloads.integrations.flask import webhook_handler
from webhook_payloads.mastercard import MastercardEvent
from webhook_payloads.payscore import PayscoreEvent

reveal_type(webhook_view("payscore"))
reveal_type(webhook_handler("mastercard", callback_key="k", allow_unknown=True))


@webhook_view("payscore")
def view(request: HttpRequest, event: MastercardEvent) -> None: ...


@webhook_view("payscore")
async def async_view(request: HttpRequest, event: MastercardEvent) -> None: ...


@webhook_handler("mastercard")
def handler(event: PayscoreEvent) -> None: ...
"""
# What mypy shows of each provider's union (it spells an alias out as its members).
PAYSCORE = "VerificationStarted | VerificationCompleted | ReportReady"
MASTERCARD = "ReportInProgress | ReportFailed | ReportDone | ReportPrimaryFieldUpdate"


def _errors(output: str, line: int) -> list[str]:
    return [text for text in output.splitlines() if f"user.py:{line}:" in text and "error" in text]


def test_mypy_names_the_provider_mismatch_of_a_handler(tmp_path: Path) -> None:
    # A handler typed for another provider's events: the message shows both providers' event
    # types, and not the awaitable a plain handler never returns (the async overload's).
    pytest.importorskip("mypy", exc_type=ImportError)
    (tmp_path / "user.py").write_text(WRONG_PROVIDER)
    (tmp_path / "mypy.ini").write_text("[mypy]\n")
    done = subprocess.run(
        [sys.executable, "-m", "mypy", "--config-file=mypy.ini", "--strict", "user.py"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
        timeout=600,
    )
    output = done.stdout + done.stderr
    assert done.returncode == 1, output
    notes = [line for line in done.stdout.splitlines() if "Revealed type" in line]
    assert "integrations.django._views.ViewDecorator[" in notes[0], output
    assert "payscore._events.ReportReady]" in notes[0], output
    assert "flask.CallbackHandlerDecorator[" in notes[1], output
    assert "mastercard._events.ReportDone" in notes[1], output
    assert "UnknownEvent]" in notes[1], output
    for line, expected, given in ((11, PAYSCORE, MASTERCARD), (15, PAYSCORE, MASTERCARD)):
        (error,) = [text for text in _errors(output, line) if "[arg-type]" in text]
        assert f"[HttpRequest, {given}]" in error, output
        assert f'expected "Callable[[HttpRequest, {expected}], ' in error, output
        assert "Awaitable" not in error, output
    (error,) = _errors(output, 19)
    assert f'incompatible type "Callable[[{PAYSCORE}], None]"' in error, output
    assert f'expected "Callable[[{MASTERCARD}], None]"' in error, output


def test_pyright_names_the_provider_mismatch_of_a_handler(tmp_path: Path) -> None:
    pytest.importorskip("pyright", exc_type=ImportError)
    (tmp_path / "user.py").write_text(WRONG_PROVIDER)
    done = subprocess.run(
        [sys.executable, "-m", "pyright", "--pythonpath", sys.executable, "user.py"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
        timeout=600,
    )
    output = done.stdout + done.stderr
    assert done.returncode == 1, output
    assert f'Type of "webhook_view("payscore")" is "ViewDecorator[{PAYSCORE}]"' in output
    assert f"CallbackHandlerDecorator[{MASTERCARD} | UnknownEvent]" in output
    for line in (11, 15):
        error = "\n".join(_block(output, line))
        assert 'Parameter 2: type "PayscoreEvent" is incompatible with type "MastercardEvent"' in (
            error
        ), output
        assert "Awaitable" not in error, output
    error = "\n".join(_block(output, 19))
    assert 'Parameter 1: type "MastercardEvent" is incompatible with type "PayscoreEvent"' in (
        error
    ), output


def _block(output: str, line: int) -> list[str]:
    """The lines of pyright's diagnostics at ``line``, each with its indented details."""
    found: list[str] = []
    keep = False
    for text in output.splitlines():
        if "user.py:" in text:
            keep = f"user.py:{line}:" in text
        if keep:
            found.append(text)
    return found
