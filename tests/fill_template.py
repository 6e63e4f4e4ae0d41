#!/usr/bin/env python3
"""Fills a `participa template` workbook the way a clerk would, with openpyxl (a real writer):
opens it, types rows into the data sheet choosing codes from the template's own «Listas» sheet,
and saves it under a new name. The template's dropdowns and checks stay in the file.

    python3 fill_template.py TEMPLATE.xlsx OUT.xlsx ROWS

Prints the number of rows written. Every value is valid by construction, so participa must
accept every row.
"""
import datetime
import sys

import openpyxl

src, out, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
wb = openpyxl.load_workbook(src)
data = wb.worksheets[0]
lists = wb["Listas"]
allowed = {}
for col in lists.iter_cols(min_row=1):
    head = col[0].value or ""
    if head.startswith("Valores permitidos ("):
        allowed[head[len("Valores permitidos ("):-1]] = [c.value for c in col[1:] if c.value is not None]
headers = [c.value for c in data[1]]
barrios = [b for b in allowed.get("Barrio", [])]
for i in range(n):
    row = []
    for h in headers:
        if h in allowed and h != "Comuna":
            choices = allowed[h]
            row.append(choices[i % len(choices)])
        elif h == "Comuna":
            row.append(None if "Barrio" in headers else (i % 15) + 1)
        elif h in ("Fecha", "Última actualización"):
            row.append(datetime.date(2019, 3, 1 + i % 28))
        elif h == "Período":
            row.append(datetime.date(2019, 3, 1))
        elif h in ("Edición",):
            row.append(2019)
        elif h == "ID":
            row.append(f"T-{i:04d}")
        elif h in ("Título", "Tema", "Resultado", "Categoría", "Beneficio"):
            row.append(f"{h} {i + 1}")
        elif h == "Avance":
            row.append(i * 7 % 101)
        elif h == "Presupuesto":
            row.append(1000.5 * (i + 1))
        elif h == "Ganadores":
            row.append(i % 5)
        elif h == "Participantes":
            # the age bands below are 10 + i each
            row.append(5 * (10 + i) if "Menores de 18" in headers else 10 + i)
        elif h == "Inscriptos":
            row.append(100 + i)
        else:  # counts
            row.append(10 + i)
    for c, v in enumerate(row, start=1):
        data.cell(row=i + 2, column=c, value=v)
wb.save(out)
print(n)
