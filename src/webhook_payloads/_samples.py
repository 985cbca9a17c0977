"""The providers' documented example payloads, shipped with the package.

One file per event type under ``samples/<provider>/<event type>.json``, each the provider's
own example, byte for byte. The CLI's ``--sample`` and the testing helpers build on them.
"""

from __future__ import annotations

from importlib import resources

from ._registry import get_spec
from .exceptions import ConfigurationError

__all__ = ["sample_body", "sample_names"]

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
    if event_type not in spec.event_classes:
        raise ConfigurationError(
            f"{spec.provider.value} has no event type {event_type[:64]!r}; "
            f"use one of: {', '.join(spec.event_classes)}.",
            provider=spec.provider.value,
        )
    path = resources.files(_PACKAGE) / "samples" / spec.provider.value / f"{event_type}.json"
    return path.read_bytes()
