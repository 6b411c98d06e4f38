"""Hostile uploads against the release CLI: peak RSS and wall time of each analysis.

Usage: python3 benches/bombs/run.py CLI GROUP.json OUTDIR   (or --make OUTDIR: only write them)

Writes each hostile file into OUTDIR (once), runs `CLI analyze FILE --group GROUP --json` in a
fresh process per file, and prints a Markdown table: file size, outcome (the error kind or the
row count), wall seconds and the child's peak RSS from the kernel (wait4). The target of the
issue "Rosters you can trust": every upload up to 10 MB analysed or refused with peak RSS under
256 MB, every refusal within 2 s. Standard library only.
"""
import io
import json
import os
import subprocess
import sys
import time
import zipfile

XLSX_PARTS = {
    "[Content_Types].xml": '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/></Types>',
    "_rels/.rels": '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>',
    "xl/workbook.xml": '<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet name="Sheet1" sheetId="1" r:id="rId1"/></sheets></workbook>',
    "xl/_rels/workbook.xml.rels": '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/></Relationships>',
}
SHEET_HEAD = b'<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
SHEET_TAIL = b"</sheetData></worksheet>"
HEADER = b'<row><c t="inlineStr"><is><t>Name</t></is></c><c t="inlineStr"><is><t>Email</t></is></c></row>'


def xlsx(path, chunks, sheet_name="xl/worksheets/sheet1.xml", extra=()):
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as z:
        for name, body in XLSX_PARTS.items():
            z.writestr(name, body)
        with z.open(sheet_name, "w", force_zip64=True) as f:
            f.write(SHEET_HEAD)
            for chunk in chunks():
                f.write(chunk)
            f.write(SHEET_TAIL)
        for name, body in extra:
            z.writestr(name, body)


def rows_past_the_limit(path):
    row = b'<row><c t="inlineStr"><is><t>A</t></is></c><c t="inlineStr"><is><t>a@b.org</t></is></c></row>'
    def chunks():
        yield HEADER
        for _ in range(1_100):
            yield row * 1_000
    xlsx(path, chunks)


def inflated(path):
    def chunks():
        yield HEADER
        yield b'<row><c t="inlineStr"><is><t>A</t></is></c><c t="inlineStr"><is><t>a@b.org</t></is></c></row>' * 2
        pad = b" " * (1 << 20)
        for _ in range(600):
            yield pad
    xlsx(path, chunks)


def dense_cells(path):
    row = b"<row>" + b"<c><v>1</v></c>" * 16 + b"</row>"
    def chunks():
        yield HEADER
        for _ in range(1_048):
            yield row * 1_000
    xlsx(path, chunks)


def repeated_rows(path):
    with open(path, "wb") as f:
        f.write(b"Name,Email\n" + b"A,a@b.org\n" * 1_000_000)


def ods_far_cell(path):
    content = (
        '<?xml version="1.0" encoding="UTF-8"?><office:document-content xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" office:version="1.2"><office:body><office:spreadsheet><table:table table:name="Roster">'
        '<table:table-row><table:table-cell office:value-type="string"><text:p>Email</text:p></table:table-cell></table:table-row>'
        '<table:table-row table:number-rows-repeated="1000000"><table:table-cell/></table:table-row>'
        '<table:table-row><table:table-cell table:number-columns-repeated="1000"/><table:table-cell office:value-type="float" office:value="1"><text:p>1</text:p></table:table-cell></table:table-row>'
        "</table:table></office:spreadsheet></office:body></office:document-content>"
    )
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("mimetype", "application/vnd.oasis.opendocument.spreadsheet")
        z.writestr("content.xml", content)


def duplicate_part(path):
    shown = SHEET_HEAD + HEADER + b'<row><c t="inlineStr"><is><t>A</t></is></c><c t="inlineStr"><is><t>shown@example.org</t></is></c></row>' + SHEET_TAIL
    hidden = shown.replace(b"shown@", b"hidden")
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for name, body in XLSX_PARTS.items():
            z.writestr(name, body)
        z.writestr("xl/worksheets/sheet1.xml", shown)
        z.writestr("xl/worksheets/sheet1.xmX", hidden)
    with open(path, "wb") as f:
        f.write(buf.getvalue().replace(b"xl/worksheets/sheet1.xmX", b"xl/worksheets/sheet1.xml"))


BOMBS = [
    ("rows_past_the_limit.xlsx", rows_past_the_limit, "1.1M rows without `r` attributes"),
    ("inflated_600mib.xlsx", inflated, "3 rows, then 600 MiB of blanks"),
    ("dense_cells.xlsx", dense_cells, "1,048,000 rows of 16 numbers"),
    ("repeated_rows.csv", repeated_rows, "1M copies of one recipient"),
    ("ods_far_cell.ods", ods_far_cell, "one value 1M rows and 1,000 columns from A1"),
    ("duplicate_part.xlsx", duplicate_part, "the sheet part named twice"),
]


def run(cli, group, path):
    """Runs one analysis; its JSON goes to a file read after every run, so this process stays
    small (a child's peak RSS counts what its parent held when it forked)."""
    start = time.monotonic()
    with open(path + ".json", "wb") as out:
        child = subprocess.Popen([cli, "analyze", path, "--group", group, "--json"],
                                 stdout=out, stderr=subprocess.DEVNULL)
        _, status, usage = os.wait4(child.pid, 0)
    wall = time.monotonic() - start
    return os.waitstatus_to_exitcode(status), wall, usage.ru_maxrss / 1024


def outcome(path, code):
    try:
        with open(path + ".json", encoding="utf-8") as f:
            report = json.load(f)
    except ValueError:
        return f"exit {code}"
    if "error" in report:
        return "refused: " + report["error"]["kind"]
    return f"analysed: {report['summary']['rows']} rows"


def make_all(outdir):
    os.makedirs(outdir, exist_ok=True)
    for name, make, _ in BOMBS:
        path = os.path.join(outdir, name)
        if not os.path.exists(path):
            make(path)


def main():
    if sys.argv[1] == "--make":
        make_all(sys.argv[2])
        return
    cli, group, outdir = sys.argv[1:4]
    # The files are written by another process: a child's peak RSS counts what its parent
    # held when it forked, so the measuring process stays small.
    subprocess.run([sys.executable, __file__, "--make", outdir], check=True)
    runs = [(name, what, *run(cli, group, os.path.join(outdir, name))) for name, _, what in BOMBS]
    print("| file | what | size | outcome | wall s | peak RSS MiB |")
    print("| --- | --- | ---: | --- | ---: | ---: |")
    worst_rss = worst_refusal = 0.0
    for name, what, code, wall, rss in runs:
        path = os.path.join(outdir, name)
        said = outcome(path, code)
        worst_rss = max(worst_rss, rss)
        if said.startswith("refused"):
            worst_refusal = max(worst_refusal, wall)
        size = os.path.getsize(path)
        print(f"| `{name}` | {what} | {size / 1e6:.2f} MB | {said} | {wall:.2f} | {rss:.0f} |")
    print(f"\nhighest peak RSS {worst_rss:.0f} MiB (target < 256); slowest refusal {worst_refusal:.2f} s (target < 2)")


if __name__ == "__main__":
    main()
