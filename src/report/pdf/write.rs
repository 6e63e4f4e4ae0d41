//! The only file of the PDF renderer that touches printpdf (with allsorts and lopdf, which come
//! with it): the embedded faces' metrics read through printpdf's font parser, the fonts subset
//! to the characters used, the laid-out pages turned into PDF operations, and the document's
//! metadata, /Lang, outline and deterministic id.
//!
//! Writes what `layout` placed: it must not decide where anything goes.

use std::collections::BTreeSet;

use allsorts::binary::read::ReadScope;
use allsorts::font_data::FontData;
use allsorts::subset::{subset, CmapTarget, SubsetProfile};
use printpdf::{
    Color, FontId, Line, LineDashPattern, LinePoint, Op, PageAnnotId, PageAnnotation, PaintMode,
    ParsedFont, PdfDocument, PdfFont, PdfFontHandle, PdfPage, PdfParseErrorSeverity,
    PdfSaveOptions, Point, Polygon, PolygonRing, Pt, Rect, Rgb, TextItem, TextMatrix, WindingOrder,
};
use sha2::{Digest, Sha256};

use super::fonts::{Fonts, Weight};
use super::layout::{Item, Outline, Page};
use super::{Colour, PAGE_H};
use crate::report::model::Report;
use crate::report::ReportError;

/// One embedded font, with the metrics used to measure text before drawing it.
pub(super) struct Face {
    /// Parsed from the full font: character map and advance widths (from `hmtx`).
    parsed: ParsedFont,
    bytes: &'static [u8],
    /// PostScript name, written (with a subset tag) as the PDF font name.
    pub(super) name: &'static str,
    units_per_em: f32,
    /// Drawn instead of a character the font lacks (U+FFFD, or «?»).
    pub(super) fallback: char,
}

impl Face {
    pub(super) fn load(bytes: &'static [u8], name: &'static str) -> Result<Face, ReportError> {
        let mut warnings = Vec::new();
        let parsed = ParsedFont::from_bytes(bytes, 0, &mut warnings)
            .ok_or_else(|| ReportError::Pdf(format!("cannot read the embedded font {name}")))?;
        let units_per_em = f32::from(parsed.units_per_em.max(1));
        let fallback = if parsed.lookup_glyph_index(0xFFFD).is_some_and(|g| g != 0) {
            '\u{FFFD}'
        } else {
            '?'
        };
        Ok(Face {
            parsed,
            bytes,
            name,
            units_per_em,
            fallback,
        })
    }

    /// Whether the font draws `c`. Only the Basic Multilingual Plane: the subset keeps a
    /// format 4 character map.
    pub(super) fn has(&self, c: char) -> bool {
        u32::from(c) <= 0xFFFF
            && self
                .parsed
                .lookup_glyph_index(u32::from(c))
                .is_some_and(|g| g != 0)
    }

    /// Advance width of a character, in em.
    pub(super) fn advance(&self, c: char) -> f32 {
        let glyph = if self.has(c) {
            self.parsed.lookup_glyph_index(u32::from(c))
        } else {
            self.parsed.lookup_glyph_index(u32::from(self.fallback))
        };
        let width = glyph
            .and_then(|g| self.parsed.get_glyph_width(g))
            .unwrap_or(0);
        f32::from(width) / self.units_per_em
    }
}

// ---------------------------------------------------------------------------------------------
// Writing the PDF
// ---------------------------------------------------------------------------------------------

const REGULAR_ID: &str = "FRegular";
const BOLD_ID: &str = "FBold";

