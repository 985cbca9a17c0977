"""What every event model shares: frozen, forward compatible, quiet about personal data."""

# No "from __future__ import annotations" here: pydantic 2.11 evaluates the annotation of
# __pydantic_extra__ in each subclass's module, where a string naming JsonValue fails.
import json
import math
from collections.abc import Iterator
from datetime import timedelta
from typing import TYPE_CHECKING, Annotated, Any, ClassVar, Final

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    GetCoreSchemaHandler,
    GetJsonSchemaHandler,
    TypeAdapter,
)
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import PydanticCustomError, core_schema, to_json

from ._keys import event_key
from .exceptions import UnknownProviderError

__all__ = [
    "JSON_OBJECT",
    "NUMBER_AS_TEXT",
    "OPEN_ENUM",
    "EventModel",
    "JsonValue",
    "UnknownEvent",
    "WebhookEvent",
]


def _finite(value: object) -> object:
    """``value`` (decoded JSON), unless a number in it is NaN or infinite.

    JSON has no such numbers, and pydantic's parser reads ``NaN``, ``Infinity`` and numbers
    too large for a double (``1e999``) as floats that dump as ``null``: an event holding
    one could not make the round trip through its own JSON, so the body is refused.
    """
    kind = type(value)
    if kind is float:
        finite = math.isfinite(value)  # type: ignore[arg-type]
    elif kind is list or kind is dict:
        finite = _all_finite(value)
    else:
        finite = True
    if not finite:
        raise PydanticCustomError(
            "finite_number",
            "Input should be a finite number; NaN, Infinity and numbers too large for a "
            "double are refused",
        )
    return value


def _all_finite(value: object) -> bool:
    # pydantic-core writes the value out fast; with no NaN or Infinity token in the text,
    # every number in it is finite. Those words may also stand inside strings: then the
    # standard library's encoder, which refuses only the numbers, decides.
    try:
        text = to_json(value, inf_nan_mode="constants")
    except ValueError:  # a value it cannot write (a lone surrogate): let the stdlib decide
        text = b"NaN"
    if b"NaN" not in text and b"Infinity" not in text:
        return True
    try:
        json.dumps(value, allow_nan=False)
    except ValueError:
        return False
    return True


JsonValue = Annotated[Any, AfterValidator(_finite)]
"""Any decoded JSON value whose numbers are all finite: for fields of unknown shape."""

# Decodes the payload of an unknown event. It lives here, not in _webhook, so that importing
# the package builds no adapter.
JSON_OBJECT: TypeAdapter[dict[str, JsonValue]] = TypeAdapter(dict[str, JsonValue])


class _NumberAsText:
    """``Annotated`` marker for ``str`` fields that a provider sends as a string or a number.

    A string is taken as it is; a finite JSON number becomes its decimal text (``123456``
    becomes ``"123456"``), all inside pydantic-core. NaN and infinities are refused.
    """

    def __get_pydantic_core_schema__(
        self, source: Any, handler: GetCoreSchemaHandler
    ) -> core_schema.CoreSchema:
        """A strict ``int`` turned into text, else a strict ``str``, else a finite ``float``.

        The integer comes first because it is what the providers' examples send: each
        choice that fails before the match costs pydantic-core an error it then discards.
        Strict choices take disjoint inputs, so the order changes nothing that is accepted.
        """
        as_text = core_schema.str_schema(coerce_numbers_to_str=True)
        return core_schema.union_schema(
            [
                core_schema.chain_schema([core_schema.int_schema(strict=True), as_text]),
                core_schema.str_schema(strict=True),
                core_schema.chain_schema(
                    [core_schema.float_schema(strict=True, allow_inf_nan=False), as_text]
                ),
            ],
            mode="left_to_right",
            custom_error_type="string_or_number_type",
            custom_error_message="Input should be a valid string or a finite number",
        )


NUMBER_AS_TEXT: Final = _NumberAsText()
"""Put in ``Annotated[str, NUMBER_AS_TEXT]`` for an id sent as a string or a number."""


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
    names when built by hand (bodies are read by wire names only).
    """

    model_config = ConfigDict(
        frozen=True,
        extra="allow",
        validate_by_name=True,
        validate_by_alias=True,
        allow_inf_nan=False,
    )
    # Fields the provider adds are kept; their numbers must be finite like any other's.
    if TYPE_CHECKING:
        # init=False keeps it out of __init__'s signature for type checkers.
        __pydantic_extra__: dict[str, JsonValue] = Field(init=False)  # pyright: ignore[reportIncompatibleVariableOverride]
    else:
        # At run time the annotation alone: with a default, pydantic also stores the extras
        # dict in each instance's __dict__, one more entry (and a larger dict) per object.
        __pydantic_extra__: dict[str, JsonValue]

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
        repeat_window: For how long copies with one :attr:`idempotency_key` are one
            delivery (a class attribute). ``None``, the default: for as long as the key is
            kept, as a copy is a resend. Events that genuinely happen again with the same
            content (Payscore's ``VERIFICATION_COMPLETED`` after a re-open) set the span of
            the provider's resends; ``timedelta(0)`` when the provider never resends, so
            every copy is new. The inbox follows it; code keeping its own keys should too.
    """

    provider: ClassVar[str]
    event_type_field: ClassVar[str]
    repeat_window: ClassVar[timedelta | None] = None

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
    payload: dict[str, JsonValue] = Field(repr=False)

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
        """``<provider>:<event type>:~<digest>``, a SHA-256 of the payload as compact JSON.

        The payload's keys are hashed in the order received. For a provider whose signature
        may cover only part of the body (AndDone), only that part is hashed (``EventBody``),
        so a replay with an unsigned member edited keeps its key.
        """
        from ._registry import get_spec  # noqa: PLC0415 - the registry imports this module

        try:
            members = get_spec(self.provider).key_members
        except UnknownProviderError:
            members = ()
        content = {m: self.payload.get(m) for m in members} if members else self.payload
        return event_key(self.provider, self.event_type, to_json(content).decode())
