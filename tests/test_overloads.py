"""A provider is added in one place: its package and its registry entry.

The per-provider overloads of ``parse()``, ``Webhook`` and the receivers are written by
``tools/gen_overloads.py`` from the registry; these tests fail when they are stale, and when
code outside the registry starts to list every provider by hand.
"""

from __future__ import annotations

import ast
import importlib.util
import sys
import types
from pathlib import Path

import pytest

from webhook_payloads._registry import get_spec, registered_providers

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "src" / "webhook_payloads"


def _load_tool() -> types.ModuleType:
    spec = importlib.util.spec_from_file_location(
        "gen_overloads", ROOT / "tools" / "gen_overloads.py"
    )
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while being built
    spec.loader.exec_module(module)
    return module


gen = _load_tool()


def test_generated_overloads_are_current() -> None:
    stale = sorted(str(path.relative_to(ROOT)) for path in gen.stale())
    assert not stale, (
        f"The generated overloads of {', '.join(stale)} are out of date with the provider "
        "registry; run: python tools/gen_overloads.py"
    )


def test_the_types_come_from_the_registry_and_the_provider_packages() -> None:
    found = {types_.id: types_ for types_ in gen.provider_types()}
    assert list(found) == [provider.value for provider in registered_providers()]
    assert found["payscore"].union == "PayscoreEvent"
    assert found["payscore_v1"].literal == 'Literal["payscore_v1", Provider.PAYSCORE_V1]'
    assert found["anddone"].imports == ("AndDoneEvent", "SignatureScheme")
    assert [p.id for p in found.values() if p.callback] == ["mastercard"]
    assert [p.id for p in found.values() if p.scheme] == ["anddone"]
    for provider in registered_providers():
        module = sys.modules[f"webhook_payloads.{found[provider.value].package}"]
        assert getattr(module, found[provider.value].union) is get_spec(provider).union


def test_a_new_provider_gets_its_overloads_from_its_registry_entry_alone() -> None:
    # What the tool writes for one more provider, without touching any file.
    new = gen.ProviderTypes(
        id="acme", member="ACME", package="acme", union="AcmeEvent", scheme=None, callback=False
    )
    providers = [*gen.provider_types(), new]
    for target in gen.TARGETS:
        text = (PACKAGE / target.path).read_text(encoding="utf-8")
        rendered = gen.render(target, text, providers)
        assert f"{'.' * len(Path(target.path).parts)}acme import AcmeEvent\n" in rendered
        assert rendered.count('Literal["acme", Provider.ACME]') == 2, target.path
        assert "AcmeEvent | UnknownEvent" in rendered
        # Nothing outside the generated blocks changes.
        assert gen.render(target, rendered, gen.provider_types()) == text


def test_a_stale_block_is_reported_with_the_command_to_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    copy = tmp_path / "webhook_payloads"
    for target in gen.TARGETS:
        path = copy / target.path
        path.parent.mkdir(parents=True, exist_ok=True)
        text = (PACKAGE / target.path).read_text(encoding="utf-8")
        path.write_text(text.replace("PayscoreV1Event | UnknownEvent", "PayscoreV1Event"))
    monkeypatch.setattr(gen, "PACKAGE", copy)
    monkeypatch.setattr(gen, "ROOT", tmp_path)
    assert gen.main(["--check"]) == 1
    out = capsys.readouterr().out
    assert "stale: webhook_payloads/_parse.py" in out
    assert "Run: python tools/gen_overloads.py" in out
    assert gen.main([]) == 0
    assert gen.main(["--check"]) == 0


def _generated_lines(source: str) -> set[int]:
    """The 1-based line numbers inside generated blocks (markers included)."""
    inside, lines = False, set()
    for number, line in enumerate(source.splitlines(), start=1):
        if line.strip().startswith("# BEGIN generated"):
            inside = True
        if inside:
            lines.add(number)
        if line.strip().startswith("# END generated"):
            inside = False
    return lines


def _mentions(path: Path, names: dict[str, set[str]]) -> set[str]:
    """The providers whose id, enum member, package or union the code of ``path`` names.

    Docstrings and other bare strings (documentation, not code) and the generated blocks
    are left out.
    """
    source = path.read_text(encoding="utf-8")
    skip = _generated_lines(source)
    tree = ast.parse(source)
    prose = {
        id(node.value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant)
    }
    words: set[str] = set()
    for node in ast.walk(tree):
        if getattr(node, "lineno", None) in skip or id(node) in prose:
            continue
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            words.add(node.value)
        elif isinstance(node, ast.Name):
            words.add(node.id)
        elif isinstance(node, ast.Attribute):
            words.add(node.attr)
        elif isinstance(node, ast.alias):
            words.update(node.name.split("."))
        elif isinstance(node, ast.ImportFrom) and node.module:
            words.update(node.module.split("."))
    return {provider for provider, spelled in names.items() if spelled & words}


def test_only_the_registry_lists_every_provider() -> None:
    # A file whose code names every provider is a hand-kept list of them, which each new
    # provider would have to join; the registry is the one such list.
    names = {
        p.id: {p.id, p.member, p.package, p.union, f"webhook_payloads.{p.package}"}
        for p in gen.provider_types()
    }
    packages = {PACKAGE / p.package for p in gen.provider_types()}
    listing = sorted(
        str(path.relative_to(PACKAGE))
        for path in PACKAGE.rglob("*.py")
        if not any(path.is_relative_to(package) for package in packages)
        and _mentions(path, names) == set(names)
    )
    assert listing == ["_registry.py"]
