//! What `splice` relies on, and the pieces it writes, checked on real workbooks.

use super::*;

fn inflate(bytes: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    flate2::read::DeflateDecoder::new(bytes)
        .read_to_end(&mut out)
        .unwrap_or_default();
    out
}

#[test]
fn pieces_deflated_apart_inflate_as_one_stream_with_the_combined_crc() {
    let a = b"<row r=\"2\"><c><v>1</v></c></row>".repeat(5000);
    let b = b"<row r=\"3\"><c t=\"s\"><v>7</v></c></row>".repeat(3000);
    let (pa, pb, pc) = (
        deflate_piece(&a, 2, false).unwrap(),
        deflate_piece(&b, 2, false).unwrap(),
        deflate_piece(b"</sheetData>", 2, true).unwrap(),
    );
    let mut zip = ZipOut::default();
    zip.add("x.xml", METHOD_DEFLATE, &[pa, pb, pc]);
    let bytes = zip.finish().unwrap();
    let mut archive = zip::ZipArchive::new(Cursor::new(&bytes[..])).unwrap();
    let mut text = Vec::new();
    archive
        .by_name("x.xml")
        .unwrap()
        .read_to_end(&mut text)
        .unwrap();
    let whole: Vec<u8> = [a.as_slice(), b.as_slice(), b"</sheetData>"].concat();
    assert_eq!(text, whole, "the zip reader checks the CRC as well");
    assert_eq!(inflate(&deflate_piece(b"", 2, true).unwrap().deflated), b"");
}

#[test]
fn a_cell_after_a_gap_carries_its_reference() {
    let mut strings = Strings::default();
    let mut rows = Rows::default();
    rows.push(
        [
            Value::Text("a & <b>"),
            Value::Empty,
            Value::Number(3.0),
            Value::Number(2.5),
            Value::Text("a & <b>"),
        ],
        &mut strings,
    );
    let mut xml = Vec::new();
    rows_xml(&rows, 0..1, 2, &[None, None, Some(4)], 10, &mut xml);
    assert_eq!(
        String::from_utf8_lossy(&xml),
        "<row r=\"2\"><c t=\"s\"><v>10</v></c><c r=\"C2\" s=\"4\"><v>3</v></c><c><v>2.5</v></c><c t=\"s\"><v>10</v></c></row>"
    );
    assert_eq!((strings.len(), strings.uses), (1, 2));
    let mut out = String::new();
    escape_text("a\u{1}_x0041_ & ok", &mut out);
    assert_eq!(out, "a_x0001__x005F_x0041_ &amp; ok");
}

#[test]
fn column_letters() {
    for (c, want) in [(0, "A"), (25, "Z"), (26, "AA"), (701, "ZZ"), (702, "AAA")] {
        let mut out = Vec::new();
        push_column(&mut out, c);
        assert_eq!(String::from_utf8_lossy(&out), want);
    }
}

/// What `splice` relies on in the workbook writer's output, which no version promises:
/// worksheets stored as `xl/worksheets/sheet<position>.xml`, a sheet's rows inside
/// `<sheetData>` closed by `</sheetData>`, a `<dimension ref>`, a column's number format as
/// the `style` of its `<col>`, and one shared-string table with `count` and `uniqueCount`.
/// When a new rust_xlsxwriter writes any of these otherwise, this fails before a report
/// comes out unreadable.
#[test]
fn the_workbook_writer_still_writes_what_splice_relies_on() {
    use rust_xlsxwriter::{Format, Workbook, Worksheet};
    let mut workbook = Workbook::new();
    let mut summary = Worksheet::new();
    summary.set_name("Resumen").unwrap();
    summary.write_string(0, 0, "texto del libro").unwrap();
    workbook.push_worksheet(summary);
    let mut data = Worksheet::new();
    data.set_name("instancias").unwrap();
    data.write_string(0, 0, "fecha").unwrap();
    data.write_string(0, 1, "barrio").unwrap();
    data.set_column_format(0, &Format::new().set_num_format("dd/mm/yyyy"))
        .unwrap();
    data.set_freeze_panes(1, 0).unwrap();
    data.autofilter(0, 0, 3, 1).unwrap();
    workbook.push_worksheet(data);
    let framed = workbook.save_to_buffer().unwrap();

    let mut archive = zip::ZipArchive::new(Cursor::new(&framed[..])).unwrap();
    let sheet = entry_text(&mut archive, "xl/worksheets/sheet2.xml").unwrap();
    assert!(sheet.contains("<dimension ref=\"A1:B1\"/>"), "{sheet}");
    assert_eq!(sheet.matches("</sheetData>").count(), 1, "{sheet}");
    assert!(sheet.contains("<row r=\"1\""), "{sheet}");
    let frame = Frame::new(&sheet, "xl/worksheets/sheet2.xml", 3).unwrap();
    assert!(
        frame.head.contains("<dimension ref=\"A1:B4\"/>"),
        "{}",
        frame.head
    );
    assert!(
        frame.styles.first().copied().flatten().is_some(),
        "the date column's style: {}",
        frame.head
    );
    let sst = entry_text(&mut archive, SST).unwrap();
    assert!(
        sst.contains(" count=\"3\"") && sst.contains(" uniqueCount=\"3\""),
        "{sst}"
    );

    // And the whole round trip, read back by another reader.
    let mut strings = Strings::default();
    let mut rows = Rows::default();
    for (serial, barrio) in [
        (43_466.0, "Palermo"),
        (43_467.0, "Núñez & <Saavedra>"),
        (43_468.0, "Palermo"),
    ] {
        rows.push([Value::Number(serial), Value::Text(barrio)], &mut strings);
    }
    let body = SheetBody {
        entry: "xl/worksheets/sheet2.xml".into(),
        rows: &rows,
        range: 0..3,
    };
    let bytes = splice(&framed, &[body], &strings, 2).unwrap();
    use calamine::{Data, Reader, Xlsx};
    let mut book: Xlsx<_> = Xlsx::new(Cursor::new(bytes)).unwrap();
    let range = book.worksheet_range("instancias").unwrap();
    assert_eq!(range.get_size(), (4, 2));
    assert_eq!(
        range.get((2, 1)),
        Some(&Data::String("Núñez & <Saavedra>".into()))
    );
    assert!(
        matches!(range.get((1, 0)), Some(Data::DateTime(d)) if d.as_f64() == 43_466.0),
        "{:?}",
        range.get((1, 0))
    );
    let summary = book.worksheet_range("Resumen").unwrap();
    assert_eq!(
        summary.get((0, 0)),
        Some(&Data::String("texto del libro".into()))
    );
}

#[test]
fn column_styles_cover_ranges() {
    let head = "<cols><col min=\"1\" max=\"1\" width=\"3\"/><col min=\"2\" max=\"3\" width=\"9\" style=\"2\" customWidth=\"1\"/></cols><sheetData>";
    assert_eq!(column_styles(head), vec![None, Some(2), Some(2)]);
}
