#!/usr/bin/env python3
"""Writes the big workbook of BENCHMARKS.md, "Merged cells in xlsx":

    /opt/participa-report-tools/bin/python3 benches/merged_xlsx.py target/merged-200k.xlsx

One sheet `Talleres` written by xlsxwriter: a merged title, a two-row header (labels merged
down, `Participantes por edad` merged across its four age bands), 200,000 data rows (date,
comuna, barrio, programa, participants, four age bands) and, down the data, a few programme
cells merged over the rows they name: 12 merges in all, in `<mergeCells>` after the 200,000
rows of `<sheetData>`, where every writer puts them. Deterministic (fixed seed and dates).

Requirements: xlsxwriter (in /opt/participa-report-tools).
"""
import datetime as dt
import random
import sys

import xlsxwriter

ROWS = 200_000
PROGRAMAS = ["Reunión de vecinos", "BA Elige", "BA Obras", "Voluntariado"]
# Barrio and its comuna, as in config/standard/codes/barrios.csv.
BARRIOS = [("Palermo", 14), ("Recoleta", 2), ("Flores", 7), ("Boedo", 5), ("La Boca", 4), ("Belgrano", 13), ("Caballito", 6), ("Almagro", 5)]


def main(path):
    rnd = random.Random(20191)
    book = xlsxwriter.Workbook(path, {"constant_memory": False})
    book.set_properties({"created": dt.datetime(2021, 1, 15)})
    date = book.add_format({"num_format": "dd/mm/yyyy"})
    ws = book.add_worksheet("Talleres")
    ws.merge_range("A1:I1", "Talleres barriales 2019 — participantes por taller")
    for col, label in enumerate(["Fecha", "Comuna", "Barrio", "Programa", "Participantes"]):
        ws.merge_range(2, col, 3, col, label)
    ws.merge_range("F3:I3", "Participantes por edad")
    for col, label in enumerate(["0 a 17", "18 a 29", "30 a 59", "60 o más"], start=5):
        ws.write(3, col, label)
    # Five programme cells merged down over the rows they name, spread through the data.
    merged = {4 + k * (ROWS // 5): 3 + k for k in range(5)}
    row, end = 4, 4 + ROWS
    while row < end:
        span = merged.get(row, 1)
        programa = rnd.choice(PROGRAMAS)
        for r in range(row, min(row + span, end)):
            bands = [rnd.randint(0, 15) for _ in range(4)]
            ws.write_datetime(r, 0, dt.datetime(2019, 1, 1) + dt.timedelta(days=rnd.randint(0, 364)), date)
            barrio, comuna = rnd.choice(BARRIOS)
            ws.write_string(r, 1, f"Comuna {comuna}")
            ws.write_string(r, 2, barrio)
            ws.write_number(r, 4, sum(bands))
            for c, n in enumerate(bands, start=5):
                ws.write_number(r, c, n)
        if span > 1:
            ws.merge_range(row, 3, row + span - 1, 3, programa)
        else:
            ws.write_string(row, 3, programa)
        row += span
    book.close()


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "target/merged-200k.xlsx")
