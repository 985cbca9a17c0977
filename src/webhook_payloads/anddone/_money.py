"""AndDone's amounts: a ``Decimal`` equal to the number as written in the body, or refused.

Pydantic reads a JSON number with a fraction as a double, so ``12345678901234567.89`` would
become ``12345678901234568`` and ``0.10000000000000001`` would become ``0.1``. An amount
sent as such a number is read once more from the body's text (:func:`read_amounts`), after
validation and only for events that carry one. Amount text must be a plain decimal number,
so ``1E+999999999``, ``1_000.50`` and `` 12.5 `` are refused.
"""

from __future__ import annotations

import functools
import json
import re
from decimal import Decimal
from typing import Annotated, Any, Final, TypeAlias, cast, get_args, get_origin

from pydantic import BaseModel, BeforeValidator, PlainSerializer, WithJsonSchema
from pydantic_core import PydanticCustomError

from .._registry import get_spec
from ..exceptions import ErrorDetail, PayloadValidationError

__all__ = ["MAX_FRACTION_DIGITS", "MAX_INTEGER_DIGITS", "Money", "read_amounts"]

MAX_INTEGER_DIGITS: Final = 18
"""The most digits an amount may have before the decimal point."""
MAX_FRACTION_DIGITS: Final = 10
"""The most digits an amount may have after the decimal point."""

_PLAIN: Final = re.compile(
    rf"-?[0-9]{{1,{MAX_INTEGER_DIGITS}}}(?:\.[0-9]{{1,{MAX_FRACTION_DIGITS}}})?"
)
_PATTERN: Final = f"^{_PLAIN.pattern}$"
# Written out (pydantic's message templates are literal strings); a test checks the numbers.
_WHY: Final = "at most 18 digits before the point and 10 after"


class _SentAsNumber(str):
    """The text of a JSON number with a fraction or an exponent, as the body has it."""

    __slots__ = ()


class _ExactAmount:
    """``Annotated`` marker of the fields :func:`read_amounts` reads again from the text."""


_EXACT: Final = _ExactAmount()


def _within_bounds(amount: Decimal) -> bool:
    if not amount.is_finite():
        return False
    # Digits as written: 1.50 has two after the point, 1E+3 none.
    exponent = amount.as_tuple().exponent
    fraction = -exponent if isinstance(exponent, int) and exponent < 0 else 0
    return amount.adjusted() < MAX_INTEGER_DIGITS and fraction <= MAX_FRACTION_DIGITS


def _out_of_bounds() -> PydanticCustomError:
    return PydanticCustomError("amount_range", "The amount should have " + _WHY)


def _amount(value: object) -> object:
    """An amount from text or a number, exactly; anything else is left to pydantic."""
    if isinstance(value, str):
        if _PLAIN.fullmatch(value) is None:
            raise PydanticCustomError(
                "amount_text", "Amount text should be a plain decimal number, " + _WHY
            )
        return Decimal(value)
    kind = type(value)
    if kind is int or isinstance(value, Decimal):
        amount = Decimal(value)  # type: ignore[arg-type]
    elif kind is float:
        # The double's shortest text; read_amounts() puts the body's own text in its place.
        amount = Decimal(repr(value))
    else:
        return value  # a bool, null or a container: pydantic's Decimal refuses it
    if not amount.is_finite():
        return value  # refused by pydantic's Decimal as a number that is not finite
    if not _within_bounds(amount):
        raise _out_of_bounds()
    return amount


def _as_json(value: Decimal) -> float | str:
    # AndDone sends amounts as JSON numbers: written back as one when a float holds the
    # value exactly, else as plain decimal text, which parse() reads back to the same
    # Decimal (str() would write an amount sent as 21.3e+16 as "2.13E+17", text it refuses).
    number = float(value)
    return number if Decimal(repr(number)) == value else format(value, "f")


Money: TypeAlias = Annotated[
    Decimal,
    BeforeValidator(_amount),
    PlainSerializer(_as_json, return_type=float | str, when_used="json"),
    # What is accepted on the wire, for json_schema(): a number, or plain decimal text.
    WithJsonSchema(
        {"anyOf": [{"type": "number"}, {"type": "string", "pattern": _PATTERN}]},
        mode="validation",
    ),
    _EXACT,
]
"""An amount of money: a ``Decimal`` equal to the number or plain decimal text AndDone sends.

Text is a plain decimal number (``1250.10``, ``-3``), with at most 18 digits before the
point and 10 after; a number is read from its text in the body, within the same bounds.
"""


def _marked(annotation: object) -> bool:
    if get_origin(annotation) is Annotated and any(
        m is _EXACT for m in getattr(annotation, "__metadata__", ())
    ):
        return True
    return any(_marked(arg) for arg in get_args(annotation))


@functools.cache
def _money_fields(model: type[BaseModel]) -> tuple[tuple[str, str], ...]:
    """The attribute and wire names of ``model``'s :data:`Money` fields."""
    return tuple(
        (name, info.alias or name)
        for name, info in model.model_fields.items()
        if _marked(info.annotation) or any(m is _EXACT for m in info.metadata)
    )


def _number(text: str) -> Decimal | None:
    """The JSON number ``text`` as a ``Decimal``, or ``None`` if its exponent is beyond one."""
    try:
        return Decimal(text)
    except ArithmeticError:  # decimal.InvalidOperation: 1e-400000000000000000000, say
        return None


def read_amounts(data: bytes, event: Any) -> Any:
    """``event`` with each amount its body sent as a JSON number read from that number's text.

    Args:
        data: The body ``event`` was validated from.
        event: The validated event.

    Returns:
        ``event`` itself when no amount was sent as a number with a fraction or an exponent,
        else a copy with those amounts exact.

    Raises:
        PayloadValidationError: Such an amount is beyond the bounds of :data:`Money` (which
            its double hid, as ``1e-400`` is read as ``0.0``).
    """
    body = getattr(event, "event_body", None)
    if not isinstance(body, BaseModel):
        return event
    fields = [(n, w) for n, w in _money_fields(type(body)) if getattr(body, n) is not None]
    if not fields:
        return event
    # The standard library's decoder hands over each such number's text. It reads keys,
    # repeated keys (the last wins) and nesting as pydantic-core does, and the body has
    # already passed that validation.
    decoded: Any = json.loads(data, parse_float=_SentAsNumber)
    sent: Any = decoded["EventBody"]
    # EventBody as an object, or as an array of one object.
    members = cast("dict[str, object]", sent[0] if isinstance(sent, list) else sent)
    exact: dict[str, Decimal] = {}
    for name, wire in fields:
        text = members.get(wire)
        if isinstance(text, _SentAsNumber):
            amount = _number(text)
            if amount is None or not _within_bounds(amount):
                raise PayloadValidationError(
                    provider="anddone",
                    known_names=get_spec("anddone").field_names,
                    errors=[
                        ErrorDetail(
                            loc=("EventBody", wire),
                            type="amount_range",
                            msg=f"The amount should have {_WHY}",
                        )
                    ],
                )
            if amount.as_tuple() != getattr(body, name).as_tuple():
                exact[name] = amount
    if not exact:
        return event
    return event.model_copy(update={"event_body": body.model_copy(update=exact)})
