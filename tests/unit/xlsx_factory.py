"""Build real import workbooks for the tests: the system's template, filled in with openpyxl.

``build(members, header=..., edit=...)`` returns xlsx bytes; members are dicts keyed by
the template's column keys (``member()`` gives a valid one), or None for a blank row.
``with_cached_value`` adds the cached result Excel stores next to a formula, which openpyxl
cannot write, so tests can reproduce seed 004's VLOOKUP that shows a plausible mobile.
"""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date

from openpyxl import load_workbook
from openpyxl.worksheet.worksheet import Worksheet

from unioncard.imports.engine import ExistingMember, UnionContext, UploadLimits, validate_import
from unioncard.imports.template import COLUMN_BY_KEY, FIRST_DATA_ROW, build_template
from unioncard.members.idcard import resident_id_check_char

UNION = "深圳市测试科技有限公司工会委员会"
BRANCHES = [("44301", "中国银行深圳福田支行"), ("44302", "中国银行深圳南山支行")]
UNION_CTX = UnionContext(UNION, frozenset(code for code, _ in BRANCHES))
TODAY = date(2026, 1, 15)
HEADER = {"G3": "2", "I3": "60", "K3": "44301", "M3": "是"}

# seed 004 wording, spelled out here so that a typo in messages.py fails the tests
ID_INVALID = '身份证号码无效，请核对身份证原件,并检查所填数据中是否存在字母"O"！'
ID_LENGTH = "身份证号码格式错误，请填写18位正确的身份证号码！"
ID_LETTER_O = '身份证号码中含有字母"O"，请将其改为数字"0"！'
COUNTRY_REQUIRED = "证件号码无效或者为非居民身份证时，国家/地区必填！"
TYPE_REQUIRED = "证件号码无效或者为非居民身份证时，证件类型必填！"
BIRTH_REQUIRED = "证件号码无效或者为非居民身份证时，出生日期必填！"
HEADER_INCOMPLETE = "请把表头内容填写完整！"
ADDRESS_INVALID = "工作单位详细地址请填写6至20个汉字（办理会员服务卡必填）！"


def make_id(region: str = "440304", birth: str = "19840531", seq: str = "712") -> str:
    """A valid 18-character resident ID with its check character."""
    first17 = f"{region}{birth}{seq}"
    return first17 + resident_id_check_char(first17)


def id_for(n: int) -> str:
    """Distinct valid IDs for ``n`` < 10,000 (born on 31 May 1984 when ``n`` < 900)."""
    return make_id(birth=f"{1984 - (100 + n) // 1000}0531", seq=f"{(100 + n) % 1000:03d}")


def mobile_for(n: int) -> str:
    return f"1380000{n:04d}"


def member(n: int = 1, **overrides) -> dict:
    """A valid member row (身份证, wants a card)."""
    row = {
        "seq": n,
        "name": f"张{'一二三四五六七八九十'[n % 10]}",
        "id_type": "身份证",
        "id_number": id_for(n),
        "mobile": mobile_for(n),
        "work_address": "深圳市福田区深南大道1001号",
        "join_date": date(2020, 3, 1),
        "wants_card": "是",
    }
    row.update(overrides)
    return row


def build(
    members: list[dict | None],
    *,
    header: dict[str, object] | None = None,
    edit: Callable[[Worksheet], None] | None = None,
    union_name: str = UNION,
) -> bytes:
    """The template filled in: header block values, then one row per member from row 5."""
    wb = load_workbook(io.BytesIO(build_template(union_name, BRANCHES)))
    ws = wb.worksheets[0]
    for ref, value in {**HEADER, **(header or {})}.items():
        ws[ref] = value
    for i, values in enumerate(members):
        if values is None:
            continue
        for key, value in values.items():
            ws[f"{COLUMN_BY_KEY[key].letter}{FIRST_DATA_ROW + i}"] = value
    if edit is not None:
        edit(ws)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def with_cached_value(data: bytes, ref: str, value: str) -> bytes:
    """Give the formula in ``ref`` a cached string result, as Excel would have saved it."""
    src = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for item in src.infolist():
            content = src.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                pattern = re.compile(
                    rf'<c r="{ref}"([^>]*)>(<f>.*?</f>)<v\s*/?>(?:</v>)?</c>'.encode()
                )
                content, count = pattern.subn(
                    lambda m: b'<c r="' + ref.encode() + b'" t="str">' + m.group(2)
                    + b"<v>" + value.encode() + b"</v></c>",
                    content,
                )  # fmt: skip
                assert count == 1, content[:2000]
            dst.writestr(item, content)
    return out.getvalue()


