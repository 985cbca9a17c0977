"""The fuzz harness, run as a test: seeds, saved regressions, and a structure-aware sweep.

``fuzz/fuzz_parse.py`` needs atheris only to *fuzz*; its input decoding and checks are plain
Python, so the inputs it found, and random ones, are replayed here on every test run.
"""

from __future__ import annotations

import importlib.util
import json
import random
import sys
from pathlib import Path
from types import ModuleType

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

ROOT = Path(__file__).resolve().parents[2]
HARNESS = ROOT / "fuzz" / "fuzz_parse.py"


def _load() -> ModuleType:
    spec = importlib.util.spec_from_file_location("fuzz_parse", HARNESS)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["fuzz_parse"] = module
    spec.loader.exec_module(module)
    return module


fuzz = _load()
REGRESSIONS = sorted(p for p in (ROOT / "fuzz" / "regressions").glob("*") if p.suffix != ".md")
SEEDS = list(fuzz.seeds())


def test_there_is_a_seed_for_every_sample_and_mode() -> None:
    from ._providers import all_samples

    shapes = 2 * len(fuzz.NUMBER_SHAPES + fuzz.XML_SHAPES) * len(fuzz.PROVIDERS)  # both modes
    assert len(SEEDS) == 5 * len(all_samples()) + shapes + len(list(fuzz.shape_seeds()))
    assert {label for label, _ in fuzz.NUMBER_SHAPES} >= {"huge", "nan", "repeated-key"}


@pytest.mark.parametrize("data", [d for _, d in SEEDS], ids=[n for n, _ in SEEDS])
def test_seeds_pass_the_harness(data: bytes) -> None:
    fuzz.test_one_input(data)


@pytest.mark.parametrize("path", REGRESSIONS, ids=[p.name for p in REGRESSIONS])
def test_saved_fuzz_inputs_stay_fixed(path: Path) -> None:
    fuzz.test_one_input(path.read_bytes())


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.binary(max_size=600))
def test_random_inputs(data: bytes) -> None:
    fuzz.test_one_input(data)


@settings(max_examples=300, deadline=None)
@given(seed=st.integers(0, 2**32), which=st.integers(0, 10**6), steps=st.integers(1, 6))
def test_structure_aware_mutations(seed: int, which: int, steps: int) -> None:
    # The same JSON mutations the fuzzer's custom mutator makes, without libFuzzer.
    _, data = SEEDS[which % len(SEEDS)]
    head, body = data[:2], data[2:]
    try:
        document = json.loads(body)
    except ValueError:
        return  # the forged-header seeds are not JSON
    rng = random.Random(seed)
    for _ in range(steps):
        document = fuzz._mutate_json(document, rng)
    fuzz.test_one_input(head + json.dumps(document).encode())


def test_replay_runs_files_and_folders(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    count = fuzz.write_seeds(tmp_path / "corpus")
    assert count == len(SEEDS)
    fuzz.main(["--replay", str(tmp_path / "corpus")])
    assert f"replayed {count} inputs" in capsys.readouterr().out
    dictionary = tmp_path / "d.dict"
    assert fuzz.write_dictionary(dictionary) > 10
    assert all(line.startswith('"') for line in dictionary.read_text().splitlines())


def test_a_bad_outcome_is_reported() -> None:
    # The harness must fail loudly when parse() misbehaves, or the fuzzer finds nothing.
    original = fuzz.parse
    fuzz.parse = lambda *a, **k: (_ for _ in ()).throw(KeyError("boom"))
    try:
        with pytest.raises(KeyError):
            fuzz.test_one_input(SEEDS[0][1])
    finally:
        fuzz.parse = original


def test_the_secret_shapes_the_review_found_are_among_the_odd_values() -> None:
    # Each must be refused as a ConfigurationError wherever the fuzzer puts it.
    kinds = {type(value).__name__ for value in fuzz._ODD}
    assert {"dict", "set", "frozenset", "tuple_iterator"} <= kinds
    assert b"\x00" in fuzz._ODD
    assert any(isinstance(v, bytes) and v.endswith(b"\n") for v in fuzz._ODD)


def test_the_seeds_hold_the_shapes_that_got_through() -> None:
    names = {name for name, _ in SEEDS}
    assert "mastercard_connect-discovered-minimal-1" in names  # no published example
    assert "mastercard_connect-added-list-payload.accounts" in names  # a typed list
    assert "mastercard-done-long-ids" in names
    assert {f"anddone-amount-{label}-0" for label, _ in fuzz.AMOUNT_SHAPES} <= names
