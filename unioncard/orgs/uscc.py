"""Unified social credit code (统一社会信用代码, GB 32100-2015).

An 18-character code:

====== =======================================================================
pos    meaning
====== =======================================================================
1      registration authority (登记管理部门), e.g. ``8`` 工会, ``9`` 工商, ``5`` 民政
2      organisation type (机构类别), e.g. ``81`` 基层工会, ``91`` 企业
3–8    administrative region code (登记管理机关行政区划码), six digits
9–17   organisation code (主体标识码, GB 11714): eight body characters and its own
       check character (weights 3,7,9,10,5,8,4,2, mod 11; 10 → ``X``, 11 → ``0``)
18     check character over positions 1–17 (weights 3^i mod 31, mod 31)
====== =======================================================================

Every character comes from the 31-character alphabet ``0-9 A-H J-N P-R T-U W-Y``
(no I, O, Z, S, V).

:func:`is_valid_uscc` is strict: it checks the exact string it is given. Clean user
input with :func:`normalise_uscc` first.
"""

from __future__ import annotations

import random
import unicodedata

__all__ = [
    "USCC_ALPHABET",
    "generate_uscc",
    "is_valid_uscc",
    "normalise_uscc",
    "orgcode_check_char",
    "uscc_check_char",
]

#: The 31 characters a USCC may contain, in value order (index = numeric value).
USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_USCC_VALUE = {ch: i for i, ch in enumerate(USCC_ALPHABET)}
_USCC_SET = frozenset(USCC_ALPHABET)

#: 3**i mod 31 for i = 0..16.
_USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)

#: GB 11714 organisation-code weights for the eight body characters.
_ORG_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)

#: Body characters used by :func:`generate_uscc` for the organisation code.
_ORG_BODY_LETTERS = "ABCDEFGHJKLMNPQRTUWXY"

#: Shanghai district codes used when no region is given to :func:`generate_uscc`.
_DEFAULT_REGIONS = (
    "310000",
    "310101",
    "310104",
    "310105",
    "310106",
    "310107",
    "310109",
    "310110",
    "310112",
    "310113",
    "310114",
    "310115",
    "310116",
    "310117",
    "310118",
    "310120",
    "310151",
)


def normalise_uscc(value: object) -> str:
    """Return ``value`` cleaned for storage and validation.

    Applies NFKC (full-width ``９１３５…`` → ``9135…``, ideographic space → space),
    removes invisible format characters (zero-width spaces and the like), strips
    surrounding whitespace and upper-cases. ``None`` becomes ``""``. The result is
    not validated.
    """
    if value is None:
        return ""
    text = unicodedata.normalize("NFKC", str(value))
    text = "".join(ch for ch in text if unicodedata.category(ch) != "Cf")
    return text.strip().upper()


def _org_char_value(ch: str) -> int:
    """GB 11714 value of a body character: digits as themselves, A=10 … Z=35."""
    if "0" <= ch <= "9":
        return ord(ch) - 48
    if "A" <= ch <= "Z":
        return ord(ch) - 55
    raise ValueError(f"invalid organisation-code character: {ch!r}")


def orgcode_check_char(body8: str) -> str:
    """Check character of a GB 11714 organisation code from its eight body characters."""
    if len(body8) != 8:
        raise ValueError("an organisation-code body has 8 characters")
    total = sum(_org_char_value(ch) * w for ch, w in zip(body8, _ORG_WEIGHTS, strict=True))
    code = 11 - total % 11
    if code == 10:
        return "X"
    if code == 11:
        return "0"
    return str(code)


def uscc_check_char(first17: str) -> str:
    """Check character (position 18) of a USCC from its first 17 characters.

    Raises :class:`ValueError` if ``first17`` is not 17 characters of the USCC alphabet.
    """
    if len(first17) != 17:
        raise ValueError("the first part of a USCC has 17 characters")
    try:
        total = sum(_USCC_VALUE[ch] * w for ch, w in zip(first17, _USCC_WEIGHTS, strict=True))
    except KeyError as exc:
        raise ValueError(f"invalid USCC character: {exc.args[0]!r}") from None
    code = 31 - total % 31
    return USCC_ALPHABET[0 if code == 31 else code]


def is_valid_uscc(code: object) -> bool:
    """True if ``code`` is exactly a valid 18-character USCC (no normalisation).

    Checks length, alphabet, digits in positions 3–8, the organisation-code check
    character (position 17) and the USCC check character (position 18).
    """
    if not isinstance(code, str) or len(code) != 18:
        return False
    if not _USCC_SET.issuperset(code):
        return False
    if not code[2:8].isdigit():
        return False
    if orgcode_check_char(code[8:16]) != code[16]:
        return False
    return uscc_check_char(code[:17]) == code[17]


def generate_uscc(
    rng: random.Random,
    prefix: str = "81",
    *,
    region: str | None = None,
) -> str:
    """A random but valid USCC, deterministic for a given ``rng`` state (demo data).

    ``prefix`` is the two-character authority + type code (``"81"`` = 基层工会,
    ``"91"`` = 企业, ``"51"`` = 社会团体 …); ``region`` a six-digit region code, by
    default one of Shanghai's.
    """
    if len(prefix) != 2 or not _USCC_SET.issuperset(prefix):
        raise ValueError(f"invalid USCC prefix: {prefix!r}")
    if region is None:
        region = _DEFAULT_REGIONS[rng.randrange(len(_DEFAULT_REGIONS))]
    elif len(region) != 6 or not region.isdigit() or not region.isascii():
        raise ValueError(f"invalid region code: {region!r}")
    body_chars = []
    for _ in range(8):
        if rng.random() < 0.15:
            body_chars.append(_ORG_BODY_LETTERS[rng.randrange(len(_ORG_BODY_LETTERS))])
        else:
            body_chars.append(str(rng.randrange(10)))
    body = "".join(body_chars)
    first17 = prefix + region + body + orgcode_check_char(body)
    return first17 + uscc_check_char(first17)
