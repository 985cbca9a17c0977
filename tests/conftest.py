"""Shared fixtures: payload files and seed documents."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import settings

# No per-example deadline: on shared, noisy machines a slow example (a first import, a GC
# pause) would fail a property that holds. Speed is measured in benchmarks/, never here.
settings.register_profile("webhook_payloads", deadline=None)
settings.load_profile("webhook_payloads")

PAYLOADS = Path(__file__).parent / "payloads"
SEEDS = Path(__file__).resolve().parents[2] / "shared" / "seeds"


def payload_files(provider: str) -> list[Path]:
    """Every payload file of ``provider`` that ``parse()`` accepts, sorted.

    These are the files directly in ``payloads/<provider>/``; bodies of event types the
    library does not know live in its ``unknown/`` subfolder (:func:`unknown_event_files`).
    """
    return sorted((PAYLOADS / provider).glob("*.json"))


def unknown_event_files(provider: str) -> list[Path]:
    """``provider``'s bodies of unknown event types (``parse()`` raises UnknownEventError)."""
    return sorted((PAYLOADS / provider / "unknown").glob("*.json"))


@pytest.fixture
def secret() -> str:
    return "whsec-test-0123456789"