/// Turns the laid-out pages into a PDF: fonts subset to the characters used, metadata, /Lang,
/// outline, and a deterministic document id.
pub(super) fn write(
    report: &Report,
    fonts: &Fonts,
    pages: &[Page],
    outline: &Outline,
) -> Result<Vec<u8>, ReportError> {
    let meta = &report.meta;
    let mut used: [BTreeSet<char>; 2] = [BTreeSet::new(), BTreeSet::new()];
    for page in pages {
        for item in &page.items {
            if let Item::Text { style, text, .. } = item {
                used[usize::from(style.weight == Weight::Bold)].extend(text.chars());
            }
        }
    }

    let mut doc = PdfDocument::new(&meta.title);
    for (weight, id) in [(Weight::Regular, REGULAR_ID), (Weight::Bold, BOLD_ID)] {
        let chars = &used[usize::from(weight == Weight::Bold)];
        let parsed = subset_font(fonts.face(weight), chars);
        doc.resources
            .fonts
            .map
            .insert(FontId(id.to_string()), PdfFont::new(parsed));
    }

    let info = &mut doc.metadata.info;
    let issued = meta
        .issued_on
        .and_hms_opt(0, 0, 0)
        .map(|t| t.and_utc().timestamp())
        .ok_or_else(|| ReportError::Pdf("invalid date of issue".into()))?;
    let date = printpdf::OffsetDateTime::from_unix_timestamp(issued)
        .map_err(|e| ReportError::Pdf(format!("date of issue: {e}")))?;
    info.document_title = meta.title.clone();
    info.author = meta.author.clone();
    info.subject = meta.subject.clone();
    info.creator = "participa".to_string();
    info.producer = format!("participa {} (printpdf)", env!("CARGO_PKG_VERSION"));
    info.identifier = meta.file_stem.clone();
    info.keywords = vec![meta.period.clone(), meta.data_version.clone()];
    info.creation_date = date;
    info.modification_date = date;
    info.metadata_date = date;

    for (i, (title, page)) in outline.iter().enumerate() {
        // Our own ids: printpdf's are random, and bookmark order must not depend on them.
        doc.bookmarks.map.insert(
            PageAnnotId(format!("B{i:05}")),
            PageAnnotation {
                name: fonts.regular.clean(title),
                page: page + 1,
            },
        );
    }
    doc.pages = pages
        .iter()
        .map(page_ops)
        .map(|ops| PdfPage::new(printpdf::Mm(210.0), printpdf::Mm(297.0), ops))
        .collect();

    let options = PdfSaveOptions {
        optimize: true,
        subset_fonts: false,
        secure: true,
        image_optimization: None,
    };
    let mut warnings = Vec::new();
    let mut pdf = doc.to_lopdf_document(&options, &mut warnings);
    let errors: Vec<String> = warnings
        .iter()
        .filter(|w| w.severity == PdfParseErrorSeverity::Error)
        .map(|w| w.msg.clone())
        .collect();
    if !errors.is_empty() {
        return Err(ReportError::Pdf(errors.join("; ")));
    }
    finish(&mut pdf, report).map_err(|e| ReportError::Pdf(e.to_string()))?;
    pdf.compress();
    let mut out = Vec::new();
    pdf.save_to(&mut out)
        .map_err(|e| ReportError::Pdf(e.to_string()))?;
    Ok(out)
}

/// What printpdf does not write or writes wrong: the document language, a document id that is
/// the same for the same report (printpdf's is random), the page mode as a name (printpdf
/// writes a string, which readers ignore: the bookmarks would not open), and no empty PDF/X
/// version entry.
fn finish(pdf: &mut lopdf::Document, report: &Report) -> Result<(), lopdf::Error> {
    let meta = &report.meta;
    pdf.version = "1.7".to_string();
    let catalog = pdf.catalog_mut()?;
    catalog.set("Lang", lopdf::Object::string_literal(meta.lang.tag()));
    if catalog.has(b"Outlines") {
        catalog.set("PageMode", lopdf::Object::Name(b"UseOutlines".to_vec()));
    }
    let info = pdf.trailer.get(b"Info")?.as_reference()?;
    let dict = pdf.get_object_mut(info)?.as_dict_mut()?;
    dict.remove(b"GTS_PDFXVersion");
    let mut hash = Sha256::new();
    for part in [
        &meta.file_stem,
        &meta.period,
        &meta.data_version,
        &meta.title,
        &meta.issued_on.to_string(),
    ] {
        hash.update(part.as_bytes());
        hash.update([0]);
    }
    let id: Vec<u8> = hash.finalize()[..16].to_vec();
    pdf.trailer.set(
        "ID",
        lopdf::Object::Array(vec![
            lopdf::Object::String(id.clone(), lopdf::StringFormat::Hexadecimal),
            lopdf::Object::String(id, lopdf::StringFormat::Hexadecimal),
        ]),
    );
    Ok(())
}

