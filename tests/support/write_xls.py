"""Write rows given as JSON on stdin to an XLS (BIFF8) workbook on stdout, with xlwt.

Each cell is null, {"s": text}, {"n": number} or {"d": "YYYY-MM-DD"} (a date cell).
Used by the round-trip tests: no other tool in reach writes the legacy XLS format.
"""
import datetime
import io
import json
import sys

import xlwt

rows = json.load(sys.stdin)
book = xlwt.Workbook(encoding="utf-8")
sheet = book.add_sheet("Roster")
date_style = xlwt.easyxf(num_format_str="YYYY-MM-DD")
for r, row in enumerate(rows):
    for c, cell in enumerate(row):
        if cell is None:
            continue
        if "s" in cell:
            sheet.write(r, c, cell["s"])
        elif "n" in cell:
            sheet.write(r, c, cell["n"])
        else:
            sheet.write(r, c, datetime.date.fromisoformat(cell["d"]), date_style)
buffer = io.BytesIO()
book.save(buffer)
sys.stdout.buffer.write(buffer.getvalue())
