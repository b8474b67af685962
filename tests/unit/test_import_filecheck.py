"""Upload checks: what cannot be read gets one clear message; formulas are found in the XML."""

from __future__ import annotations

import io
import struct
import zipfile

import pytest

from unioncard.imports import filecheck
from unioncard.imports.filecheck import (
    MSG_BOMB,
    MSG_CORRUPT,
    MSG_EMPTY,
    MSG_ENCRYPTED,
    MSG_NO_SHEET,
    MSG_NOT_XLSX,
    UploadLimits,
    UploadRejected,
    inspect_upload,
)

from .xlsx_factory import build, make_cfb, member, with_cached_value

LIMITS = UploadLimits()
CONTENT_TYPES = b'<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"/>'
WORKBOOK = (
    b'<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
    b'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
    b'<sheets><sheet name="S" sheetId="1" r:id="rId1"/></sheets></workbook>'
)
RELS = (
    b'<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    b'<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
    b'relationships/worksheet" Target="worksheets/sheet1.xml"/></Relationships>'
)


def rejected(data: bytes, limits: UploadLimits = LIMITS) -> str:
    with pytest.raises(UploadRejected) as exc:
        inspect_upload(data, limits)
    return exc.value.message


def zip_of(entries: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, content in entries.items():
            zf.writestr(name, content)
    return out.getvalue()


def minimal_xlsx(sheet_xml: bytes, workbook: bytes = WORKBOOK) -> bytes:
    return zip_of(
        {
            "[Content_Types].xml": CONTENT_TYPES,
            "xl/workbook.xml": workbook,
            "xl/_rels/workbook.xml.rels": RELS,
            "xl/worksheets/sheet1.xml": sheet_xml,
        }
    )


def test_a_valid_template_passes_with_no_formulas():
    assert inspect_upload(build([member(1), member(2)]), LIMITS) == {}


def test_empty_file():
    assert rejected(b"") == MSG_EMPTY


def test_csv_renamed_to_xlsx():
    csv = "序号,*姓名,*证件号码\n1,张三,11010519491231002X\n".encode("gbk")
    assert rejected(csv) == MSG_NOT_XLSX


def test_pdf():
    assert rejected(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\n") == MSG_NOT_XLSX


def test_old_xls_is_not_taken_for_an_encrypted_file():
    assert rejected(make_cfb(["Workbook", "\x05SummaryInformation"])) == MSG_NOT_XLSX


def test_password_protected_xlsx():
    data = make_cfb(["EncryptionInfo", "EncryptedPackage", "\x06DataSpaces"])
    assert rejected(data) == MSG_ENCRYPTED
    assert "密码" in MSG_ENCRYPTED


def test_damaged_compound_file_falls_back_to_a_plain_search():
    data = bytearray(make_cfb(["EncryptedPackage"]))
    struct.pack_into("<H", data, 30, 7)  # an impossible sector size
    assert rejected(bytes(data)) == MSG_ENCRYPTED


def test_too_big_names_the_limit():
    data = build([member(1)])
    message = rejected(data, UploadLimits(max_bytes=len(data) - 1))
    assert "MB" in message
    assert "10MB" in rejected(b"PK\x03\x04" + b"\0" * (10 * 1024 * 1024), LIMITS)


def test_truncated_zip():
    data = build([member(1), member(2)])
    assert rejected(data[: len(data) // 2]) == MSG_CORRUPT


def test_zip_entry_with_a_broken_deflate_stream():
    data = bytearray(
        minimal_xlsx(b"<worksheet><sheetData>" + b"<row/>" * 5000 + b"</sheetData></worksheet>")
    )
    info = zipfile.ZipFile(io.BytesIO(bytes(data))).getinfo("xl/worksheets/sheet1.xml")
    name_len, extra_len = struct.unpack_from("<HH", data, info.header_offset + 26)
    start = info.header_offset + 30 + name_len + extra_len
    data[start : start + 8] = b"\xff" * 8
    assert rejected(bytes(data)) == MSG_CORRUPT


def test_zip_that_is_not_a_workbook():
    assert rejected(zip_of({"word/document.xml": b"<w:document/>"})) == MSG_NOT_XLSX


def test_workbook_without_a_worksheet():
    empty = b'<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheets/></workbook>'
    assert rejected(minimal_xlsx(b"<worksheet/>", workbook=empty)) == MSG_NO_SHEET


def test_zip_bomb_by_ratio():
    sheet = b"<worksheet><sheetData>" + b" " * (30 * 1024 * 1024) + b"</sheetData></worksheet>"
    data = minimal_xlsx(sheet)
    assert len(data) < 200 * 1024
    assert rejected(data) == MSG_BOMB


def test_zip_bomb_over_the_uncompressed_limit():
    sheet = b"<worksheet><sheetData>" + b"<row/>" * 400_000 + b"</sheetData></worksheet>"
    assert (
        rejected(minimal_xlsx(sheet), UploadLimits(max_uncompressed_bytes=1024 * 1024)) == MSG_BOMB
    )


def test_zip_bomb_with_lying_headers():
    """The declared sizes say 100 bytes; the stream inflates to 3 MB. Inflating counts."""
    sheet = b"<worksheet><sheetData>" + b"<row/>" * 500_000 + b"</sheetData></worksheet>"
    data = bytearray(minimal_xlsx(sheet))
    zf = zipfile.ZipFile(io.BytesIO(bytes(data)))
    info = zf.getinfo("xl/worksheets/sheet1.xml")
    struct.pack_into("<I", data, info.header_offset + 22, 100)  # local header: size
    pos = 0
    while (pos := data.find(b"PK\x01\x02", pos)) >= 0:  # central directory entries
        (name_len,) = struct.unpack_from("<H", data, pos + 28)
        if data[pos + 46 : pos + 46 + name_len] == b"xl/worksheets/sheet1.xml":
            struct.pack_into("<I", data, pos + 24, 100)
        pos += 4
    assert (
        zipfile.ZipFile(io.BytesIO(bytes(data))).getinfo("xl/worksheets/sheet1.xml").file_size
        == 100
    )
    limits = UploadLimits(max_uncompressed_bytes=2 * 1024 * 1024, max_ratio=10**6)
    assert rejected(bytes(data), limits) == MSG_BOMB


def test_ratio_does_not_flag_small_repetitive_parts():
    sheet = b"<worksheet><sheetData>" + b"<row/>" * 50_000 + b"</sheetData></worksheet>"  # 300 KB
    assert inspect_upload(minimal_xlsx(sheet), LIMITS) == {}


# --- formulas -----------------------------------------------------------------------------

FORMULA = "VLOOKUP(B7,'[1]160318'!$A$1:$D$65536,4,0)"


def workbook_with_formulas() -> bytes:
    def paste(ws):
        ws["I7"] = "=" + FORMULA
        ws["I9"] = '=IF(A9>0,"是","否")&"<>"'
        ws["A8"] = "=ROW()-4"

    data = build([member(n) for n in range(1, 8)], edit=paste)
    return with_cached_value(data, "I7", "13912345678")


def test_formula_cells_are_found_and_unescaped():
    found = inspect_upload(workbook_with_formulas(), LIMITS)
    assert found == {(7, "I"): FORMULA, (9, "I"): 'IF(A9>0,"是","否")&"<>"', (8, "A"): "ROW()-4"}


def test_formula_columns_filter():
    found = inspect_upload(workbook_with_formulas(), LIMITS, formula_columns=("I",))
    assert set(found) == {(7, "I"), (9, "I")}


@pytest.mark.parametrize("piece", [7, 31, 64, 97, 256, 1000])
def test_formulas_found_whatever_the_piece_size(monkeypatch, piece):
    data = workbook_with_formulas()
    expected = inspect_upload(data, LIMITS)
    monkeypatch.setattr(filecheck, "_OUT_CHUNK", piece)
    monkeypatch.setattr(filecheck, "_IN_CHUNK", max(1, piece // 3))
    assert inspect_upload(data, LIMITS) == expected


SHEET_XML = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<x:worksheet xmlns:x="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
    '<x:sheetData><x:row r="5"><x:c r="B5" t="s"><x:v>0</x:v></x:c>'
    '<x:c r="I5" t="str"><x:f t="shared" ref="I5:I7" si="0">VLOOKUP(B5,A:D,4,0)</x:f><x:v>1</x:v></x:c>'
    '</x:row><x:row r="6"><x:c r="I6" t="str"><x:f t="shared" si="0"/><x:v>2</x:v></x:c></x:row>'
    '<x:row r="7"><x:c r="I7"><x:f>"a&amp;b"&amp;C7</x:f><x:v>a&amp;b</x:v></x:c>'
    '<x:c r="J7" t="s"><x:v>3</x:v></x:c></x:row>'
    '</x:sheetData><x:dataValidations><x:dataValidation><x:formula1>"是,否"</x:formula1>'
    "</x:dataValidation></x:dataValidations></x:worksheet>"
).encode()


def scan(pieces: list[bytes]) -> dict:
    out: dict = {}
    scanner = filecheck._FormulaScanner(out, None)
    for piece in pieces:
        scanner.feed(piece)
    scanner.close()
    return out


def test_scanner_prefixed_xml_shared_formulas_and_entities():
    assert scan([SHEET_XML]) == {
        (5, "I"): "VLOOKUP(B5,A:D,4,0)",
        (6, "I"): "VLOOKUP(B6,A:D,4,0)",  # a shared formula, moved to its own row
        (7, "I"): '"a&b"&C7',
    }


def test_scanner_split_at_every_offset():
    expected = scan([SHEET_XML])
    for cut in range(1, len(SHEET_XML)):
        assert scan([SHEET_XML[:cut], SHEET_XML[cut:]]) == expected, cut
    for size in (1, 2, 3, 5, 11):
        pieces = [SHEET_XML[i : i + size] for i in range(0, len(SHEET_XML), size)]
        assert scan(pieces) == expected, size


def test_formula_past_the_first_megabyte_of_xml():
    rows = "".join(
        f'<row r="{r}"><c r="B{r}" t="inlineStr"><is><t>会员{r:06d}的名字很长很长很长</t></is></c></row>'
        for r in range(5, 25_000)
    )
    tail = '<row r="25000"><c r="I25000"><f>VLOOKUP(B25000,A:D,4,0)</f><v>0</v></c></row>'
    sheet = f"<worksheet><sheetData>{rows}{tail}</sheetData></worksheet>".encode()
    assert len(sheet) > 2 * filecheck._OUT_CHUNK
    assert inspect_upload(minimal_xlsx(sheet), LIMITS) == {(25000, "I"): "VLOOKUP(B25000,A:D,4,0)"}
