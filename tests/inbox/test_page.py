"""The examples of docs/inbox.md, run with the inbox app installed and a database.

tests/test_docs.py runs every other page; this one needs what tests/inbox/conftest.py sets
up (Django configured with the app, the tables migrated).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.test_docs import ROOT, run_markdown
from webhook_payloads.integrations.django.models import Delivery


def test_the_inbox_page_runs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    Delivery.objects.all().delete()
    monkeypatch.chdir(tmp_path)
    try:
        assert run_markdown(ROOT / "docs" / "inbox.md") >= 8
    finally:
        Delivery.objects.all().delete()
