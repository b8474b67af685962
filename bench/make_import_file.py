"""Write an N-row valid member import file (the system's template, filled in), fast.

    python bench/make_import_file.py 100000 /tmp/members.xlsx --seed 1
    python bench/make_import_file.py 100000 /tmp/members.xlsx --bench   # and time the engine

Rows have distinct valid 18-digit resident IDs (correct check characters, a few from region
codes that no longer exist and a few ending in X) and distinct valid mobiles. The output
is deterministic for a given seed. The sheet XML is written directly with a shared-string
table, as Excel saves it, because openpyxl would take a minute for 100,000 rows.
"""

from __future__ import annotations

import argparse
import io
import random
import re
import sys
import time
import zipfile
from datetime import date, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from openpyxl import load_workbook

from unioncard.imports.template import FIRST_DATA_ROW, build_template
from unioncard.members.idcard import resident_id_check_char

UNION_NAME = "深圳市示例科技有限公司工会委员会"
BRANCHES = [("44301", "中国银行深圳福田支行"), ("44302", "中国银行深圳南山支行")]

# A few current codes and a few abolished ones (e.g. 440301 深圳市市辖区, 110103 崇文区).
_REGIONS = ("440304", "440305", "440306", "110105", "310115", "440301", "110103", "320102")
_MOBILE_PREFIXES = ("130", "135", "136", "138", "139", "150", "158", "166", "177", "186", "199")
_SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘"
_GIVEN = "伟芳娜秀敏静丽强磊军洋勇艳杰娟涛明超霞平刚桂英华玉兰萍红建国志文海燕"
_SPECIAL_NAMES = ("𠮷野家", "阿依古丽·买买提", "欧阳娜娜")
_DISTRICTS = ("福田区", "南山区", "宝安区", "龙岗区", "罗湖区")
_ROADS = ("深南大道", "滨海大道", "科技园路", "福华三路", "侨香路")
_STYLE_DATE = 2  # the template's yyyy-mm-dd cell style (column style of E, H, K)
_EPOCH = date(1899, 12, 30)
_FIXED_TIME = datetime(2024, 1, 1)


def _id_number(rng: random.Random) -> str:
    birth = date(1965, 1, 1) + timedelta(days=rng.randrange(14600))
    first17 = f"{rng.choice(_REGIONS)}{birth:%Y%m%d}{rng.randrange(1000):03d}"
    return first17 + resident_id_check_char(first17)


def _rows(n: int, seed: int):
    rng = random.Random(seed)
    ids: set[str] = set()
    mobiles: set[str] = set()
    for i in range(n):
        while (id_number := _id_number(rng)) in ids:
            pass
        ids.add(id_number)
        while (mobile := rng.choice(_MOBILE_PREFIXES) + f"{rng.randrange(10**8):08d}") in mobiles:
            pass
        mobiles.add(mobile)
        if i % 997 == 5:
            name = _SPECIAL_NAMES[i % len(_SPECIAL_NAMES)]
        else:
            name = rng.choice(_SURNAMES) + "".join(rng.choices(_GIVEN, k=rng.randint(1, 2)))
        address = f"深圳市{rng.choice(_DISTRICTS)}{rng.choice(_ROADS)}{rng.randint(1, 9999)}号"
        join = (date(2015, 1, 1) + timedelta(days=rng.randrange(3000)) - _EPOCH).days
        id_type = "身份证" if i % 3 else ""
        yield i + 1, name, id_type, id_number, mobile, address, join


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _entry(name: str) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(name, _FIXED_TIME.timetuple()[:6])
    info.compress_type = zipfile.ZIP_DEFLATED
    return info


