"""Event tables and API reference pages generated from the library itself.

Nothing here is kept by hand, so the docs cannot drift from the models:

* Each provider page holds its event tables between the lines
  ``<!-- events-table: PROVIDER -->`` and ``<!-- end events-table: PROVIDER -->``, written
  there from ``get_spec(PROVIDER).event_classes`` (every event type, its class, and every
  field with its attribute name, wire name, type, whether it is required, and its
  docstring; nested models get a table of their own), so the tables read on a code host too.
  ``python tools/docs_hooks.py --write`` rewrites them after a model changes (a lone begin
  line gets its tables and end line); ``--check`` lists the pages whose tables are stale.
  The test suite fails while any is.
* As MkDocs hooks: the site shows the tables generated at build time, and one API reference
  page per registered provider (``reference/providers/<id>.md``), one for
  ``webhook_payloads.testing`` and one per module of ``webhook_payloads.integrations`` when
  those exist, are added to the site and to the "API reference" section of the nav.

With ``mkdocs build --strict`` these are errors: a page whose tables are stale, a registered
provider whose events appear on no page, and a marker naming a provider the library does
not know.
"""

from __future__ import annotations

import argparse
import importlib.util
import inspect
import logging
import pkgutil
import re
import sys
import types
import typing
from collections.abc import Iterator
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from enum import Enum
from pathlib import Path
from typing import Any

from pydantic import BaseModel
from pydantic.fields import FieldInfo

from webhook_payloads import Provider, WebhookEvent
from webhook_payloads._registry import get_spec, registered_providers
from webhook_payloads._schema import attribute_docstrings

__all__ = [
    "event_tables",
    "main",
    "on_config",
    "on_files",
    "on_page_markdown",
    "on_post_build",
    "reference_pages",
    "type_name",
    "write_tables",
]

log = logging.getLogger("mkdocs.plugins.webhook_payloads")

MARKER = re.compile(
    r"^<!--\s*events-table:\s*(?P<provider>[\w.-]+)\s*-->[ \t]*\n"
    r"(?:.*?^<!--\s*end events-table:\s*(?P=provider)\s*-->[ \t]*\n?)?",
    re.MULTILINE | re.DOTALL,
)
"""A provider's tables: the begin line, then what was generated up to its end line, if any."""

DOCS = Path(__file__).resolve().parent.parent / "docs"
"""The pages ``--write`` and ``--check`` go through."""

REFERENCE_SECTION = "API reference"
"""The nav section that generated reference pages are appended to."""

_SIMPLE_NAMES: dict[object, str] = {
    type(None): "None",
    datetime: "datetime",
    date: "date",
    time: "time",
    timedelta: "timedelta",
    Decimal: "Decimal",
    Any: "Any",
}

_seen_providers: set[str] = set()


# --- type names ----------------------------------------------------------------------------


def type_name(  # noqa: PLR0911 - one return per kind of annotation reads best
    annotation: object, nested: list[type[BaseModel]] | None = None
) -> str:
    """A short, readable name for a field's annotation, as a user would write it.

    Args:
        annotation: The annotation (``FieldInfo.annotation``).
        nested: When given, every model class met inside the annotation is appended to it,
            so the caller can document nested objects too.
    """
    if annotation in _SIMPLE_NAMES:
        return _SIMPLE_NAMES[annotation]
    origin = typing.get_origin(annotation)
    args = typing.get_args(annotation)
    if origin is typing.Annotated:
        return type_name(args[0], nested)
    if origin is typing.Literal:
        return " | ".join(_literal(value) for value in args)
    if origin is typing.Union or origin is types.UnionType:
        return " | ".join(_union_members(args, nested))
    if origin is not None:
        name = getattr(origin, "__name__", str(origin))
        inner = ", ".join("..." if a is Ellipsis else type_name(a, nested) for a in args)
        return f"{name}[{inner}]" if args else name
    alias_value = getattr(annotation, "__value__", None)
    if alias_value is not None:  # a PEP 695 / typing_extensions TypeAliasType
        return str(getattr(annotation, "__name__", type_name(alias_value, nested)))
    if isinstance(annotation, type):
        if nested is not None and issubclass(annotation, BaseModel) and annotation not in nested:
            nested.append(annotation)
        return annotation.__name__
    return str(annotation).replace("typing.", "")


