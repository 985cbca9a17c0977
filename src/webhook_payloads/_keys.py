"""The one place idempotency keys are built: short, provider-named, unambiguous.

A key is ``<provider>:<part>:<part>...``, such as ``mastercard:done:y1r9xj9j6lc3-voa``:

- a part is kept as sent when it is 1 to 64 characters of ``A-Z a-z 0-9 . _ -``;
- any other part (longer, empty, or holding another character, ``:`` included) is written as
  ``~`` and the SHA-256 (hex) of its UTF-8 bytes, so no character inside a part can make two
  keys equal, and a part sent as text never looks like a digest (``~`` is not kept as sent);
- a key that would still be longer than :data:`MAX_KEY_LENGTH` (only with many long parts) is
  ``<provider>:=`` and the SHA-256 of the parts as a JSON array, a form no other key has.

Callers pass the event type first, then what tells one delivery from another, and only
text the signature covers.
"""

from __future__ import annotations

import hashlib
import json
import re
from typing import Final

__all__ = ["MAX_KEY_LENGTH", "event_key", "json_part"]

MAX_KEY_LENGTH: Final = 200
"""The longest key: fits a ``VARCHAR(200)`` unique index."""

_PLAIN: Final = re.compile(r"[A-Za-z0-9._-]{1,64}")


def _digest(text: str) -> str:
    # surrogatepass: an event built in Python may hold a lone surrogate; it still has a key.
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


def _part(text: str) -> str:
    return text if _PLAIN.fullmatch(text) else "~" + _digest(text)


def event_key(provider: str, *parts: str) -> str:
    """The idempotency key of an event of ``provider`` told apart by ``parts``.

    Args:
        provider: The provider id (``"mastercard"``, ``"anddone"``, ...).
        parts: The event type, then the values that identify the delivery, in a fixed order
            per event class.

    Returns:
        At most :data:`MAX_KEY_LENGTH` characters, all printable ASCII.
    """
    key = ":".join([provider, *map(_part, parts)])
    if len(key) <= MAX_KEY_LENGTH:
        return key
    return f"{provider}:={_digest(json_part(*parts))}"


def json_part(*values: str | None) -> str:
    """``values`` as one compact JSON array: a part for several values, or for a ``None``.

    The array has one reading whatever the values contain; :func:`event_key` hashes it.
    """
    return json.dumps(values, separators=(",", ":"))
