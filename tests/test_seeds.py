"""Every JSON example in the providers' own pages is a test file, byte for byte, and parses."""

from __future__ import annotations

import json
import os

import pytest

from webhook_payloads import parse
from webhook_payloads._registry import get_spec, registered_providers

from .conftest import PAYLOADS, SEEDS

SEED_PROVIDERS = {
    "000_be3eb9394ed13bd0.txt": "mastercard",
    "001_8601ef23d880299d.txt": "payscore",
    "002_8860f26e11283900.txt": "anddone",
    "003_2af7395691610c91.txt": "payscore_v1",
}


def json_examples(text: str) -> list[str]:
    """The JSON objects in a documentation page: each starts with a line that is just ``{``."""
    examples: list[str] = []
    lines = text.splitlines(keepends=True)
    for start, line in enumerate(lines):
        if line.strip() != "{":
            continue
        chunk = "".join(lines[start:])
        decoder = json.JSONDecoder()
        try:
            _, end = decoder.raw_decode(chunk)
        except json.JSONDecodeError:
            continue
        examples.append(chunk[:end])
    # Keep only the outermost objects: a nested "{" line lies inside an earlier example.
    return [e for e in examples if not any(e != o and e in o for o in examples)]


def test_extractor_finds_nested_objects_once() -> None:
    page = 'text\n{\n "a": {\n  "b": 1\n },\n "c": "x"\n}\nmore\n{\n"d": [1]\n}\n'
    assert json_examples(page) == ['{\n "a": {\n  "b": 1\n },\n "c": "x"\n}', '{\n"d": [1]\n}']


def seed_cases() -> list[object]:
    if not SEEDS.is_dir():  # pragma: no cover - the seeds sit beside the repository in CI
        if os.environ.get("CI"):
            raise RuntimeError(f"CI must have the provider documents at {SEEDS}")
        return [pytest.param(None, None, marks=pytest.mark.skip(reason="seeds not present"))]
    cases: list[object] = []
    for seed, provider in SEED_PROVIDERS.items():
        examples = json_examples((SEEDS / seed).read_text(encoding="utf-8"))
        for index, example in enumerate(examples):
            marks = []
            if provider not in registered_providers():
                marks.append(pytest.mark.skip(reason=f"{provider} not registered"))
            cases.append(pytest.param(provider, example, id=f"{provider}-{index}", marks=marks))
    return cases


@pytest.mark.parametrize(("provider", "example"), seed_cases())
def test_seed_example_is_a_payload_file_and_parses(provider: str, example: str) -> None:
    data = example.encode("utf-8")
    files = list((PAYLOADS / provider).glob("*.json"))
    assert any(f.read_bytes().rstrip(b"\n") == data for f in files), (
        "every documented example must be kept verbatim under tests/payloads/"
    )
    event = parse(provider, data, verify=False)
    assert event.event_type == json.loads(example)[get_spec(provider).discriminator]


def test_every_seed_page_has_examples() -> None:
    if not SEEDS.is_dir():  # pragma: no cover
        pytest.skip("seeds not present")
    counts = {
        provider: len(json_examples((SEEDS / seed).read_text(encoding="utf-8")))
        for seed, provider in SEED_PROVIDERS.items()
    }
    assert counts == {"mastercard": 10, "payscore": 3, "anddone": 1, "payscore_v1": 15}
