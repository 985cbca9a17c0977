"""The docs build's generated pages: event tables and reference pages come from the models."""

from __future__ import annotations

import importlib.util
import logging
import types
from datetime import datetime
from enum import Enum
from pathlib import Path
from typing import Annotated, Any, ClassVar, Literal

import pytest
from pydantic import ConfigDict, Field
from pydantic.alias_generators import to_camel

from webhook_payloads import EventModel, Provider, WebhookEvent
from webhook_payloads import _schema as schema_module
from webhook_payloads._registry import ProviderSpec, get_spec, registered_providers

ROOT = Path(__file__).resolve().parent.parent


def _load_hooks() -> types.ModuleType:
    spec = importlib.util.spec_from_file_location("docs_hooks", ROOT / "tools" / "docs_hooks.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


hooks = _load_hooks()
PROVIDERS = [p.value for p in registered_providers()]


class Color(Enum):
    RED = "red"


class Inner(EventModel):
    """A nested object."""

    size: int


class Outer(EventModel):
    items: list[Inner]


@pytest.mark.parametrize(
    ("annotation", "expected"),
    [
        (str, "str"),
        (str | None, "str | None"),
        (None | str, "str | None"),
        (Literal["a", "b"] | str, '"a" | "b" | str'),
        (Literal[Color.RED], "Color.RED"),
        (Literal[1], "1"),
        (Annotated[int, Field(gt=0)], "int"),
        (list[str], "list[str]"),
        (dict[str, Any], "dict[str, Any]"),
        (tuple[int, ...], "tuple[int, ...]"),
        (datetime | None, "datetime | None"),
        (Inner | None, "Inner | None"),
    ],
)
def test_type_names_read_like_annotations(annotation: object, expected: str) -> None:
    assert hooks.type_name(annotation) == expected


def test_nested_models_are_collected_once() -> None:
    nested: list[type] = []
    assert hooks.type_name(list[Inner], nested) == "list[Inner]"
    assert hooks.type_name(Inner | None, nested) == "Inner | None"
    assert nested == [Inner]


def test_nested_models_are_linked_and_collected() -> None:
    nested: list[type] = []
    rows = hooks.field_table(Outer, nested, None, "p")
    assert rows[2] == "| `items` | `items` | `list[Inner]` | yes | See [`Inner`](#p-inner). |"
    assert nested == [Inner]


@pytest.mark.parametrize(
    ("name", "anchor"),
    [
        ("inProgress", "mastercard-inprogress"),
        ("ReportGenerated", "mastercard-reportgenerated"),
        ("NO_BANK", "mastercard-no-bank"),
        ("a.b c", "mastercard-a-b-c"),
    ],
)
def test_anchors_are_valid_ids(name: str, anchor: str) -> None:
    assert hooks._anchor("mastercard", name) == anchor


@pytest.mark.parametrize(
    ("docstring", "expected"),
    [
        ("See :attr:`bank_name`.", "See `bank_name`."),
        ("A :class:`~webhook_payloads.Provider`.", "A `Provider`."),
        ("``a | b`` or c | d", "`a | b` or c \\| d"),
        ("Two\n  lines.", "Two lines."),
        (None, ""),
    ],
)
def test_docstrings_become_one_table_safe_line(docstring: str | None, expected: str) -> None:
    assert hooks.markdown_text(docstring) == expected


@pytest.mark.parametrize("provider", PROVIDERS)
def test_event_tables_list_every_event_and_field(provider: str) -> None:
    spec = get_spec(provider)
    text = hooks.event_tables(provider)
    for event_type, cls in spec.event_classes.items():
        assert f"### `{event_type}`" in text
        assert f"[`{cls.__name__}`][webhook_payloads.{provider}.{cls.__name__}]" in text
        for name, info in cls.model_fields.items():
            wire = info.alias or name
            assert f"| `{name}` | `{wire}` |" in text, (event_type, name)


def test_payscore_table_shows_types_optionality_and_docstrings() -> None:
    text = hooks.event_tables("payscore")
    assert (
        '| `report_type` | `report_type` | `"income"` \\| `"asset"` \\| `"identity"` '
        "\\| `str` | yes "
        "| `income`, `asset` or `identity`; other values are accepted as sent. |"
    ) in text
    assert "| `applicant_id` | `applicant_id` | `str` \\| `None` | no (default `None`) |" in text
    assert '| `code` | `code` | `"REPORT_READY"` | yes | The event type. |' in text
    assert "**Idempotency key:** `payscore:REPORT_READY:<report_id>`." in text


def test_classes_link_to_their_api_entry_only_when_exported() -> None:
    from webhook_payloads.payscore_v1 import Applicant, BankEvent

    assert hooks._ref(Applicant) == "[`Applicant`][webhook_payloads.payscore_v1.Applicant]"
    assert hooks._ref(BankEvent) == "[`BankEvent`][webhook_payloads.payscore_v1.BankEvent]"
    assert hooks._ref(Inner) == "`Inner`"


def test_payscore_v1_table_documents_nested_personal_data() -> None:
    text = hooks.event_tables("payscore_v1")
    assert "### `Applicant` { #payscore-v1-applicant }" in text
    assert "| `value` | `value` | `Applicant` | yes | Who was added or removed" in text
    assert "See [`Applicant`](#payscore-v1-applicant). |" in text
    assert "| `applicant_email` | `applicant_email` | `str` | yes | Personal data" in text
    assert "**Properties:** `bank_name`: The applicant's bank" in text


def test_marker_is_replaced_by_the_tables() -> None:
    page = types.SimpleNamespace(file=types.SimpleNamespace(src_uri="p.md"))
    markdown = "# Payscore\n\n## Events\n\n<!-- events-table: payscore -->\n\nAfter.\n"
    out = hooks.on_page_markdown(markdown, page=page, config={}, files=[])
    assert out.startswith(
        "# Payscore\n\n## Events\n\n<!-- events-table: payscore -->\n\nEvery event below"
    )
    assert "| [`REPORT_READY`](#payscore-report-ready) |" in out
    assert out.endswith("\n<!-- end events-table: payscore -->\n\nAfter.\n")


def test_every_page_holds_its_current_tables() -> None:
    # The tables are written into the pages so that they read on a code host too.
    stale = hooks.write_tables(check=True)
    assert stale == [], "run: python tools/docs_hooks.py --write"
    for provider in PROVIDERS:
        page = (ROOT / "docs" / "providers" / f"{provider}.md").read_text(encoding="utf-8")
        assert f"<!-- events-table: {provider} -->\n\nEvery event below" in page
        assert f"<!-- end events-table: {provider} -->" in page


def test_write_fills_new_markers_replaces_stale_tables_and_keeps_the_rest(
    tmp_path: Path,
) -> None:
    new = tmp_path / "new.md"
    new.write_text("# New\n\n<!-- events-table: payscore -->\n\nAfter.\n", encoding="utf-8")
    stale = tmp_path / "sub" / "stale.md"
    stale.parent.mkdir()
    stale.write_text(
        "Before.\n<!-- events-table: payscore_v1 -->\nold table\n"
        "<!-- end events-table: payscore_v1 -->\nAfter.\n",
        encoding="utf-8",
    )
    other = tmp_path / "other.md"
    other.write_text("No marker.\n<!-- end events-table: payscore -->\n", encoding="utf-8")
    assert hooks.write_tables(tmp_path, check=True) == [new, stale]
    assert "old table" in stale.read_text(encoding="utf-8")  # --check writes nothing
    assert hooks.write_tables(tmp_path) == [new, stale]
    assert hooks.write_tables(tmp_path) == []  # written once, current after
    assert hooks.write_tables(tmp_path, check=True) == []
    text = stale.read_text(encoding="utf-8")
    assert text.startswith("Before.\n<!-- events-table: payscore_v1 -->\n\nEvery event below")
    assert "old table" not in text
    assert text.endswith("\n<!-- end events-table: payscore_v1 -->\nAfter.\n")
    assert text == hooks.render_tables(text)
    new_text = new.read_text(encoding="utf-8")
    assert new_text.count("<!-- end events-table: payscore -->") == 1
    assert new_text.endswith("<!-- end events-table: payscore -->\n\nAfter.\n")
    assert other.read_text(encoding="utf-8") == "No marker.\n<!-- end events-table: payscore -->\n"


def test_the_command_writes_and_checks(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "docs").mkdir()
    page = tmp_path / "docs" / "p.md"
    page.write_text("<!-- events-table: payscore -->\n", encoding="utf-8")
    monkeypatch.setattr(hooks, "DOCS", tmp_path / "docs")
    assert hooks.main(["--check"]) == 1
    assert capsys.readouterr().out == "stale: docs/p.md\n"
    assert hooks.main(["--write"]) == 0
    assert capsys.readouterr().out == "written: docs/p.md\n"
    assert hooks.main(["--check"]) == 0
    assert capsys.readouterr().out == ""


def test_stale_tables_fail_the_strict_build(caplog: pytest.LogCaptureFixture) -> None:
    page = types.SimpleNamespace(file=types.SimpleNamespace(src_uri="p.md"))
    stale = "<!-- events-table: payscore -->\nold\n<!-- end events-table: payscore -->\n"
    with caplog.at_level(logging.WARNING, logger="mkdocs.plugins.webhook_payloads"):
        out = hooks.on_page_markdown(stale, page=page)
    assert "old" not in out.splitlines()  # the site shows the tables of the models
    assert "p.md: the event tables are out of date" in caplog.text
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="mkdocs.plugins.webhook_payloads"):
        assert hooks.on_page_markdown(out, page=page) == out
    assert caplog.text == ""