def _union_members(args: tuple[object, ...], nested: list[type[BaseModel]] | None) -> list[str]:
    # Literals spread over several union members read better as one run: "a" | "b" | str.
    names = [type_name(a, nested) for a in args if a is not type(None)]
    if type(None) in args:
        names.append("None")
    return names


def _literal(value: object) -> str:
    if isinstance(value, Enum):
        return f"{type(value).__name__}.{value.name}"
    if isinstance(value, str):
        return f'"{value}"'
    return repr(value)


# --- docstrings ----------------------------------------------------------------------------


def markdown_text(docstring: str | None) -> str:
    """A docstring as one line of Markdown: reST roles and double backticks become code."""
    if not docstring:
        return ""
    text = " ".join(line.strip() for line in docstring.strip().splitlines() if line.strip())
    text = re.sub(r":\w+:`~?([^`]+)`", lambda m: f"`{m[1].rsplit('.', 1)[-1]}`", text)
    text = re.sub(r"``([^`]+)``", r"`\1`", text)
    # A pipe ends a table cell, except inside a code span: escape the others.
    parts = re.split(r"(`[^`]*`)", text)
    return "".join(p if p.startswith("`") else p.replace("|", "\\|") for p in parts)


def own_doc(cls: type) -> str:
    """A class's own docstring as one line of Markdown (never a base class's)."""
    return markdown_text(inspect.cleandoc(cls.__doc__) if cls.__doc__ else None)


def summary(docstring: str | None) -> str:
    """The first paragraph of a docstring, as one line of Markdown."""
    if not docstring:
        return ""
    return markdown_text(inspect.cleandoc(docstring).split("\n\n", 1)[0])


# --- event tables --------------------------------------------------------------------------


def _cell_code(text: str) -> str:
    # One code span per member of a top-level union, joined by an escaped pipe: a cell
    # wraps between the members, and each one stays whole (the site's CSS keeps code in
    # table cells on one line). A long open enum so never stretches the table.
    members: list[str] = []
    depth = start = 0
    quoted = False
    for at, char in enumerate(text):
        quoted ^= char == '"'  # a literal's text is never split
        depth += (char in "[(") - (char in "])") if not quoted else 0
        if depth == 0 and not quoted and text.startswith(" | ", at):
            members.append(text[start:at])
            start = at + 3
    members.append(text[start:])
    return " \\| ".join(f"`{member}`" for member in members)


def _wire_name(name: str, info: FieldInfo) -> str:
    alias = info.validation_alias if isinstance(info.validation_alias, str) else info.alias
    return alias or name


def _required(info: FieldInfo) -> str:
    if info.is_required():
        return "yes"
    default = info.get_default(call_default_factory=False)
    return f"no (default `{default!r}`)" if info.default_factory is None else "no"


def field_table(
    model: type[BaseModel],
    nested: list[type[BaseModel]],
    discriminator: str | None = None,
    provider: str = "",
) -> list[str]:
    """Markdown table rows describing ``model``'s fields, the discriminator first.

    Args:
        model: The event or nested model.
        nested: Nested model classes met so far; those found here are appended.
        discriminator: The wire name of the field that carries the event type, if any.
        provider: The provider id, to link nested models to their tables on the same page.
    """
    docs = attribute_docstrings(model)
    rows = [
        "| Attribute | Wire name | Type | Required | Description |",
        "|---|---|---|---|---|",
    ]
    fields = sorted(model.model_fields.items(), key=lambda item: _wire_name(*item) != discriminator)
    for name, info in fields:
        description = markdown_text(docs.get(name) or info.description)
        if not description and _wire_name(name, info) == discriminator:
            description = "The event type."
        if not info.repr:
            description = f"{description} Personal data: not in `repr()`.".lstrip()
        wire = _wire_name(name, info)
        mentioned: list[type[BaseModel]] = []
        kind = _cell_code(type_name(info.annotation, mentioned))
        nested.extend(m for m in mentioned if m not in nested)
        links = ", ".join(f"[`{m.__name__}`](#{_anchor(provider, m.__name__)})" for m in mentioned)
        if links:
            description = f"{description} See {links}.".lstrip()
        rows.append(f"| `{name}` | `{wire}` | {kind} | {_required(info)} | {description} |")
    return rows


