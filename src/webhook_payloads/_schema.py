"""JSON Schema of each provider's webhook bodies, for validators outside Python.

The schema is generated from the same models ``parse()`` validates with, so it cannot drift:
one ``oneOf`` branch per event type, keyed on the provider's discriminator, wire names as
property names, and ``additionalProperties: true`` because fields the provider adds later are
kept, never refused.
"""

from __future__ import annotations

import ast
import inspect
import re
import textwrap
import typing
from collections.abc import Callable
from typing import Any, Final

from pydantic import BaseModel, GetJsonSchemaHandler
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import CoreSchema

from ._registry import get_spec

__all__ = ["JSON_SCHEMA_DIALECT", "WireSchema", "json_schema"]

JSON_SCHEMA_DIALECT: Final = "https://json-schema.org/draft/2020-12/schema"
"""The JSON Schema dialect :func:`json_schema` produces (``$schema``)."""

_ROLE: Final = re.compile(r":\w+:`~?([^`]+)`")


def json_schema(provider: str) -> dict[str, Any]:
    """The JSON Schema (draft 2020-12) of every webhook body ``provider`` sends.

    A body the schema accepts is one ``parse()`` accepts (signature aside), and the other way
    round for the documented examples. Each call returns a new ``dict`` you may change.

    Args:
        provider: A provider id such as ``"payscore"``, or a :class:`Provider` member.

    Returns:
        The schema as a JSON-ready ``dict``, with ``$schema``, ``title``, the provider's
        event types as a discriminated ``oneOf``, and the models under ``$defs``.

    Raises:
        UnknownProviderError: ``provider`` is not a known id.

    Examples:
        >>> from webhook_payloads import json_schema
        >>> schema = json_schema("payscore")
        >>> schema["discriminator"]["propertyName"]
        'code'
        >>> sorted(schema["discriminator"]["mapping"])
        ['REPORT_READY', 'VERIFICATION_COMPLETED', 'VERIFICATION_STARTED']
    """
    spec = get_spec(provider)
    name = spec.provider.value
    generated = spec.adapter.json_schema(by_alias=True, mode="validation")
    definitions: dict[str, Any] = generated.get("$defs", {})
    for model in _models(spec.event_classes.values()):
        definition = definitions.get(model.__name__)
        if definition is None or definition.get("title") != model.__name__:
            continue  # pragma: no cover - pydantic names a def otherwise only on a name clash
        _describe(model, definition)
    return {
        "$schema": JSON_SCHEMA_DIALECT,
        "title": f"{name} webhook event",
        "description": (
            f"Any webhook body of {name}, as webhook_payloads validates it; "
            f"the event type is the {spec.discriminator!r} property."
        ),
        **generated,
    }


class WireSchema:
    """Field metadata: widen a field's validation schema to what its ``BeforeValidator`` takes.

    ``WithJsonSchema`` replaces a schema outright, so it cannot point at a model under
    ``$defs``; this keeps the schema pydantic generates for the field (references included)
    and passes it to ``widen``, whose result is what :func:`json_schema` shows. Put it after
    the ``BeforeValidator`` in ``Annotated[...]``. Serialization schemas are left as they are.
    """

    __slots__ = ("_widen",)

    def __init__(self, widen: Callable[[JsonSchemaValue], JsonSchemaValue]) -> None:
        """Keep ``widen``: it gets pydantic's schema of the field and returns the wire's."""
        self._widen = widen

    def __get_pydantic_json_schema__(
        self, core_schema: CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        """Pydantic's schema of the field, widened in validation mode."""
        schema = handler(core_schema)
        return self._widen(schema) if handler.mode == "validation" else schema


def _models(roots: typing.Iterable[type[BaseModel]]) -> list[type[BaseModel]]:
    """``roots`` and every model class their fields' annotations mention, recursively."""
    found: list[type[BaseModel]] = []
    pending = list(roots)
    while pending:
        model = pending.pop(0)
        if model in found:
            continue
        found.append(model)
        for info in model.model_fields.values():
            pending.extend(_mentioned_models(info.annotation))
    return found


def _mentioned_models(annotation: object) -> list[type[BaseModel]]:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return [annotation]
    return [m for arg in typing.get_args(annotation) for m in _mentioned_models(arg)]


def _describe(model: type[BaseModel], definition: dict[str, Any]) -> None:
    """Give the definition the class's and the fields' docstrings, as plain text."""
    # The class's own docstring: inspect.getdoc() would fall back to a base class's.
    if model.__doc__:
        definition["description"] = plain_text(inspect.cleandoc(model.__doc__))
    properties: dict[str, Any] = definition.get("properties", {})
    docs = attribute_docstrings(model)
    for name, info in model.model_fields.items():
        wire = info.alias or name
        text = docs.get(name)
        if text and wire in properties and "description" not in properties[wire]:
            properties[wire]["description"] = plain_text(text)


def plain_text(docstring: str) -> str:
    """A docstring with reST roles (``:attr:`x```) reduced to Markdown code (```x```)."""
    text = _ROLE.sub(lambda m: f"`{m[1].rsplit('.', 1)[-1]}`", docstring)
    return text.replace("``", "`")


def attribute_docstrings(model: type[BaseModel]) -> dict[str, str]:
    """The string written under each field (``x: int`` then a docstring), merged over the MRO.

    Read from the source; a class whose source is not available contributes nothing.
    """
    docs: dict[str, str] = {}
    for klass in reversed(model.__mro__):
        if not issubclass(klass, BaseModel) or klass.__module__.startswith("pydantic."):
            continue
        try:
            source = textwrap.dedent(inspect.getsource(klass))
        except (OSError, TypeError):
            continue
        node = ast.parse(source).body[0]
        if not isinstance(node, ast.ClassDef):  # pragma: no cover - getsource gave a class
            continue
        for statement, following in zip(node.body, node.body[1:], strict=False):
            if (
                isinstance(statement, ast.AnnAssign)
                and isinstance(statement.target, ast.Name)
                and isinstance(following, ast.Expr)
                and isinstance(following.value, ast.Constant)
                and isinstance(following.value.value, str)
            ):
                docs[statement.target.id] = inspect.cleandoc(following.value.value)
    return docs
