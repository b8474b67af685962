"""Masking of personal values: by characters (code points after NFC), never by bytes."""

from __future__ import annotations

import unicodedata

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from unioncard.security.masking import (
    MASK_KINDS,
    mask_card_no,
    mask_id_number,
    mask_mobile,
    mask_name,
    mask_value,
)


@pytest.mark.parametrize(
    ("value", "masked"),
    [
        ("341181199001016755", "3411********6755"),  # the contract's example shape
        ("11010519491231002X", "1101********002X"),  # X kept
        ("11010519491231002x", "1101********002x"),
        ("310101800101123", "31***********23"),  # old 15-digit ID
        ("E12345678", "E1*****78"),  # 9-character passport: at least half hidden
        ("H12345678", "H1*****78"),
        ("P1234567", "P******7"),
        ("12345678", "1******8"),  # 台胞证
        ("ABCD", "A**D"),
        ("ABC", "***"),
        ("AB", "**"),
        ("A", "*"),
        ("", ""),
        ("  341181199001016755 ", "3411********6755"),  # stripped first
    ],
)
def test_mask_id_number(value, masked):
    assert mask_id_number(value) == masked


@pytest.mark.parametrize(
    ("value", "masked"),
    [
        ("13812341234", "138****1234"),
        ("+8613812341234", "+86*******1234"),
        ("0216543210", "02*****210"),  # 10: five shown at most
        ("6543210", "6****10"),  # 7 characters: 3 shown
        ("65432", "6***2"),
        ("1234", "****"),
        ("12", "**"),
        ("", ""),
        (13812341234, "138****1234"),  # an int is converted
    ],
)
def test_mask_mobile(value, masked):
    assert mask_mobile(value) == masked


@pytest.mark.parametrize(
    ("value", "masked"),
    [
        ("6231001234560624", "6231********0624"),
        ("6217001234567890123", "6217********0123"),  # 19 digits: still eight stars
        ("623100123456", "62********56"),  # 12 digits
        ("62310012", "6******2"),
        ("623", "***"),
        ("", ""),
    ],
)
def test_mask_card_no(value, masked):
    assert mask_card_no(value) == masked


@pytest.mark.parametrize(
    ("value", "masked"),
    [
        ("张", "*"),
        ("张三", "张*"),
        ("王小明", "王*明"),
        ("欧阳修锋", "欧**锋"),
        ("𠮷", "*"),
        ("王𠮷", "王*"),
        ("𠮷田", "𠮷*"),
        ("李𠮷祥", "李*祥"),
        ("刘䶮", "刘*"),
        ("程珺妍", "程*妍"),
        ("扎西·多吉", "扎*·*吉"),
        ("阿不都热依木·买买提", "阿*****·**提"),
        ("阿卜杜热西提·阿卜杜热合曼·买买提", "阿*****·******·**提"),
        ("扎·西", "扎·*"),  # only a dot in the middle: still hide something
        ("约翰•史密斯", "约*•**斯"),  # bullet as separator
        ("", ""),
        ("  张三 ", "张*"),
    ],
)
def test_mask_name(value, masked):
    assert mask_name(value) == masked


def test_name_is_masked_after_nfc():
    decomposed = "Jose\u0301 Garci\u0301a"  # é and í as base + combining accent
    assert unicodedata.normalize("NFC", decomposed) != decomposed
    masked = mask_name(decomposed)
    assert masked == "J" + "*" * 9 + "a"
    assert "\u0301" not in masked


def test_astral_characters_are_never_split():
    for masked in (mask_name("𠮷𠮷𠮷"), mask_name("王𠮷"), mask_id_number("𠮷" * 18)):
        masked.encode("utf-8")  # would raise on a lone surrogate
        assert not any(0xD800 <= ord(c) <= 0xDFFF for c in masked)
    assert mask_name("𠮷𠮷𠮷") == "𠮷*𠮷"
    assert mask_id_number("𠮷" * 18) == "𠮷𠮷𠮷𠮷********𠮷𠮷𠮷𠮷"


@pytest.mark.parametrize(
    ("kind", "value", "masked"),
    [
        ("id_number", "341181199001016755", "3411********6755"),
        ("mobile", "13812341234", "138****1234"),
        ("card_no", "6231001234560624", "6231********0624"),
        ("name", "欧阳修锋", "欧**锋"),
        ("id_number", None, None),
        ("mobile", None, None),
        ("card_no", None, None),
        ("name", None, None),
        ("name", "", ""),
    ],
)
def test_mask_value(kind, value, masked):
    assert mask_value(kind, value) == masked


def test_mask_value_unknown_kind():
    with pytest.raises(ValueError):
        mask_value("password", "secret")
    assert sorted(MASK_KINDS) == ["card_no", "id_number", "mobile", "name"]


@settings(database=None, max_examples=300)
@given(
    kind=st.sampled_from(sorted(MASK_KINDS)),
    # real values hold no "*": with one, a mask could coincide with the value ("0*")
    text=st.text(st.characters(blacklist_characters="*"), min_size=1, max_size=40),
)
def test_never_shows_the_whole_value(kind, text):
    clean = unicodedata.normalize("NFC", text).strip()
    masked = mask_value(kind, text)
    if not clean:
        assert masked == ""
    else:
        assert masked != clean
        assert "*" in masked


@settings(database=None, max_examples=300)
@given(
    kind=st.sampled_from(["id_number", "card_no"]),
    text=st.text(st.characters(blacklist_categories=("Zs", "Cc")), min_size=1, max_size=40),
)
def test_codes_hide_at_least_half(kind, text):
    clean = unicodedata.normalize("NFC", text).strip()
    if not clean or "*" in clean:
        return
    masked = mask_value(kind, text)
    shown = len(masked) - masked.count("*")
    assert shown <= len(clean) / 2


@settings(database=None, max_examples=300)
@given(text=st.text("0123456789", min_size=1, max_size=10))
def test_short_mobiles_hide_at_least_half(text):
    masked = mask_mobile(text)
    assert len(masked) == len(text)
    assert masked.count("*") >= len(text) / 2