def _properties(cls: type[WebhookEvent]) -> Iterator[tuple[str, str]]:
    for klass in cls.__mro__:
        if klass is WebhookEvent or not issubclass(klass, WebhookEvent):
            break
        for name, value in vars(klass).items():
            public = not name.startswith("_") and name != "idempotency_key"
            if public and isinstance(value, property):
                yield name, summary(value.__doc__)


def _anchor(provider: str, name: str) -> str:
    """A heading id that is valid whatever the event type or class name looks like."""
    return re.sub(r"[^a-z0-9]+", "-", f"{provider}-{name}".lower()).strip("-")


def _ref(cls: type) -> str:
    """The class name, linked to its API entry when its package exports it (else unlinked).

    Classes are documented where users import them from, the provider package; a class it
    does not export has no entry, and a link to it would fail the strict build.
    """
    package = cls.__module__.split("._", 1)[0]
    module = sys.modules.get(package)
    if cls.__name__ in getattr(module, "__all__", ()) and getattr(module, cls.__name__) is cls:
        return f"[`{cls.__name__}`][{package}.{cls.__name__}]"
    return f"`{cls.__name__}`"


def event_tables(provider: str) -> str:
    """The Markdown for a provider's events, generated from its models.

    Args:
        provider: A registered provider id.
    """
    spec = get_spec(provider)
    field = spec.discriminator
    lines = [
        f"Every event below is generated from the library's models. The event type is the "
        f'`{field}` field of the body; `parse("{spec.provider.value}", ...)` returns an instance '
        f"of the matching class.",
        "",
        "| Event type | Class | What it means |",
        "|---|---|---|",
    ]
    for event_type, cls in spec.event_classes.items():
        lines.append(
            f"| [`{event_type}`](#{_anchor(spec.provider.value, event_type)}) | {_ref(cls)} "
            f"| {summary(cls.__doc__)} |"
        )
    nested: list[type[BaseModel]] = []
    for event_type, cls in spec.event_classes.items():
        lines += [
            "",
            f"### `{event_type}` {{ #{_anchor(spec.provider.value, event_type)} }}",
            "",
            f"{_ref(cls)}: {own_doc(cls)}",
            "",
            *field_table(cls, nested, field, spec.provider.value),
            "",
        ]
        key = cls.idempotency_key
        key_doc = summary(key.__doc__) if key is not WebhookEvent.idempotency_key else ""
        if key_doc:
            lines.append(f"**Idempotency key:** {key_doc}")
            lines.append("")
        extras = list(_properties(cls))
        if extras:
            lines.append(
                "**Properties:** " + "; ".join(f"`{n}`: {d}" if d else f"`{n}`" for n, d in extras)
            )
            lines.append("")
    done: set[type[BaseModel]] = set()
    for model in nested:  # grows while we walk it: nested models may nest further
        if model in done:
            continue
        done.add(model)
        lines += [
            "",
            f"### `{model.__name__}` {{ #{_anchor(spec.provider.value, model.__name__)} }}",
            "",
            f"{_ref(model)} (a nested object): {own_doc(model)}",
            "",
            *field_table(model, nested, None, spec.provider.value),
        ]
    return "\n".join(lines) + "\n"


# --- API reference pages -------------------------------------------------------------------


def reference_pages() -> dict[str, tuple[str, str]]:
    """Generated reference pages: path -> (nav title, Markdown), for what exists right now."""
    pages: dict[str, tuple[str, str]] = {}
    for provider in registered_providers():
        module = f"webhook_payloads.{provider.value}"
        pages[f"reference/providers/{provider.value}.md"] = (
            f"webhook_payloads.{provider.value}",
            f"# `{module}`\n\n::: {module}\n",
        )
    if importlib.util.find_spec("webhook_payloads.testing") is not None:
        pages["reference/testing.md"] = (
            "webhook_payloads.testing",
            "# `webhook_payloads.testing`\n\n::: webhook_payloads.testing\n",
        )
    integrations = importlib.util.find_spec("webhook_payloads.integrations")
    if integrations is not None and integrations.submodule_search_locations:
        # Listed, not imported: an integration imports its framework, which may be absent.
        for info in pkgutil.iter_modules(integrations.submodule_search_locations):
            if info.name.startswith("_"):
                continue
            module = f"webhook_payloads.integrations.{info.name}"
            pages[f"reference/integrations/{info.name}.md"] = (
                module,
                f"# `{module}`\n\n::: {module}\n",
            )
    return pages


