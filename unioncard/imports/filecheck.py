"""Checks on an uploaded workbook before anything parses it (pure, no I/O).

``inspect_upload(data, limits)`` raises ``UploadRejected`` with one Chinese message a clerk
can act on (empty, too big, not an xlsx, password-protected, corrupt, a zip bomb, no
worksheet), and otherwise returns the formula cells of the first worksheet.

Every zip entry is inflated here once, as a stream with a byte cap: the sizes declared in
the zip headers are checked too, but never trusted. While the first worksheet streams by,
a regex over the XML picks out the cells holding formulas, which calamine would only
give as their cached values (seed 004: a VLOOKUP pasted into the mobile column).
"""

from __future__ import annotations

import html
import io
import posixpath
import re
import struct
import zipfile
import zlib
from collections.abc import Collection, Iterator
from dataclasses import dataclass

__all__ = ["FormulaCells", "UploadLimits", "UploadRejected", "inspect_upload"]

FormulaCells = dict[tuple[int, str], str]
"""(Excel row, column letter) -> formula text without the leading "="."""

MSG_EMPTY = "上传的文件是空的，请选择填写好的会员信息采集表后重新上传。"
MSG_TOO_BIG = "文件大小超过{mb}MB，请删除多余的空行，或把会员分成几个文件分别导入。"
MSG_NOT_XLSX = "文件格式不正确：请使用系统下载的会员模板填写，并保存为.xlsx格式后上传。"
MSG_ENCRYPTED = "文件设置了密码保护，无法读取：请在Excel中取消密码后重新上传。"
MSG_CORRUPT = "文件已损坏，无法读取：请在Excel中打开后另存为.xlsx，再重新上传。"
MSG_BOMB = "文件内容异常（解压后体积过大），无法读取：请使用系统下载的会员模板重新填写后上传。"
MSG_NO_SHEET = "文件中没有找到工作表：请使用系统下载的会员模板填写后上传。"

_CFB_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_ZIP_MAGIC = b"PK\x03\x04"
_MAX_ENTRIES = 2000
_MAX_PART_BYTES = 8 * 1024 * 1024  # workbook.xml and its rels, read whole
_RATIO_FLOOR = 1024 * 1024  # ratios only count once an entry inflates past 1 MiB
_IN_CHUNK = 256 * 1024
_OUT_CHUNK = 1024 * 1024

_FORMULA_CELL = re.compile(  # matched from a cell's start tag, so only where a formula is
    rb'<(?:[\w.-]+:)?c\s[^>]*?\br="([A-Z]{1,3})([0-9]+)"[^>]*>\s*'
    rb"(<(?:[\w.-]+:)?f)\b([^>]*?)(?:/>|>([^<]*)</(?:[\w.-]+:)?f>)"
)
_ROOT_PREFIX = re.compile(rb"<([\w.-]+:)?worksheet\b")
_TAG_END = frozenset((b" ", b"/", b">", b"\t", b"\r", b"\n"))
_SHARED_SI = re.compile(rb'\bsi="(\d+)"')
_SHARED_TYPE = re.compile(rb'\bt="shared"')
_SHEET_TAG = re.compile(rb"<(?:[\w.-]+:)?sheet\s([^>]*)>")
_REL_ID_ATTR = re.compile(rb'\b[\w.-]+:id="([^"]*)"')
_REL_TAG = re.compile(rb"<(?:[\w.-]+:)?Relationship\s([^>]*)>")
_ID_ATTR = re.compile(rb'\bId="([^"]*)"')
_TARGET_ATTR = re.compile(rb'\bTarget="([^"]*)"')


class UploadRejected(Exception):
    """The upload cannot be read at all; ``message`` says what to do, in Chinese."""

    def __init__(self, message: str):
        self.message = message
        super().__init__(message)


@dataclass(frozen=True)
class UploadLimits:
    max_bytes: int = 10 * 1024 * 1024
    max_uncompressed_bytes: int = 400 * 1024 * 1024
    max_ratio: int = 200
    max_rows: int = 100_000

    @property
    def max_megabytes(self) -> str:
        return f"{self.max_bytes / (1024 * 1024):g}"