def test_marker_for_a_provider_not_in_this_version_is_a_note(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(hooks, "registered_providers", lambda: [Provider.PAYSCORE])
    page = types.SimpleNamespace(file=types.SimpleNamespace(src_uri="p.md"))
    out = hooks.on_page_markdown("<!-- events-table: payscore_v1 -->\n", page=page)
    assert out.startswith('<!-- events-table: payscore_v1 -->\n\n!!! note "Not in this version"')


def test_marker_naming_no_provider_warns(caplog: pytest.LogCaptureFixture) -> None:
    page = types.SimpleNamespace(file=types.SimpleNamespace(src_uri="p.md"))
    with caplog.at_level(logging.WARNING, logger="mkdocs.plugins.webhook_payloads"):
        out = hooks.on_page_markdown("<!-- events-table: paysocre -->\n", page=page)
    assert out == "<!-- events-table: paysocre -->\n"
    assert "p.md: events-table marker names 'paysocre'" in caplog.text


def test_a_provider_on_no_page_fails_the_strict_build(caplog: pytest.LogCaptureFixture) -> None:
    config = {"nav": [{"API reference": []}]}
    hooks.on_config(config)  # a new build: nothing seen yet
    page = types.SimpleNamespace(file=types.SimpleNamespace(src_uri="p.md"))
    hooks.on_page_markdown("<!-- events-table: payscore -->\n", page=page)
    with caplog.at_level(logging.WARNING, logger="mkdocs.plugins.webhook_payloads"):
        hooks.on_post_build(config)
    missing = [p for p in PROVIDERS if p != "payscore"]
    for provider in missing:
        assert f"<!-- events-table: {provider} -->" in caplog.text
    assert "events-table: payscore -->" not in caplog.text


def test_reference_pages_follow_the_registry() -> None:
    pages = hooks.reference_pages()
    for provider in PROVIDERS:
        title, markdown = pages[f"reference/providers/{provider}.md"]
        assert title == f"webhook_payloads.{provider}"
        assert f"::: webhook_payloads.{provider}\n" in markdown


def test_generated_pages_join_the_nav_once() -> None:
    section: list[Any] = ["reference/index.md"]
    config = {"nav": [{"Home": "index.md"}, {"API reference": section}]}
    hooks.on_config(config)
    hooks.on_config(config)  # mkdocs serve rebuilds with the same config
    paths = [next(iter(item.values())) for item in section[1:]]
    assert paths == list(hooks.reference_pages())


def test_a_nav_without_the_reference_section_warns(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, logger="mkdocs.plugins.webhook_payloads"):
        hooks.on_config({"nav": [{"Home": "index.md"}]})
    assert "no nav section 'API reference'" in caplog.text


def test_mkdocs_config_uses_the_hooks_and_lists_every_page() -> None:
    # Every Markdown page is in the nav (the strict build also checks, but only where it runs).
    config = (ROOT / "mkdocs.yml").read_text(encoding="utf-8")
    assert "  - tools/docs_hooks.py\n" in config
    for page in sorted((ROOT / "docs").rglob("*.md")):
        assert f" {page.relative_to(ROOT / 'docs').as_posix()}\n" in config, page


# --- a provider shaped like Mastercard and AndDone: camelCase wire names, nesting ----------


class _Camel(EventModel):
    model_config = ConfigDict(alias_generator=to_camel)


class _Attachment(_Camel):
    """A file the report links to."""

    file_name: str
    """Its name."""


class _Report(_Camel):
    """The report the event is about."""

    report_id: str
    attachments: list[_Attachment] = Field(default_factory=list)


class _Done(WebhookEvent, _Camel):
    """A report is done."""

    provider: ClassVar[str] = "camel"
    event_type_field: ClassVar[str] = "event_name"

    event_name: Literal["done"]
    customer_id: str
    """Whose report."""
    sent_at: datetime | None = None
    report: _Report


class _Failed(WebhookEvent, _Camel):
    """A report failed."""

    provider: ClassVar[str] = "camel"
    event_type_field: ClassVar[str] = "event_name"

    event_name: Literal["failed"]


def _camel_spec() -> ProviderSpec:
    union = Annotated[_Done | _Failed, Field(discriminator="event_name")]
    return ProviderSpec(Provider.MASTERCARD, union, "eventName", None, "unsigned")


def test_camel_case_provider_tables(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(hooks, "get_spec", lambda _provider: _camel_spec())
    text = hooks.event_tables("mastercard")
    assert '| `event_name` | `eventName` | `"done"` | yes | The event type. |' in text
    assert "| `customer_id` | `customerId` | `str` | yes | Whose report. |" in text
    assert "| `sent_at` | `sentAt` | `datetime` \\| `None` | no (default `None`) |  |" in text
    assert (
        "| `attachments` | `attachments` | `list[_Attachment]` | no "
        "| See [`_Attachment`](#mastercard-attachment). |"
    ) in text
    assert (
        "| `report` | `report` | `_Report` | yes | See [`_Report`](#mastercard-report). |" in text
    )
    assert "### `_Report` { #mastercard-report }" in text
    # Not exported by a package: named, not linked (a dead link fails the strict build).
    assert "| [`done`](#mastercard-done) | `_Done` | A report is done. |" in text
    assert "### `_Attachment` { #mastercard-attachment }" in text  # nested twice over
    # Events that keep the base class's key say nothing rather than something generic.
    assert "Idempotency key" not in text
    assert "| `file_name` | `fileName` | `str` | yes | Its name. |" in text


def test_camel_case_provider_schema(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(schema_module, "get_spec", lambda _provider: _camel_spec())
    schema = schema_module.json_schema("mastercard")
    done = schema["$defs"]["_Done"]["properties"]
    assert done["customerId"]["description"] == "Whose report."
    assert schema["$defs"]["_Attachment"]["properties"]["fileName"]["description"] == "Its name."
    assert schema["discriminator"]["propertyName"] == "eventName"


def test_the_home_page_links_every_provider_page() -> None:
    index = (ROOT / "docs" / "index.md").read_text(encoding="utf-8")
    pages = sorted((ROOT / "docs" / "providers").glob("*.md"))
    assert len(pages) >= len(PROVIDERS)
    for page in pages:
        assert f"](providers/{page.name})" in index, page.name


@pytest.mark.parametrize(
    ("type_text", "cell"),
    [
        ("str", "`str`"),
        ('"ACH" | str | None', '`"ACH"` \\| `str` \\| `None`'),
        ("tuple[ConnectPayload, ...] | None", "`tuple[ConnectPayload, ...]` \\| `None`"),
        ("dict[str, int | None]", "`dict[str, int | None]`"),  # only a top-level union splits
        ('"a | b" | str', '`"a | b"` \\| `str`'),  # nor does a literal's text
    ],
)
def test_each_union_member_is_a_code_span_of_its_own(type_text: str, cell: str) -> None:
    # The site keeps each code span whole: a cell wraps between members, never inside one.
    assert hooks._cell_code(type_text) == cell
