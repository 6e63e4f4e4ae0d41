#!/usr/bin/env python3
"""Copies the fuzz targets' seed corpus from the project's fixtures (real files made by real
writers): whole small files for the read_* targets, the worksheet part / content.xml for the
*_xml targets. Run from the repository root: python3 fuzz/seed_corpus.py"""
import hashlib
import pathlib
import zipfile

ROOT = pathlib.Path(__file__).resolve().parent.parent
CORPUS = ROOT / "fuzz" / "corpus"
LIMIT = 24 * 1024  # seeds stay small: mutations of a small input are fast


def put(target, data):
    if not data or len(data) > LIMIT:
        return
    folder = CORPUS / target
    folder.mkdir(parents=True, exist_ok=True)
    (folder / hashlib.sha1(data).hexdigest()[:16]).write_bytes(data)


for path in sorted((ROOT / "fixtures").rglob("*")):
    ext = path.suffix.lower().lstrip(".")
    if not path.is_file() or ext not in ("xlsx", "xls", "ods", "csv"):
        continue
    data = path.read_bytes()
    put({"xlsx": "read_xlsx", "xls": "read_xls", "ods": "read_ods", "csv": "read_csv"}[ext], data)
    if ext == "csv":
        put("standard_csv", data)
    if ext in ("xlsx", "ods"):
        try:
            with zipfile.ZipFile(path) as z:
                names = z.namelist()
                if ext == "xlsx":
                    for n in names:
                        if n.startswith("xl/worksheets/sheet") and n.endswith(".xml"):
                            put("xlsx_sheet_xml", z.read(n))
                elif "content.xml" in names:
                    put("ods_content_xml", z.read("content.xml"))
        except zipfile.BadZipFile:
            pass  # a fixture that is deliberately not a zip

for target in sorted(p.name for p in CORPUS.iterdir()):
    print(target, len(list((CORPUS / target).iterdir())))