def inspect_upload(
    data: bytes, limits: UploadLimits, *, formula_columns: Collection[str] | None = None
) -> FormulaCells:
    """Reject what cannot be a readable xlsx; return the first sheet's formula cells.

    ``formula_columns`` limits which columns' formulas are collected (all when None).
    """
    if not data:
        raise UploadRejected(MSG_EMPTY)
    if len(data) > limits.max_bytes:
        raise UploadRejected(MSG_TOO_BIG.format(mb=limits.max_megabytes))
    if data.startswith(_CFB_MAGIC):
        raise UploadRejected(MSG_ENCRYPTED if _is_encrypted_ooxml(data) else MSG_NOT_XLSX)
    if not data.startswith(_ZIP_MAGIC):
        raise UploadRejected(MSG_NOT_XLSX)
    try:
        zf = zipfile.ZipFile(io.BytesIO(data))
        infos = zf.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, EOFError, OSError):
        raise UploadRejected(MSG_CORRUPT) from None
    _check_declared(infos, limits)
    by_name = {info.filename: info for info in infos}
    if "xl/workbook.xml" not in by_name:
        raise UploadRejected(MSG_NOT_XLSX)
    sheet_part = _first_sheet_part(data, by_name, limits)
    if sheet_part not in by_name:
        raise UploadRejected(MSG_NO_SHEET)

    formulas: FormulaCells = {}
    total = 0
    for info in infos:
        scanner = (
            _FormulaScanner(formulas, formula_columns) if info.filename == sheet_part else None
        )
        for piece in _inflate(data, info, limits, total):
            total += len(piece)
            if scanner is not None:
                scanner.feed(piece)
        if scanner is not None:
            scanner.close()
    return formulas


def _check_declared(infos: list[zipfile.ZipInfo], limits: UploadLimits) -> None:
    if len(infos) > _MAX_ENTRIES:
        raise UploadRejected(MSG_NOT_XLSX)
    declared = 0
    for info in infos:
        if info.flag_bits & 0x1:
            raise UploadRejected(MSG_ENCRYPTED)
        if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
            raise UploadRejected(MSG_CORRUPT)
        declared += info.file_size
        if info.file_size > _RATIO_FLOOR and info.file_size > info.compress_size * limits.max_ratio:
            raise UploadRejected(MSG_BOMB)
    if declared > limits.max_uncompressed_bytes:
        raise UploadRejected(MSG_BOMB)


def _inflate(
    data: bytes, info: zipfile.ZipInfo, limits: UploadLimits, already: int
) -> Iterator[bytes]:
    """The entry's real content in pieces, stopping at the caps whatever the headers say."""
    start = info.header_offset
    if data[start : start + 4] != _ZIP_MAGIC or start + 30 > len(data):
        raise UploadRejected(MSG_CORRUPT)
    name_len, extra_len = struct.unpack_from("<HH", data, start + 26)
    pos = start + 30 + name_len + extra_len
    end = min(pos + info.compress_size, len(data))
    cap = min(
        limits.max_uncompressed_bytes - already,
        max(_RATIO_FLOOR, max(info.compress_size, 1) * limits.max_ratio),
    )
    view = memoryview(data)
    if info.compress_type == zipfile.ZIP_STORED:
        if end - pos > cap:
            raise UploadRejected(MSG_BOMB)
        for off in range(pos, end, _OUT_CHUNK):
            yield bytes(view[off : min(off + _OUT_CHUNK, end)])
        return
    inflater = zlib.decompressobj(-15)
    produced = 0
    pending = b""
    try:
        while not inflater.eof:
            if not pending:
                if pos >= end:
                    raise UploadRejected(MSG_CORRUPT)  # the stream stops before its end
                pending = view[pos : min(pos + _IN_CHUNK, end)]
                pos += len(pending)
            out = inflater.decompress(pending, _OUT_CHUNK)
            pending = inflater.unconsumed_tail
            produced += len(out)
            if produced > cap:
                raise UploadRejected(MSG_BOMB)
            if out:
                yield out
    except zlib.error:
        raise UploadRejected(MSG_CORRUPT) from None


def _read_part(data: bytes, info: zipfile.ZipInfo, limits: UploadLimits) -> bytes:
    small = UploadLimits(
        max_bytes=limits.max_bytes,
        max_uncompressed_bytes=min(limits.max_uncompressed_bytes, _MAX_PART_BYTES),
        max_ratio=limits.max_ratio,
        max_rows=limits.max_rows,
    )
    return b"".join(_inflate(data, info, small, 0))


