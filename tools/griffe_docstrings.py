"""A griffe extension: the library's docstrings, written for both ``help()`` and the site.

The source docstrings use reST habits that read well in a terminal (``:class:`Provider```,
double backticks, ``text::`` before a literal block). mkdocstrings renders docstrings as
Markdown, where those would show up verbatim, so they are rewritten for the site only.
"""

from __future__ import annotations

import re
from typing import Any

import griffe

__all__ = ["ReSTRoles", "markdown_docstring"]

_ROLE = re.compile(r":(?:py:)?\w+:`~?([^`<]+?)(?:\s*<[^>]+>)?`")


def markdown_docstring(text: str) -> str:
    """``text`` with reST roles turned into code spans and ``::`` literal markers into ``:``."""
    text = _ROLE.sub(lambda m: f"`{m[1].rsplit('.', 1)[-1]}`", text)
    return re.sub(r"(\S)::$", r"\1:", text, flags=re.MULTILINE)


class ReSTRoles(griffe.Extension):
    """Rewrite every docstring with :func:`markdown_docstring` as it is loaded."""

    def on_instance(self, *, obj: griffe.Object, **_: Any) -> None:
        """Rewrite ``obj``'s docstring, if it has one."""
        if obj.docstring is not None:
            obj.docstring.value = markdown_docstring(obj.docstring.value)