# --- the hooks -----------------------------------------------------------------------------


def on_config(config: Any) -> Any:
    """Append the generated reference pages to the nav's "API reference" section."""
    _seen_providers.clear()
    nav = config.get("nav") or []
    for entry in nav:
        if isinstance(entry, dict) and REFERENCE_SECTION in entry:
            section = entry[REFERENCE_SECTION]
            for path, (title, _markdown) in reference_pages().items():
                if not any(isinstance(item, dict) and path in item.values() for item in section):
                    section.append({title: path})
            break
    else:
        log.warning("mkdocs.yml has no nav section %r for the generated pages", REFERENCE_SECTION)
    return config


def on_files(files: Any, config: Any) -> Any:
    """Add the generated reference pages to the site."""
    from mkdocs.structure.files import File  # noqa: PLC0415 - only needed inside mkdocs

    for path, (_title, markdown) in reference_pages().items():
        files.append(File.generated(config, path, content=markdown))
    return files


def render_tables(markdown: str, where: str = "", seen: set[str] | None = None) -> str:
    """``markdown`` with each provider's tables, between their markers, generated afresh.

    Args:
        markdown: A page's text.
        where: The page's name, for warnings.
        seen: When given, the providers whose tables the page holds are added to it.
    """
    registered = {p.value for p in registered_providers()}
    known = {p.value for p in Provider}

    def replace(match: re.Match[str]) -> str:
        provider = match["provider"]
        if provider in registered:
            if seen is not None:
                seen.add(provider)
            content = event_tables(provider)
        elif provider in known:
            content = (
                f'!!! note "Not in this version"\n\n    `{provider}` is not yet supported by '
                "this version of the library.\n"
            )
        else:
            log.warning(
                "%s: events-table marker names %r, which is not a provider (%s)",
                where,
                provider,
                ", ".join(sorted(known)),
            )
            return match[0]
        return (
            f"<!-- events-table: {provider} -->\n\n{content}\n"
            f"<!-- end events-table: {provider} -->\n"
        )

    return MARKER.sub(replace, markdown)


def write_tables(docs: Path = DOCS, *, check: bool = False) -> list[Path]:
    """Rewrite the event tables of every page under ``docs``; return the pages that changed.

    Args:
        docs: The documentation folder.
        check: Only report the pages whose tables are stale; write nothing.
    """
    stale: list[Path] = []
    for page in sorted(docs.rglob("*.md")):
        text = page.read_text(encoding="utf-8")
        fresh = render_tables(text, str(page.relative_to(docs)))
        if fresh != text:
            stale.append(page)
            if not check:
                page.write_text(fresh, encoding="utf-8")
    return stale


def on_page_markdown(markdown: str, page: Any, **_: Any) -> str:
    """The page with its event tables generated from the models; warn if the file's are stale."""
    fresh = render_tables(markdown, page.file.src_uri, _seen_providers)
    if fresh != markdown and MARKER.search(markdown):
        log.warning(
            "%s: the event tables are out of date; run python tools/docs_hooks.py --write",
            page.file.src_uri,
        )
    return fresh


def on_post_build(config: Any) -> None:
    """Fail a strict build when a registered provider's events appear on no page."""
    for provider in registered_providers():
        if provider.value not in _seen_providers:
            log.warning(
                "No page has the line <!-- events-table: %s -->; its events are undocumented.",
                provider.value,
            )


def main(argv: list[str] | None = None) -> int:
    """``python tools/docs_hooks.py --write`` (or ``--check``): the event tables in docs/."""
    parser = argparse.ArgumentParser(description="Write the event tables into the docs pages.")
    mode = parser.add_mutually_exclusive_group(required=True)
    mode.add_argument("--write", action="store_true", help="rewrite stale tables")
    mode.add_argument("--check", action="store_true", help="list stale pages, exit 1 if any")
    args = parser.parse_args(argv)
    changed = write_tables(DOCS, check=args.check)
    for page in changed:
        sys.stdout.write(
            f"{'stale' if args.check else 'written'}: {page.relative_to(DOCS.parent)}\n"
        )
    return 1 if args.check and changed else 0


if __name__ == "__main__":
    raise SystemExit(main())