def _first_sheet_part(
    data: bytes, by_name: dict[str, zipfile.ZipInfo], limits: UploadLimits
) -> str:
    workbook = _read_part(data, by_name["xl/workbook.xml"], limits)
    sheet = _SHEET_TAG.search(workbook)
    if sheet is None:
        raise UploadRejected(MSG_NO_SHEET)
    rel_id = _REL_ID_ATTR.search(sheet.group(1))
    rels_info = by_name.get("xl/_rels/workbook.xml.rels")
    if rel_id is None or rels_info is None:
        raise UploadRejected(MSG_NO_SHEET)
    for rel in _REL_TAG.finditer(_read_part(data, rels_info, limits)):
        rid = _ID_ATTR.search(rel.group(1))
        target = _TARGET_ATTR.search(rel.group(1))
        if rid and target and rid.group(1) == rel_id.group(1):
            path = html.unescape(target.group(1).decode("utf-8", "replace"))
            if path.startswith("/"):
                return posixpath.normpath(path.lstrip("/"))
            return posixpath.normpath(posixpath.join("xl", path))
    raise UploadRejected(MSG_NO_SHEET)


class _FormulaScanner:
    """Collects formula cells from sheet XML fed in arbitrary pieces.

    Pieces are cut after the last ``row>`` seen (a cell never spans rows) and the rest is
    carried over to the next piece, so a cell split across pieces is matched whole. Each
    piece costs one substring search unless it holds formulas; for each ``<f`` found, the
    cell around it is matched from its start tag.
    """

    def __init__(self, out: FormulaCells, columns: Collection[str] | None):
        self.out = out
        self.columns = None if columns is None else frozenset(columns)
        self.carry = b""
        self.prefix: bytes | None = None  # the sheet's namespace prefix, e.g. b"x:" or b""
        self.shared: dict[bytes, tuple[str, str]] = {}  # si -> (origin cell, formula)

    def feed(self, piece: bytes) -> None:
        buf = self.carry + piece if self.carry else piece
        if self.prefix is None:
            root = _ROOT_PREFIX.search(buf)
            if root is None and len(buf) < _OUT_CHUNK:
                self.carry = buf
                return
            self.prefix = (root.group(1) or b"") if root else b""
        cut = buf.rfind(b"row>")
        if cut < 0:
            self.carry = buf
            return
        cut += 4
        self.carry = buf[cut:]
        self._scan(buf[:cut] if cut < len(buf) else buf)

    def close(self) -> None:
        if self.carry:
            if self.prefix is None:
                root = _ROOT_PREFIX.search(self.carry)
                self.prefix = (root.group(1) or b"") if root else b""
            self._scan(self.carry)
            self.carry = b""

    def _scan(self, xml: bytes) -> None:
        formula_tag = b"<" + self.prefix + b"f"
        cell_tag = b"<" + self.prefix + b"c"
        pos = xml.find(formula_tag)
        while pos >= 0:
            after = xml[pos + len(formula_tag) : pos + len(formula_tag) + 1]
            start = xml.rfind(cell_tag, 0, pos) if after in _TAG_END else -1
            m = _FORMULA_CELL.match(xml, start) if start >= 0 else None
            if m is not None and m.start(3) == pos:
                self._record(m)
            pos = xml.find(formula_tag, pos + 1)

    def _record(self, m: re.Match[bytes]) -> None:
        col = m.group(1).decode()
        row = int(m.group(2))
        attrs, body = m.group(4), m.group(5)
        text = html.unescape(body.decode("utf-8", "replace")) if body else ""
        if _SHARED_TYPE.search(attrs):
            si = _SHARED_SI.search(attrs)
            if si is not None:
                if text:
                    self.shared[si.group(1)] = (f"{col}{row}", text)
                elif si.group(1) in self.shared:
                    text = _translate(*self.shared[si.group(1)], f"{col}{row}")
        if self.columns is None or col in self.columns:
            self.out[(row, col)] = text


def _translate(origin: str, formula: str, dest: str) -> str:
    """A shared formula as it reads in ``dest`` (relative references moved)."""
    from openpyxl.formula.translate import Translator, TranslatorError

    try:
        return Translator("=" + formula, origin=origin).translate_formula(dest)[1:]
    except (TranslatorError, ValueError, IndexError):
        return formula


