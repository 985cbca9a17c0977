"""Shared fixtures: payload files and seed documents."""

from __future__ import annotations

from pathlib import Path

import pytest

PAYLOADS = Path(__file__).parent / "payloads"
SEEDS = Path(__file__).resolve().parents[2] / "shared" / "seeds"


def payload_files(provider: str) -> list[Path]:
    """Every payload file of ``provider``, sorted, for parametrising tests."""
    return sorted((PAYLOADS / provider).glob("*.json"))


@pytest.fixture
def secret() -> str:
    return "whsec-test-0123456789"
