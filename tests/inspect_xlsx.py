#!/usr/bin/env python3
"""Prints what a person would check in a workbook, as JSON, for the integration tests
(tests/tools.rs: xlsx_inspect).

Usage: inspect_xlsx.py WORKBOOK.xlsx

Output: {"sheets": [{"name", "max_row", "max_column", "freeze_panes", "auto_filter",
"charts", "data_validations", "merged_cells"}], "properties": {"title", "creator", "subject",
"description", "keywords", "language", "created", "modified"}}.
Exits 2 when the file cannot be opened by openpyxl (the message says why).
"""

import json
import sys


def chart_kind(chart):
    return getattr(chart, "tagname", type(chart).__name__)


def main(argv):
    if len(argv) != 2:
        print("usage: inspect_xlsx.py WORKBOOK.xlsx", file=sys.stderr)
        return 64
    try:
        import openpyxl
    except ImportError as e:
        print(f"openpyxl is not installed for {sys.executable}: {e}", file=sys.stderr)
        return 3
    try:
        wb = openpyxl.load_workbook(argv[1], read_only=False, data_only=False)
    except Exception as e:  # noqa: BLE001 - any failure to open is the answer
        print(f"openpyxl cannot open {argv[1]}: {type(e).__name__}: {e}", file=sys.stderr)
        return 2
    sheets = []
    for ws in wb.worksheets:
        charts = getattr(ws, "_charts", [])
        sheets.append(
            {
                "name": ws.title,
                "max_row": ws.max_row,
                "max_column": ws.max_column,
                "freeze_panes": ws.freeze_panes,
                "auto_filter": ws.auto_filter.ref if ws.auto_filter is not None else None,
                "charts": len(charts),
                "chart_kinds": [chart_kind(c) for c in charts],
                "data_validations": len(ws.data_validations.dataValidation) if ws.data_validations else 0,
                "merged_cells": len(ws.merged_cells.ranges),
            }
        )
    p = wb.properties

    def text(value):
        return None if value is None else str(value)

    out = {
        "sheets": sheets,
        "sheet_names": [s["name"] for s in sheets],
        "properties": {
            "title": text(p.title),
            "creator": text(p.creator),
            "subject": text(p.subject),
            "description": text(p.description),
            "keywords": text(p.keywords),
            "language": text(p.language),
            "created": p.created.isoformat() if p.created else None,
            "modified": p.modified.isoformat() if p.modified else None,
        },
    }
    json.dump(out, sys.stdout, ensure_ascii=False, indent=1)
    print()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
