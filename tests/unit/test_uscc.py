"""Unified social credit codes (GB 32100-2015) with the GB 11714 organisation code inside."""

from __future__ import annotations

import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from unioncard.orgs.uscc import (
    USCC_ALPHABET,
    generate_uscc,
    is_valid_uscc,
    normalise_uscc,
    orgcode_check_char,
    uscc_check_char,
)

# Published codes of real organisations; each passes both checks by our own computation
# (see test_published_check_characters).
PUBLISHED = [
    "91350100M000100Y43",  # the example most often cited in GB 32100 explanations
    "914403001922038216",
    "91330100799655058B",
    "91110000802100433B",
    "91310000132200821H",
    "91440300708461136T",
    "91110108551385082Q",
]

FORBIDDEN = "IOZSV"


@pytest.mark.parametrize("code", PUBLISHED)
def test_published_codes_are_valid(code):
    assert is_valid_uscc(code)


@pytest.mark.parametrize("code", PUBLISHED)
def test_published_check_characters(code):
    assert uscc_check_char(code[:17]) == code[17]
    assert orgcode_check_char(code[8:16]) == code[16]


def test_worked_example():
    # Organisation code M000100Y-4: M=22, Y=34 in GB 11714 (A=10 … Z=35):
    # 22*3 + 1*5 + 34*2 = 139; 139 mod 11 = 7; 11 - 7 = 4.
    assert orgcode_check_char("M000100Y") == "4"
    assert uscc_check_char("91350100M000100Y4") == "3"


@pytest.mark.parametrize(
    ("body", "check"),
    [
        ("00000000", "0"),  # sum 0 → 11 → "0"
        ("00000001", "9"),  # 1*2 = 2 → 9
        ("00000006", "X"),  # 6*2 = 12 ≡ 1 → 10 → "X"
        ("10000000", "8"),  # 1*3 = 3 → 8
        ("A0000000", "3"),  # A = 10: 30 ≡ 8 → 3
    ],
)
def test_orgcode_check_values(body, check):
    assert orgcode_check_char(body) == check


@pytest.mark.parametrize(
    ("first17", "check"),
    [
        ("0" * 17, "0"),  # sum 0 → 31 → "0"
        ("1" + "0" * 16, "Y"),  # sum 1 → 30 → "Y" (index 30)
        ("0" * 16 + "1", "3"),  # weight 28 → 3
        ("Y" + "0" * 16, "1"),  # Y = 30 → 1
    ],
)
def test_uscc_check_values(first17, check):
    assert uscc_check_char(first17) == check


@pytest.mark.parametrize("code", PUBLISHED)
def test_wrong_check_character(code):
    for ch in USCC_ALPHABET:
        if ch != code[17]:
            assert not is_valid_uscc(code[:17] + ch)


@pytest.mark.parametrize("code", PUBLISHED)
def test_wrong_orgcode_check_even_with_matching_uscc_check(code):
    for ch in "0123456789X":
        if ch != code[16]:
            first17 = code[:16] + ch
            assert not is_valid_uscc(first17 + uscc_check_char(first17))


@pytest.mark.parametrize("letter", FORBIDDEN)
def test_forbidden_letters(letter):
    base = "91350100M000100Y43"
    for pos in (0, 1, 8, 17):
        assert not is_valid_uscc(base[:pos] + letter + base[pos + 1 :])
    with pytest.raises(ValueError):
        uscc_check_char("91350100" + letter + "000100Y4")


def test_region_must_be_digits():
    body = "M000100Y"
    first17 = "9135010A" + body + orgcode_check_char(body)
    assert not is_valid_uscc(first17 + uscc_check_char(first17))


@pytest.mark.parametrize(
    "value",
    ["", "91350100M000100Y4", "91350100M000100Y433", "91350100M000100Y43 ", None, 91350100, b"x"],
)
def test_wrong_length_or_type(value):
    assert not is_valid_uscc(value)


def test_check_char_needs_17_characters():
    with pytest.raises(ValueError):
        uscc_check_char("91350100M000100Y")
    with pytest.raises(ValueError):
        orgcode_check_char("M000100")


def test_lower_case_is_invalid_until_normalised():
    raw = "91350100m000100y43"
    assert not is_valid_uscc(raw)
    assert normalise_uscc(raw) == "91350100M000100Y43"
    assert is_valid_uscc(normalise_uscc(raw))


@pytest.mark.parametrize(
    "raw",
    [
        "  91350100M000100Y43\t",
        "\u300091350100M000100Y43\u3000",  # ideographic spaces
        "９１３５０１００Ｍ０００１００Ｙ４３",  # full-width
        "91350100m000100y43\n",
        "\u200b91350100M000100Y43\ufeff",  # zero-width space, BOM
    ],
)
def test_normalise(raw):
    assert normalise_uscc(raw) == "91350100M000100Y43"


def test_normalise_none():
    assert normalise_uscc(None) == ""


def test_generate_default_prefix_and_validity():
    rng = random.Random(7)
    codes = [generate_uscc(rng) for _ in range(2000)]
    assert all(is_valid_uscc(c) for c in codes)
    assert all(c.startswith("81") for c in codes)
    assert len(set(codes)) == len(codes)
    assert any(c[16] == "X" for c in codes)  # the org-code check can be X


def test_generate_is_deterministic():
    a = [generate_uscc(random.Random(42)) for _ in range(3)]
    assert len(set(a)) == 1
    r1, r2 = random.Random(1), random.Random(1)
    assert [generate_uscc(r1, "91") for _ in range(50)] == [
        generate_uscc(r2, "91") for _ in range(50)
    ]


def test_generate_prefix_and_region():
    code = generate_uscc(random.Random(3), "51", region="310110")
    assert code.startswith("51310110")
    assert is_valid_uscc(code)


@pytest.mark.parametrize("prefix", ["8", "811", "8I", "O1", "81 "])
def test_generate_rejects_bad_prefix(prefix):
    with pytest.raises(ValueError):
        generate_uscc(random.Random(0), prefix)


@pytest.mark.parametrize("region", ["31011", "31011A", "３１０１１０"])
def test_generate_rejects_bad_region(region):
    with pytest.raises(ValueError):
        generate_uscc(random.Random(0), region=region)


@settings(database=None, max_examples=200)
@given(seed=st.integers(0, 2**32), pos=st.integers(0, 17), data=st.data())
def test_any_single_substitution_is_detected(seed, pos, data):
    code = generate_uscc(random.Random(seed))
    replacement = data.draw(st.sampled_from([c for c in USCC_ALPHABET if c != code[pos]]))
    assert not is_valid_uscc(code[:pos] + replacement + code[pos + 1 :])
