"""Masking of sensitive values for display (contracts.md, "Conventions").

Everything works on characters (Unicode code points after NFC), never on bytes or
UTF-16 units, so a name such as ``𠮷``  (U+20BB7, outside the BMP) is one character and
is never cut in half. Values are ``str()``-converted and stripped first; ``None`` is
returned unchanged by :func:`mask_value` and becomes ``""`` elsewhere.

Formats
-------
ID numbers and bank card numbers (:func:`mask_id_number`, :func:`mask_card_no`),
by length *n*:

* n ≥ 16: first 4, exactly eight ``*``, last 4 — ``3411********6755``,
  ``1101********123X``, ``6231********0624`` (the contract's format; the fixed star
  count also hides the length);
* 9 ≤ n ≤ 15: first 2, one ``*`` per hidden character, last 2 (``E1*****78``);
* 4 ≤ n ≤ 8: first 1, one ``*`` per hidden character, last 1 (``P******7``);
* n ≤ 3: all ``*``.

  At least half of the characters are always hidden. (Showing first 4 + last 4 of a
  9-character passport such as ``E12345678`` would reveal 8 of its 9 characters, so the
  contract format starts at 16 characters.)

Mobiles (:func:`mask_mobile`):

* n ≥ 11: first 3, one ``*`` per hidden character, last 4 — ``138****1234``;
* 5 ≤ n ≤ 10: at most half shown, split between both ends (``1****67`` for 7);
* n ≤ 4: all ``*``.

Names (:func:`mask_name`): 1 character → ``*``; 2 → first + ``*`` (``张*``); 3 or more →
first + one ``*`` per middle character + last (``欧**锋``). Separator dots in minority and
foreign names (``·`` U+00B7 and its look-alikes) stay visible, so the shape of the name
is kept: ``扎西·多吉`` → ``扎*·*吉``. At least one character is always hidden.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable

__all__ = [
    "MASK_CHAR",
    "MASK_KINDS",
    "mask_card_no",
    "mask_id_number",
    "mask_mobile",
    "mask_name",
    "mask_value",
]

MASK_CHAR = "*"

#: Name separators kept visible: middle dot, bullet, katakana middle dot, full-width
#: full stop, full stop, hyphenation point, dot operator.
_NAME_SEPARATORS = frozenset("\u00b7\u2022\u30fb\uff0e.\u2027\u22c5")


def _clean(value: object) -> str:
    if value is None:
        return ""
    return unicodedata.normalize("NFC", str(value)).strip()


def _keep_ends(text: str, head: int, tail: int, stars: int | None = None) -> str:
    """First ``head`` and last ``tail`` characters around ``stars`` mask characters
    (by default one per hidden character)."""
    n = len(text)
    if stars is None:
        stars = n - head - tail
    return text[:head] + MASK_CHAR * stars + text[n - tail :]


def _mask_code(text: str) -> str:
    n = len(text)
    if n >= 16:
        return _keep_ends(text, 4, 4, stars=8)
    if n >= 9:
        return _keep_ends(text, 2, 2)
    if n >= 4:
        return _keep_ends(text, 1, 1)
    return MASK_CHAR * n


def mask_id_number(value: object) -> str:
    """Mask an ID number of any type: ``341181199001016755`` → ``3411********6755``."""
    return _mask_code(_clean(value))


def mask_card_no(value: object) -> str:
    """Mask a bank card number: ``6231001234560624`` → ``6231********0624``."""
    return _mask_code(_clean(value))


def mask_mobile(value: object) -> str:
    """Mask a mobile number: ``13812341234`` → ``138****1234``."""
    text = _clean(value)
    n = len(text)
    if n >= 11:
        return _keep_ends(text, 3, 4)
    if n >= 5:
        shown = n // 2
        head = shown // 2
        return _keep_ends(text, head, shown - head)
    return MASK_CHAR * n


def mask_name(value: object) -> str:
    """Mask a person's name by characters: ``张三`` → ``张*``, ``欧阳修锋`` → ``欧**锋``."""
    text = _clean(value)
    n = len(text)
    if n == 0:
        return ""
    if n == 1:
        return MASK_CHAR
    if n == 2:
        return text[0] + MASK_CHAR
    middle = "".join(ch if ch in _NAME_SEPARATORS else MASK_CHAR for ch in text[1:-1])
    if MASK_CHAR not in middle:
        # Only separators between the ends (e.g. "扎·西"): hide the last character.
        return text[0] + middle + MASK_CHAR
    return text[0] + middle + text[-1]


_MASKERS: dict[str, Callable[[object], str]] = {
    "id_number": mask_id_number,
    "mobile": mask_mobile,
    "card_no": mask_card_no,
    "name": mask_name,
}

#: The kinds :func:`mask_value` understands.
MASK_KINDS = frozenset(_MASKERS)


def mask_value(kind: str, value: object) -> str | None:
    """Mask ``value`` as ``kind`` (``"id_number"``, ``"mobile"``, ``"card_no"``,
    ``"name"``). ``None`` stays ``None``; an unknown kind raises :class:`ValueError`."""
    try:
        masker = _MASKERS[kind]
    except KeyError:
        raise ValueError(f"unknown mask kind: {kind!r}") from None
    if value is None:
        return None
    return masker(value)
