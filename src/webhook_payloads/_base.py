"""What every event model shares: frozen, forward compatible, quiet about personal data."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from typing import Any, ClassVar, Final

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    GetCoreSchemaHandler,
    GetJsonSchemaHandler,
    TypeAdapter,
)
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import core_schema, to_json

__all__ = ["JSON_OBJECT", "OPEN_ENUM", "EventModel", "UnknownEvent", "WebhookEvent"]

# Decodes the payload of an unknown event. Not pydantic_core.from_json: before pydantic-core
# 2.20 (pydantic 2.8) it garbled escaped non-ASCII text ("\u00e9" came back as "Ã©"). It lives
# here, not in _parse, so that importing the package builds no adapter.
JSON_OBJECT: TypeAdapter[dict[str, Any]] = TypeAdapter(dict[str, Any])


class _ValidatedAsStr:
    """``Annotated`` marker: validate an open enum (``Literal[...] | str``) as plain ``str``.

    Such a union accepts exactly the strings ``str`` accepts and gives back the same value,
    but pydantic-core would try each member in turn on every event; validating as ``str``
    is the same result for less work. Type checkers and the JSON schema still see the
    literals, so editors offer the known values and gateways see them documented.
    """

    def __get_pydantic_core_schema__(
        self, source: Any, handler: GetCoreSchemaHandler
    ) -> core_schema.CoreSchema:
        """A ``str`` (or nullable ``str``) schema, keeping the union's for the JSON schema."""
        documented = handler(source)
        nullable = documented["type"] == "nullable"
        union: Any = documented["schema"] if nullable else documented
        # Only a union of str literals and a plain, unconstrained str takes exactly what str
        # takes; narrowing anything else would change what is accepted. A misplaced marker
        # fails when the model is defined, not on a request.
        choices: list[Any] = union["choices"] if union["type"] == "union" else []
        # A choice is a schema, or a (schema, label) pair.
        schemas: list[Any] = [c[0] if isinstance(c, tuple) else c for c in choices]
        plain = [c for c in schemas if c["type"] == "str" and set(c) <= {"type", "metadata"}]
        literals = [
            c
            for c in schemas
            if c["type"] == "literal" and all(type(v) is str for v in c["expected"])
        ]
        if not plain or len(plain) + len(literals) != len(schemas):
            raise TypeError(f"OPEN_ENUM is for Literal[...] | str (| None), not {source!r}")
        as_str = core_schema.str_schema()
        schema = core_schema.nullable_schema(as_str) if nullable else as_str
        schema["metadata"] = {_DOCUMENTED: documented}
        return schema

    def __get_pydantic_json_schema__(
        self, schema: core_schema.CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        """The JSON schema of the documented union, not of the plain ``str``."""
        metadata: dict[str, Any] = schema.get("metadata") or {}
        return handler(metadata.get(_DOCUMENTED, schema))


_DOCUMENTED: Final = "webhook_payloads_documented_schema"
_MAX_SHOWN: Final = 64

OPEN_ENUM: Final = _ValidatedAsStr()
"""Put in ``Annotated[Literal[...] | str, OPEN_ENUM]`` for an open enum validated as ``str``."""


class EventModel(BaseModel):
    """Base of every model in the library, events and their nested objects alike.

    Frozen (hashable, safe to share between threads), keeps fields the provider adds in
    ``model_extra`` instead of dropping them, and accepts both wire names and attribute
    names when built by hand.
    """

    model_config = ConfigDict(frozen=True, extra="allow", populate_by_name=True)

    def __repr_args__(self) -> Iterator[tuple[str | None, Any]]:
        # Fields the provider adds are unknown to us: they may hold personal data, so they
        # stay out of repr()/str() like the declared personal fields (which use repr=False).
        fields = type(self).model_fields
        for name, value in super().__repr_args__():
            if name in fields:
                yield name, value


class WebhookEvent(EventModel):
    """Base of every provider's event classes.

    Attributes:
        provider: The provider id (a class attribute).
        event_type_field: The attribute holding the discriminator (a class attribute), such
            as ``"code"`` for Payscore or ``"event_name"`` for Mastercard.
    """

    provider: ClassVar[str]
    event_type_field: ClassVar[str]

    @property
    def event_type(self) -> str:
        """The discriminator's value: Payscore's ``code``, Mastercard's ``eventName``, ..."""
        value: str = getattr(self, self.event_type_field)
        return value

    @property
    def idempotency_key(self) -> str:
        """A stable key for de-duplicating deliveries, built from what the provider sends.

        Every provider here may deliver the same event more than once, and none signs a
        timestamp: store this key and ignore an event whose key you have already processed.
        """
        raise NotImplementedError


class UnknownEvent(EventModel):
    """An event whose type this library does not know, returned with ``allow_unknown=True``.

    It is deliberately *not* part of any provider's typed union, so narrowing a ``match`` on
    the union still works; handle it in its own ``case UnknownEvent():`` branch.

    Its JSON (``model_dump_json()``) is this object's, not the provider's body: restore it
    with ``UnknownEvent.model_validate_json(...)``, or keep :attr:`payload` (the body's
    object) and parse that again once the library knows the event.

    Attributes:
        provider: The provider id.
        event_type: The discriminator's value as sent.
        payload: The decoded JSON object, unvalidated. Kept out of ``repr()``.
    """

    provider: str
    event_type: str
    payload: dict[str, Any] = Field(repr=False)

    def __hash__(self) -> int:
        """Hash by provider and event type: the payload is a dict, and equal events agree."""
        return hash((self.provider, self.event_type))

    def __repr_args__(self) -> Iterator[tuple[str | None, Any]]:
        # The event type comes from the request (an attacker could make it megabytes long):
        # shown cut to 64 characters, as UnknownEventError shows it.
        for name, value in super().__repr_args__():
            cut = name == "event_type" and len(value) > _MAX_SHOWN
            yield name, value[:_MAX_SHOWN] + "..." if cut else value

    @property
    def idempotency_key(self) -> str:
        """The event type and a SHA-256 of the payload as compact JSON, keys in received order."""
        return f"{self.event_type}:{hashlib.sha256(to_json(self.payload)).hexdigest()}"
