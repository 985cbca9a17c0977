"""The provider registry: plain data from a provider id to how it is verified and parsed.

``parse()`` only looks providers up here. A provider's module is imported the first time it
is used, so ``import webhook_payloads`` stays cheap; adding a provider means adding its
package, its :class:`Provider` member and one line to :data:`_SPEC_MODULES`, then running
``python tools/gen_overloads.py``, which writes its overloads of ``parse()``, ``Webhook`` and
the receivers for type checkers from this registry.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from enum import Enum
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, Final, Protocol, get_args

from .exceptions import UnknownProviderError

if TYPE_CHECKING:
    from pydantic import TypeAdapter
    from pydantic.fields import FieldInfo

    from ._base import WebhookEvent
    from ._signing import Check

__all__ = [
    "Provider",
    "ProviderSpec",
    "Verifier",
    "get_spec",
    "registered_providers",
]


class Provider(str, Enum):
    """The providers this library knows; each member is also its plain string id."""

    MASTERCARD = "mastercard"
    """Mastercard Open Finance US report webhooks (``callbackUrl``); unsigned."""
    PAYSCORE = "payscore"
    """Payscore's current API; ``Verification-Signature`` header."""
    PAYSCORE_V1 = "payscore_v1"
    """Payscore's deprecated v1 screening API; ``Verification-Signature`` header."""
    ANDDONE = "anddone"
    """AndDone webhooks; in-body ``Signature``."""
    MASTERCARD_CONNECT = "mastercard_connect"
    """Mastercard Open Finance US Connect webhooks; ``X-Finicity-Signature`` header."""

    def __str__(self) -> str:
        """The plain id, so f-strings and logs show ``payscore``, not ``Provider.PAYSCORE``."""
        return self.value


class Verifier(Protocol):
    """How a signed provider checks requests, and signs one the same way (for tests)."""

    def prepare(self, keys: tuple[bytes, ...], scheme: object | None) -> Check:
        """Check ``scheme`` and ``keys`` once, and return the per-request check under them.

        Raises:
            ConfigurationError: ``scheme`` is wrong for this provider, or a key unusable.
        """
        ...  # pragma: no cover

    def sign_request(
        self, body: bytes, key: bytes, scheme: object | None
    ) -> tuple[bytes, dict[str, str]]:
        """The body and headers of a request signed as the provider would sign ``body``.

        Header-signing providers return ``body`` unchanged; in-body signers return it with
        the signature written in.
        """
        ...  # pragma: no cover


@dataclass(frozen=True)
class ProviderSpec:
    """Everything ``parse()`` needs to know about one provider.

    Attributes:
        provider: The provider's id.
        union: The provider's event union (an ``Annotated`` tagged union).
        discriminator: The wire name of the field that says which event this is.
        verifier: How signatures are checked, or ``None`` when the provider signs nothing.
        unsigned_reason: For unsigned providers, why a secret makes no sense (an error message).
        xml_advice: For providers that send XML bodies when asked to (Mastercard), how to
            ask for JSON instead: the end of an ``UnsupportedContentTypeError``'s message.
            Empty for the others, whose non-JSON bodies are plain malformed payloads.
        named_schemes: For providers whose signature construction must be chosen (AndDone),
            every named ``signature_scheme`` choice, by a short name such as
            ``body_without_signature:hex_decoded``; empty for the others.
        refine: A last step after validation, given the body and the event, for what
            validation cannot see (AndDone reads amounts sent as numbers from their text);
            ``None`` for most providers.
        key_members: The top-level members every signature scheme of the provider covers,
            from which an :class:`UnknownEvent`'s key is built; empty when the signature
            covers the whole body (or there is none).
        adapter: The ``TypeAdapter`` of ``union``, built once with the spec.
        event_classes: Event type (the discriminator's value) -> event class, in union order.
        name: The provider's plain string id (``provider.value``, read once: ``parse()`` needs
            it on every call and an enum's ``value`` is a property).
        attribute_names: Attribute name -> wire name, for the event fields whose names
            differ (``event_body`` -> ``EventBody``): a body's key equal to an attribute
            name would shadow that field in ``model_dump()``, so bodies with one are refused.
    """

    provider: Provider
    union: Any
    discriminator: str
    verifier: Verifier | None
    unsigned_reason: str = ""
    xml_advice: str = ""
    named_schemes: Mapping[str, object] = field(default_factory=dict[str, object])
    key_members: tuple[str, ...] = ()
    refine: Callable[[bytes, Any], Any] | None = None
    adapter: TypeAdapter[Any] = field(init=False, repr=False)
    event_classes: Mapping[str, type[WebhookEvent]] = field(init=False, repr=False)
    name: str = field(init=False, repr=False)
    attribute_names: Mapping[str, str] = field(init=False, repr=False)
    field_names: frozenset[str] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        """Build the adapter and the event-type table once, when the provider is first used."""
        from pydantic import TypeAdapter  # noqa: PLC0415 - pydantic is loaded by then anyway

        members: tuple[type[WebhookEvent], ...] = get_args(get_args(self.union)[0])
        table: dict[str, type[WebhookEvent]] = {}
        for cls in members:
            (tag,) = get_args(_discriminator_field(cls, self.discriminator).annotation)
            table[tag] = cls
        # Frozen dataclass: these are derived once here and never change afterwards.
        adapter = TypeAdapter(self.union)
        object.__setattr__(self, "adapter", adapter)
        object.__setattr__(self, "event_classes", MappingProxyType(table))
        names = {
            name: info.alias
            for cls in members
            for name, info in cls.model_fields.items()
            if info.alias and info.alias != name
        }
        object.__setattr__(self, "attribute_names", MappingProxyType(names))
        object.__setattr__(self, "field_names", _field_names(members))
        object.__setattr__(self, "name", self.provider.value)


