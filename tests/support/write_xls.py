"""Write sheets given as JSON on stdin to an XLS (BIFF8) workbook on stdout, with xlwt.

Input: [{"name": "Sheet", "rows": [[cell, ...], ...]}, ...] where each cell is null,
{"s": text}, {"n": number} or {"d": "YYYY-MM-DD"} (a date cell).
Used by the tests: no other tool in reach writes the legacy XLS format.
"""
import datetime
import io
import json
import sys

import xlwt

sheets = json.load(sys.stdin)
book = xlwt.Workbook(encoding="utf-8")
date_style = xlwt.easyxf(num_format_str="YYYY-MM-DD")
for spec in sheets:
    sheet = book.add_sheet(spec["name"])
    for r, row in enumerate(spec["rows"]):
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