@dataclass
class FakeLookups:
    """Stands in for the database; records every call."""

    ids: dict[str, ExistingMember] = field(default_factory=dict)
    mobiles: set[str] = field(default_factory=set)
    id_calls: list[list[str]] = field(default_factory=list)
    mobile_calls: list[list[str]] = field(default_factory=list)

    def find_ids(self, id_numbers: list[str]) -> dict[str, ExistingMember]:
        self.id_calls.append(list(id_numbers))
        return {n: self.ids[n] for n in id_numbers if n in self.ids}

    def find_mobiles(self, mobiles: list[str]) -> set[str]:
        self.mobile_calls.append(list(mobiles))
        return {m for m in mobiles if m in self.mobiles}

    def index(self, kind: str, value: str) -> str:
        return f"{kind}:{value}"


def make_cfb(stream_names: list[str]) -> bytes:
    """A minimal compound file (MS-CFB, version 3) holding empty streams with these names:
    the container of an old .xls, or of a password-protected xlsx ("EncryptedPackage")."""
    import struct

    end, free, fat_sector = 0xFFFFFFFE, 0xFFFFFFFF, 0xFFFFFFFD
    header = bytearray(512)
    header[0:8] = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
    struct.pack_into("<HHHHH", header, 24, 0x3E, 3, 0xFFFE, 9, 6)
    struct.pack_into("<IIII", header, 40, 0, 1, 1, 0)  # dir sectors, FAT sectors, first dir, txn
    struct.pack_into("<IIIII", header, 56, 4096, end, 0, end, 0)
    struct.pack_into("<109I", header, 76, 0, *([free] * 108))  # the FAT is sector 0

    fat = struct.pack("<128I", fat_sector, end, *([free] * 126))  # sector 1: the directory

    def entry(name: str, kind: int, child: int = free, right: int = free) -> bytes:
        raw = name.encode("utf-16-le") + b"\0\0"
        e = bytearray(128)
        e[0 : len(raw)] = raw
        struct.pack_into("<HBB", e, 64, len(raw), kind, 1)
        struct.pack_into("<III", e, 68, free, right, child)
        struct.pack_into("<II", e, 116, end, 0)  # start sector, size
        return bytes(e)

    entries = [entry("Root Entry", 5, child=1 if stream_names else free)]
    for i, name in enumerate(stream_names, start=1):
        entries.append(entry(name, 2, right=i + 1 if i < len(stream_names) else free))
    directory = b"".join(entries).ljust(512, b"\0")
    if len(directory) > 512:
        raise ValueError("at most 3 streams")
    return bytes(header) + fat + directory


def run(data: bytes, lookups: FakeLookups | None = None, **kwargs):
    """Validate ``data`` as the test union on TODAY: (run, all outcomes, the chunks)."""
    lookups = lookups if lookups is not None else FakeLookups()
    kwargs.setdefault("limits", UploadLimits())
    result = validate_import(data, UNION_CTX, lookups, today=TODAY, **kwargs)
    chunks = list(result.chunks())
    return result, [outcome for chunk in chunks for outcome in chunk], chunks


def errors_of(data: bytes, lookups: FakeLookups | None = None) -> list[tuple[int, str, str]]:
    """(row, column, message) of every row error, in order."""
    result, outcomes, _ = run(data, lookups)
    return [(e.row, e.column, e.message) for o in outcomes for e in o.errors]


def only_error(**overrides) -> tuple[int, str, str]:
    """The single error of a file whose one member row has ``overrides``."""
    errors = errors_of(build([member(1, **overrides)]))
    assert len(errors) == 1, errors
    return errors[0]