def _field_names(classes: tuple[type[Any], ...]) -> frozenset[str]:
    """Every wire and attribute name of the models in ``classes`` and of those they nest."""
    from pydantic import BaseModel  # noqa: PLC0415 - pydantic is loaded by then anyway

    names: set[str] = set()
    seen: set[type[Any]] = set()
    todo = list(classes)
    while todo:
        cls = todo.pop()
        if cls in seen:
            continue
        seen.add(cls)
        for name, info in cls.model_fields.items():
            names.update((name, info.alias or name))
            stack: list[Any] = [info.annotation]
            while stack:  # the models inside the annotation: tuple[X, ...], X | None, ...
                annotation = stack.pop()
                if isinstance(annotation, type) and issubclass(annotation, BaseModel):
                    todo.append(annotation)
                stack.extend(get_args(annotation))
    return frozenset(names)


def _discriminator_field(cls: type[WebhookEvent], wire_name: str) -> FieldInfo:
    for name, info in cls.model_fields.items():
        if (info.alias or name) == wire_name:
            return info
    raise TypeError(f"{cls.__name__} has no field for {wire_name!r}")  # pragma: no cover


_SPEC_MODULES: Final[Mapping[Provider, str]] = MappingProxyType(
    {
        Provider.MASTERCARD: "webhook_payloads.mastercard",
        Provider.PAYSCORE: "webhook_payloads.payscore",
        Provider.PAYSCORE_V1: "webhook_payloads.payscore_v1",
        Provider.ANDDONE: "webhook_payloads.anddone",
        Provider.MASTERCARD_CONNECT: "webhook_payloads.mastercard_connect",
    }
)


def get_spec(provider: object) -> ProviderSpec:
    """The spec of ``provider`` (a ``Provider`` or its string id), importing its module once.

    Raises:
        UnknownProviderError: ``provider`` is not a known id.
    """
    # A Provider member hashes and compares as its string id, so one lookup serves both.
    path = _SPEC_MODULES.get(provider) if isinstance(provider, str) else None  # type: ignore[call-overload]
    if path is None:
        shown = provider[:64] if isinstance(provider, str) else type(provider).__name__
        raise UnknownProviderError(shown, [p.value for p in _SPEC_MODULES])
    # After the first use this is a lookup in sys.modules, importlib's own cache: the import
    # is the only write, and it stores the same module whichever thread comes first. SPEC is
    # the last name a provider module defines: while another thread is still importing it,
    # SPEC is absent and import_module waits for it.
    spec: ProviderSpec | None = getattr(sys.modules.get(path), "SPEC", None)
    if spec is not None:
        return spec
    loaded: ProviderSpec = importlib.import_module(path).SPEC
    return loaded


def registered_providers() -> list[Provider]:
    """The providers ``parse()`` accepts, in registry order."""
    return list(_SPEC_MODULES)
