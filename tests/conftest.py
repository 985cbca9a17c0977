"""Shared fixtures: payload files and seed documents."""

from __future__ import annotations

from pathlib import Path

import pytest

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