def make_import_file(
    n: int, *, seed: int = 1, union_name: str = UNION_NAME, branch_code: str = "44301"
) -> bytes:
    """The xlsx bytes of a valid import file with ``n`` members."""
    wb = load_workbook(io.BytesIO(build_template(union_name, BRANCHES)))
    ws = wb.worksheets[0]
    ws["G3"], ws["I3"], ws["K3"], ws["M3"] = "2", "60", branch_code, "是"
    wb.properties.created = wb.properties.modified = _FIXED_TIME  # same seed, same bytes
    buf = io.BytesIO()
    wb.save(buf)

    strings: dict[str, int] = {}

    def sst(text: str) -> int:
        idx = strings.get(text)
        if idx is None:
            idx = strings[text] = len(strings)
        return idx

    parts: list[str] = []
    for seq, name, id_type, id_number, mobile, address, join in _rows(n, seed):
        r = FIRST_DATA_ROW + seq - 1
        c_type = f'<c r="C{r}" t="s"><v>{sst(id_type)}</v></c>' if id_type else ""
        parts.append(
            f'<row r="{r}"><c r="A{r}"><v>{seq}</v></c>'
            f'<c r="B{r}" t="s"><v>{sst(name)}</v></c>{c_type}'
            f'<c r="D{r}" t="s"><v>{sst(id_number)}</v></c>'
            f'<c r="I{r}" t="s"><v>{sst(mobile)}</v></c>'
            f'<c r="J{r}" t="s"><v>{sst(address)}</v></c>'
            f'<c r="K{r}" s="{_STYLE_DATE}"><v>{join}</v></c>'
            f'<c r="L{r}" t="s"><v>{sst("是")}</v></c></row>'
        )
    rows_xml = "".join(parts).encode()
    sst_xml = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        '<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
        f'count="{len(strings)}" uniqueCount="{len(strings)}">'
        + "".join(f"<si><t>{_escape(s)}</t></si>" for s in strings)
        + "</sst>"
    ).encode()

    src = zipfile.ZipFile(io.BytesIO(buf.getvalue()))
    out = io.BytesIO()
    last_row = FIRST_DATA_ROW + n - 1
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=6) as dst:
        for item in src.infolist():
            data = src.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                data = re.sub(
                    rb'<dimension ref="[^"]*"', f'<dimension ref="A1:M{last_row}"'.encode(), data
                )
                data = data.replace(b"</sheetData>", rows_xml + b"</sheetData>", 1)
            elif item.filename == "docProps/core.xml":  # openpyxl stamps the save time
                data = re.sub(
                    rb"(<dcterms:modified[^>]*>)[^<]*", rb"\g<1>2024-01-01T00:00:00Z", data
                )
            elif item.filename == "[Content_Types].xml":
                data = data.replace(
                    b"</Types>",
                    b'<Override PartName="/xl/sharedStrings.xml" ContentType="application/'
                    b'vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/></Types>',
                )
            elif item.filename == "xl/_rels/workbook.xml.rels":
                data = data.replace(
                    b"</Relationships>",
                    b'<Relationship Id="rIdSst" Type="http://schemas.openxmlformats.org/'
                    b'officeDocument/2006/relationships/sharedStrings" Target="sharedStrings.xml"/>'
                    b"</Relationships>",
                )
            dst.writestr(_entry(item.filename), data)
        dst.writestr(_entry("xl/sharedStrings.xml"), sst_xml)
    return out.getvalue()


def _bench(data: bytes, n: int, repeat: int) -> None:
    """Best of ``repeat`` runs, wall and CPU time (the machine may be shared)."""
    import python_calamine

    from unioncard.imports.engine import ExistingMember, UnionContext, validate_import
    from unioncard.imports.filecheck import UploadLimits

    class NoLookups:
        def find_ids(self, id_numbers: list[str]) -> dict[str, ExistingMember]:
            return {}

        def find_mobiles(self, mobiles: list[str]) -> set[str]:
            return set()

    def calamine_alone() -> int:
        book = python_calamine.CalamineWorkbook.from_filelike(io.BytesIO(data))
        return sum(1 for _ in book.get_sheet_by_index(0).iter_rows())

    def engine() -> int:
        ctx = UnionContext(UNION_NAME, frozenset(code for code, _ in BRANCHES))
        run = validate_import(data, ctx, NoLookups(), limits=UploadLimits())
        for _chunk in run.chunks():
            pass
        assert run.valid == n, (run.valid, run.invalid)
        return run.total

    for label, job in (
        ("calamine alone (open + iterate)", calamine_alone),
        ("validate_import", engine),
    ):
        wall, cpu = [], []
        for _ in range(repeat):
            w, c = time.perf_counter(), time.process_time()
            job()
            wall.append(time.perf_counter() - w)
            cpu.append(time.process_time() - c)
        print(
            f"{label}: best {min(wall):.2f}s wall = {n / min(wall):,.0f} rows/s, "
            f"{min(cpu):.2f}s CPU = {n / min(cpu):,.0f} rows/s (of {repeat} runs)"
        )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("rows", type=int)
    parser.add_argument("output", type=Path)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--union-name", default=UNION_NAME)
    parser.add_argument("--bench", action="store_true", help="time calamine and the engine")
    parser.add_argument("--repeat", type=int, default=5, help="runs per timing (best is shown)")
    args = parser.parse_args(argv)
    t0 = time.perf_counter()
    data = make_import_file(args.rows, seed=args.seed, union_name=args.union_name)
    args.output.write_bytes(data)
    took = time.perf_counter() - t0
    print(f"wrote {args.output} ({len(data) / 1e6:.1f} MB, {args.rows} rows) in {took:.1f}s")
    if args.bench:
        _bench(data, args.rows, args.repeat)


if __name__ == "__main__":
    main()
