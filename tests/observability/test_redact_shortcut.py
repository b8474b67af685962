"""``redact`` skips the patterns a text cannot match (no "=", no 11 digits in a row): the
same text as running every pattern, on any text."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from unioncard.observability import redact as module
from unioncard.observability.redact import redact


def _every_pattern(text: str) -> str:
    if not text:
        return text
    text = module._PARAM.sub(lambda m: f"{m.group(1)}={module.MASK}", text)
    text = module._ID_NO.sub(lambda m: m.group(0)[:4] + "*" * 10 + m.group(0)[-4:], text)
    text = module._CARD_NO.sub(
        lambda m: m.group(0)[:4] + "*" * (len(m.group(0)) - 8) + m.group(0)[-4:], text
    )
    return module._MOBILE.sub(
        lambda m: m.group(0)[:-11] + m.group(0)[-11:-8] + "****" + m.group(0)[-4:], text
    )


PIECES = st.sampled_from(
    ["=", "&", "?", ".", " ", "+86 ", "X", "id_no", "mobile", "q", "page_size", "/api/x", "张"]
)
DIGITS = st.text(alphabet="0123456789", min_size=1, max_size=20)


@given(st.lists(st.one_of(PIECES, DIGITS), max_size=12).map("".join))
def test_the_shortcut_masks_as_every_pattern_would(text):
    assert redact(text) == _every_pattern(text)


def test_examples():
    for text in (
        "GET /api/admin/v1/orgs?page_size=10&parent_id=228 200 1ms",
        "GET /x?q=13812345678&page=1",
        "13812345678 id_no=341181199001016755",
        "a=1 341181199001016755",
    ):
        assert redact(text) == _every_pattern(text)
