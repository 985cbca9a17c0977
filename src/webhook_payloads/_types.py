"""Types and defaults shared by the dispatcher, the providers and the receivers."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Final, Protocol, TypeAlias

from typing_extensions import TypedDict

__all__ = ["DEFAULT_MAX_BODY_SIZE", "Body", "Headers", "Secret", "Secrets", "WebhookOptions"]

DEFAULT_MAX_BODY_SIZE: Final = 1024 * 1024
"""Bodies larger than this (1 MiB) are refused before anything else is done with them."""

Body: TypeAlias = "bytes | bytearray | memoryview | str"
"""The raw request body: bytes as received (a ``str`` is encoded as UTF-8)."""

Secret: TypeAlias = "str | bytes"  # noqa: S105 - a type's name, not a password
"""One signing secret: ``str`` (encoded as UTF-8) or ``bytes``."""

Secrets: TypeAlias = (
    "str | bytes | list[str] | list[bytes] | list[str | bytes] | tuple[str | bytes, ...]"
)
"""One secret, or a list or tuple of them to allow key rotation (any one matching is enough)."""


class _SupportsItems(Protocol):
    """Anything with ``items()``: dict, Django HttpHeaders, Werkzeug and Starlette Headers."""

    def items(self) -> Iterable[tuple[str | bytes, str | bytes]]: ...  # pragma: no cover


class _SupportsStrItems(Protocol):
    def items(self) -> Iterable[tuple[str, str]]: ...  # pragma: no cover


class _SupportsBytesItems(Protocol):
    def items(self) -> Iterable[tuple[bytes, bytes]]: ...  # pragma: no cover


Headers: TypeAlias = "_SupportsStrItems | _SupportsBytesItems | _SupportsItems"
"""A mapping of header names to values (``str`` or ``bytes``), in any letter case."""


class WebhookOptions(TypedDict, total=False):
    """The options of ``Webhook`` and ``parse()`` that every provider takes alike.

    For type checkers: each provider's overload takes these as
    ``**options: Unpack[WebhookOptions]`` and spells out only what differs between providers
    (the provider id, ``allow_unknown``, the ``signature_scheme`` type). The implementations
    name every option with its default; their docstrings say what each one does.
    """

    secret: Secrets | None
    verify: bool
    max_body_size: int
