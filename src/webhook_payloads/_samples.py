"""The providers' documented example payloads, shipped with the package.

One file per event type under ``samples/<provider>/<event type>.json``, each the provider's
own example, byte for byte. The CLI's ``--sample`` and the testing helpers build on them; for
an event type the provider publishes no example of, :func:`example_body` builds a minimal
valid body from the event's model instead.
"""

from __future__ import annotations

import json
import types
from datetime import datetime
from decimal import Decimal
from importlib import resources
from typing import TYPE_CHECKING, Annotated, Any, Literal, Union, get_args, get_origin

from pydantic import BaseModel

from ._registry import get_spec
from .exceptions import ConfigurationError

if TYPE_CHECKING:
    from ._registry import ProviderSpec

__all__ = ["example_body", "is_documented", "minimal_body", "sample_body", "sample_names"]

_PACKAGE = "webhook_payloads"


def sample_names(provider: str) -> list[str]:
    """The event types that have a shipped sample, in the provider's union order."""
    spec = get_spec(provider)
    folder = resources.files(_PACKAGE) / "samples" / spec.provider.value
    return [name for name in spec.event_classes if (folder / f"{name}.json").is_file()]


def sample_body(provider: str, event_type: str) -> bytes:
    """The raw bytes of the provider's documented example of ``event_type``.

    Raises:
        UnknownProviderError: ``provider`` is not known.
        ConfigurationError: There is no sample of that event type.
    """
    spec = get_spec(provider)
    _require_event_type(spec, event_type)
    path = resources.files(_PACKAGE) / "samples" / spec.provider.value / f"{event_type}.json"
    return path.read_bytes()


def is_documented(provider: str, event_type: str) -> bool:
    """Whether a documented example of ``event_type`` is shipped (else it is built)."""
    return event_type in sample_names(provider)


def example_body(provider: str, event_type: str) -> bytes:
    """The documented example of ``event_type``, else :func:`minimal_body`.

    Raises:
        UnknownProviderError: ``provider`` is not known.
        ConfigurationError: ``provider`` has no such event type.
    """
    try:
        return sample_body(provider, event_type)
    except FileNotFoundError:
        return minimal_body(provider, event_type)


def minimal_body(provider: str, event_type: str) -> bytes:
    """A valid body of ``event_type`` with only the fields its model requires.

    Text fields hold their own name in capitals (``"EVENT_ID"``), as the providers' examples
    do; numbers are ``0``, nullable fields ``null``, lists and objects empty, nested models
    built the same way.

    Raises:
        UnknownProviderError: ``provider`` is not known.
        ConfigurationError: ``provider`` has no such event type.
    """
    spec = get_spec(provider)
    _require_event_type(spec, event_type)
    event_class = spec.event_classes[event_type]
    event = event_class.model_validate(_required(event_class))
    return json.dumps(
        event.model_dump(mode="json", by_alias=True, exclude_unset=True), separators=(",", ":")
    ).encode()


def _require_event_type(spec: ProviderSpec, event_type: str) -> None:
    if event_type not in spec.event_classes:
        raise ConfigurationError(
            f"{spec.provider.value} has no event type {event_type[:64]!r}; "
            f"use one of: {', '.join(spec.event_classes)}.",
            provider=spec.provider.value,
        )


def _required(model: type[BaseModel]) -> dict[str, Any]:
    return {
        name: _value(info.annotation, name)
        for name, info in model.model_fields.items()
        if info.is_required()
    }


def _value(annotation: Any, name: str) -> Any:  # noqa: PLR0911 - one answer per kind of type
    origin = get_origin(annotation)
    args = get_args(annotation)
    if origin is Annotated:
        return _value(args[0], name)
    if origin is Union or origin is types.UnionType:
        if type(None) in args:
            return None
        return _value(args[0], name)
    if origin is Literal:
        return args[0]
    if origin in (list, tuple, set, frozenset):
        return []
    if origin is dict:
        return {}
    if isinstance(annotation, type):
        if issubclass(annotation, BaseModel):
            return _required(annotation)
        for kind, value in _PLAIN_VALUES:
            if issubclass(annotation, kind):
                return value if kind is not str else name.upper()
    raise TypeError(f"no minimal value for {annotation!r}")  # pragma: no cover - new kinds


# bool before int: a bool is an int.
_PLAIN_VALUES: tuple[tuple[type, Any], ...] = (
    (str, ""),
    (bool, False),
    (int, 0),
    (float, 0.0),
    (Decimal, Decimal(0)),
    (datetime, datetime(2024, 1, 1)),
    (list, []),
    (dict, {}),
)