/// The font reduced to the glyphs of `chars` (a report uses ~150 of DejaVu's ~6 000, so the
/// PDF is tens of kilobytes instead of 1.5 MB). printpdf only subsets with its heavy
/// `text_layout` feature, so this calls its subsetter, allsorts, directly. If subsetting fails
/// the whole font is embedded: a larger file, never a broken one.
fn subset_font(face: &Face, chars: &BTreeSet<char>) -> ParsedFont {
    let full = || {
        let mut parsed = face.parsed.clone();
        parsed.font_name = Some(face.name.to_string());
        parsed
    };
    let glyphs: BTreeSet<u16> = chars
        .iter()
        .filter_map(|c| face.parsed.lookup_glyph_index(u32::from(*c)))
        .filter(|g| *g != 0)
        .collect();
    // Glyph 0 (.notdef) must come first.
    let ids: Vec<u16> = std::iter::once(0).chain(glyphs).collect();
    let subset_bytes = ReadScope::new(face.bytes)
        .read::<FontData<'_>>()
        .ok()
        .and_then(|font| font.table_provider(0).ok())
        .and_then(|provider| {
            subset(&provider, &ids, &SubsetProfile::Pdf, CmapTarget::Unicode).ok()
        });
    let Some(bytes) = subset_bytes else {
        return full();
    };
    let mut warnings = Vec::new();
    let Some(mut parsed) = ParsedFont::from_bytes(&bytes, 0, &mut warnings) else {
        return full();
    };
    if !chars
        .iter()
        .all(|c| parsed.lookup_glyph_index(u32::from(*c)).is_some())
    {
        return full();
    }
    // The subset tag (six capitals, ISO 32000-1 §9.6.4) from the characters, so the same text
    // gives the same name.
    let digest = Sha256::digest(chars.iter().collect::<String>().as_bytes());
    let tag: String = digest
        .iter()
        .take(6)
        .map(|b| char::from(b'A' + b % 26))
        .collect();
    parsed.font_name = Some(format!("{tag}+{}", face.name));
    parsed
}

fn pdf_colour(c: Colour) -> Color {
    Color::Rgb(Rgb::new(c.0, c.1, c.2, None))
}

fn point(x: f32, y: f32) -> LinePoint {
    LinePoint {
        p: Point {
            x: Pt(x),
            y: Pt(PAGE_H - y),
        },
        bezier: false,
    }
}

/// printpdf operations for one page, setting font, colours and line style only when they
/// change.
fn page_ops(page: &Page) -> Vec<Op> {
    let mut ops = Vec::new();
    let mut fill: Option<Colour> = None;
    let mut stroke: Option<(Colour, f32, bool)> = None;
    let mut font: Option<(Weight, f32)> = None;
    let mut set_fill = |ops: &mut Vec<Op>, c: Colour| {
        if fill != Some(c) {
            ops.push(Op::SetFillColor { col: pdf_colour(c) });
            fill = Some(c);
        }
    };
    for item in &page.items {
        match item {
            Item::Text {
                x,
                y,
                angle,
                style,
                text,
            } => {
                set_fill(&mut ops, style.colour);
                ops.push(Op::StartTextSection);
                if font != Some((style.weight, style.size)) {
                    let id = if style.weight == Weight::Bold {
                        BOLD_ID
                    } else {
                        REGULAR_ID
                    };
                    ops.push(Op::SetFont {
                        font: PdfFontHandle::External(FontId(id.to_string())),
                        size: Pt(style.size),
                    });
                    font = Some((style.weight, style.size));
                }
                let (sin, cos) = angle.to_radians().sin_cos();
                ops.push(Op::SetTextMatrix {
                    matrix: TextMatrix::Raw([cos, sin, -sin, cos, *x, PAGE_H - y]),
                });
                ops.push(Op::ShowText {
                    items: vec![TextItem::Text(text.clone())],
                });
                ops.push(Op::EndTextSection);
            }
            Item::Fill { x, y, w, h, colour } => {
                set_fill(&mut ops, *colour);
                ops.push(Op::DrawRectangle {
                    rectangle: Rect {
                        x: Pt(*x),
                        y: Pt(PAGE_H - y - h),
                        width: Pt(*w),
                        height: Pt(*h),
                        mode: Some(PaintMode::Fill),
                        winding_order: None,
                    },
                });
            }
            Item::Shape { points, colour } => {
                set_fill(&mut ops, *colour);
                ops.push(Op::DrawPolygon {
                    polygon: Polygon {
                        rings: vec![PolygonRing {
                            points: points.iter().map(|(x, y)| point(*x, *y)).collect(),
                        }],
                        mode: PaintMode::Fill,
                        winding_order: WindingOrder::NonZero,
                    },
                });
            }
            Item::Stroke {
                points,
                width,
                colour,
                dashed,
            } => {
                if stroke != Some((*colour, *width, *dashed)) {
                    ops.push(Op::SetOutlineColor {
                        col: pdf_colour(*colour),
                    });
                    ops.push(Op::SetOutlineThickness { pt: Pt(*width) });
                    let dash = if *dashed {
                        LineDashPattern::new(0.0, &[3.0, 2.0])
                    } else {
                        LineDashPattern::solid()
                    };
                    ops.push(Op::SetLineDashPattern { dash });
                    stroke = Some((*colour, *width, *dashed));
                }
                ops.push(Op::DrawLine {
                    line: Line {
                        points: points.iter().map(|(x, y)| point(*x, *y)).collect(),
                        is_closed: false,
                    },
                });
            }
        }
    }
    ops
}
