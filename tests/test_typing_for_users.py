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