def _is_encrypted_ooxml(data: bytes) -> bool:
    """True if this compound file holds an "EncryptedPackage" stream (a password-protected
    xlsx/docx), false for anything else in a compound file (an old .xls, .doc ...)."""
    try:
        return "EncryptedPackage" in _cfb_entry_names(data)
    except (struct.error, ValueError, IndexError):
        return "EncryptedPackage".encode("utf-16-le") in data


def _cfb_entry_names(data: bytes) -> set[str]:
    """Names in the directory of a compound file (MS-CFB), following the FAT chains."""
    (sector_shift,) = struct.unpack_from("<H", data, 30)
    if sector_shift not in (9, 12):
        raise ValueError("bad sector size")
    size = 1 << sector_shift
    n_fat, first_dir = struct.unpack_from("<II", data, 44)
    first_difat, n_difat = struct.unpack_from("<II", data, 68)
    per_sector = size // 4
    max_sectors = len(data) // size + 1

    def sector(n: int) -> bytes:
        off = (n + 1) * size
        if n >= max_sectors or off >= len(data):
            raise ValueError("sector out of range")
        return data[off : off + size]

    fat_sectors = [s for s in struct.unpack_from("<109I", data, 76) if s < 0xFFFFFFFA]
    difat, seen = first_difat, 0
    while difat < 0xFFFFFFFA and seen <= n_difat and seen < max_sectors:
        entries = struct.unpack(f"<{per_sector}I", sector(difat))
        fat_sectors += [s for s in entries[:-1] if s < 0xFFFFFFFA]
        difat, seen = entries[-1], seen + 1
    fat: list[int] = []
    for s in fat_sectors[: max(n_fat, 1)]:
        fat += struct.unpack(f"<{per_sector}I", sector(s))

    names: set[str] = set()
    current, steps = first_dir, 0
    while current < 0xFFFFFFFA and steps < max_sectors:
        block = sector(current)
        for off in range(0, size, 128):
            (name_len,) = struct.unpack_from("<H", block, off + 64)
            if 2 <= name_len <= 64:
                names.add(block[off : off + name_len - 2].decode("utf-16-le", "replace"))
        current = fat[current] if current < len(fat) else 0xFFFFFFFE
        steps += 1
    return names


_SHEET_RELS_COMMENTS = re.compile(rb'Type="[^"]*/comments"')
_COMMENT = re.compile(
    rb'<(?:[\w.-]+:)?comment\s[^>]*?\bref="([A-Z]{1,3})([0-9]+)"[^>]*>(.*?)</(?:[\w.-]+:)?comment>',
    re.S,
)
_COMMENT_TEXT = re.compile(rb"<(?:[\w.-]+:)?t(?:\s[^>]*)?>([^<]*)</(?:[\w.-]+:)?t>")


def first_sheet_comments(data: bytes, limits: UploadLimits) -> dict[tuple[int, str], str]:
    """The cell comments (notes) of an accepted upload's first sheet: (row, column) -> text."""
    zf = zipfile.ZipFile(io.BytesIO(data))
    by_name = {info.filename: info for info in zf.infolist()}
    sheet_part = _first_sheet_part(data, by_name, limits)
    folder, name = posixpath.split(sheet_part)
    rels_info = by_name.get(posixpath.join(folder, "_rels", name + ".rels"))
    if rels_info is None:
        return {}
    found: dict[tuple[int, str], str] = {}
    for rel in _REL_TAG.finditer(_read_part(data, rels_info, limits)):
        target = _TARGET_ATTR.search(rel.group(1))
        if not _SHEET_RELS_COMMENTS.search(rel.group(1)) or target is None:
            continue
        path = html.unescape(target.group(1).decode("utf-8", "replace"))
        path = posixpath.normpath(
            path.lstrip("/") if path.startswith("/") else posixpath.join(folder, path)
        )
        if path not in by_name:
            continue
        for column, row, body in _COMMENT.findall(_read_part(data, by_name[path], limits)):
            text = "".join(t.decode("utf-8", "replace") for t in _COMMENT_TEXT.findall(body))
            found[(int(row), column.decode())] = html.unescape(text)
    return found
