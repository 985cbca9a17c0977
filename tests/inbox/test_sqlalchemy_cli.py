"""``webhook-payloads inbox replay|prune --app module:inbox``, run as users run it."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from sqlalchemy import create_engine, select

from webhook_payloads._cli import main
from webhook_payloads.integrations import _inbox
from webhook_payloads.integrations.sqlalchemy import deliveries, metadata

from ..integrations._kit import SECRET, signed

APP = textwrap.dedent(
    """
    import os
    from flask import Flask
    from sqlalchemy import create_engine
    from webhook_payloads.integrations.flask import webhook_handler
    from webhook_payloads.integrations.sqlalchemy import Inbox

    inbox = Inbox(create_engine(os.environ["INBOX_DATABASE"]))
    app = Flask(__name__)


    @app.post("/hooks/payscore")
    @webhook_handler("payscore", secret={secret!r}, inbox=inbox, name="hooks.payscore")
    def payscore_hook(event):
        if os.environ.get("HANDLER_FAILS"):
            raise RuntimeError("down")
        with open(os.environ["HANDLER_CALLS"], "a") as calls:
            calls.write(event.event_type + "\\n")
    """
).format(secret=SECRET)


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An app module in a folder of its own, one failed delivery in its inbox.

    The module is imported afresh in each test (its inbox is on that test's database), and
    its receiver registered again under its name: a new handler for a known name would be a
    clash, so the registry forgets the old one.
    """
    monkeypatch.delitem(sys.modules, "hooks_app", raising=False)
    monkeypatch.setattr(sys, "path", list(sys.path))  # the command adds the folder to it
    monkeypatch.setattr(_inbox, "_registry", {})
    (tmp_path / "hooks_app.py").write_text(APP)
    url = f"sqlite:///{tmp_path / 'app.sqlite3'}"
    metadata.create_all(create_engine(url))
    env = {"INBOX_DATABASE": url, "HANDLER_CALLS": str(tmp_path / "calls.txt")}
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    body, headers = signed("payscore", "REPORT_READY")
    sent = subprocess.run(
        [sys.executable, "-c", SEND],
        input=body,
        cwd=tmp_path,
        env={
            **os.environ,
            "HANDLER_FAILS": "1",
            "SIGNATURE": headers["Verification-Signature"],
        },
        capture_output=True,
        check=False,
    )
    assert sent.stdout == b"500", sent.stderr
    monkeypatch.chdir(tmp_path)
    return tmp_path


SEND = """
import os, sys
from hooks_app import app
answer = app.test_client().post(
    "/hooks/payscore",
    data=sys.stdin.buffer.read(),
    headers={"Verification-Signature": os.environ["SIGNATURE"]},
)
sys.stdout.write(str(answer.status_code))
"""


def statuses(folder: Path) -> list[str]:
    engine = create_engine(f"sqlite:///{folder / 'app.sqlite3'}")
    with engine.connect() as connection:
        found = list(connection.execute(select(deliveries.c.status)).scalars())
    engine.dispose()
    return found


def test_replay_then_prune_from_the_command_line(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert statuses(project) == ["failed"]
    assert main(["inbox", "replay", "--app", "hooks_app:inbox", "--provider", "payscore"]) == 0
    out, err = capsys.readouterr()
    assert out == "1 selected: 1 processed, 0 failed, 0 invalid, 0 skipped\n"
    assert err == "replay: 1/1 rows (1 selected: 1 processed, 0 failed, 0 invalid, 0 skipped)\n"
    assert statuses(project) == ["processed"]
    assert (project / "calls.txt").read_text() == "REPORT_READY\n"

    assert main(["inbox", "prune", "--app", "hooks_app:inbox", "--older-than", "0"]) == 0
    assert capsys.readouterr().out == "1 rows received more than 0 days ago deleted\n"
    assert statuses(project) == []


def test_replay_selects_by_status_receiver_time_and_id(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    for selection in (
        ["--status", "invalid"],
        ["--receiver", "someone.else"],
        ["--since", "2999-01-01"],
        ["--until", "2000-01-01T00:00:00+00:00"],
        ["--id", "999"],
    ):
        assert main(["inbox", "replay", "--app", "hooks_app:inbox", *selection]) == 0
        assert capsys.readouterr().out.startswith("0 selected"), selection
    assert main(["inbox", "replay", "--app", "hooks_app:inbox", "--id", "1"]) == 0
    assert capsys.readouterr().out.startswith("1 selected: 1 processed")


@pytest.mark.parametrize(
    ("app", "message"),
    [
        ("hooks_app", "--app must be module:attribute"),
        ("no_such_module:inbox", "cannot import no_such_module"),
        ("hooks_app:nothing", "has no attribute 'nothing'"),
        ("hooks_app:app", "is a Flask, not an inbox"),
    ],
)
def test_a_wrong_app_is_a_configuration_error(
    project: Path, capsys: pytest.CaptureFixture[str], app: str, message: str
) -> None:
    assert main(["inbox", "replay", "--app", app]) == 78
    assert message in capsys.readouterr().err


def test_bad_options_are_usage_errors(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["inbox", "replay", "--app", "hooks_app:inbox", "--since", "yesterday"])
    assert exited.value.code == 2
    assert "not an ISO 8601 time" in capsys.readouterr().err
    assert main(["inbox", "replay", "--app", "hooks_app:inbox", "--status", "lost"]) == 78
    assert "unknown status 'lost'" in capsys.readouterr().err
