//! Laid-out pages: the positioned items (text, boxes, lines) a page is made of, and the
//! `Layout` cursor that fills pages top to bottom and starts a new one when a block does not
//! fit.
//!
//! Geometry only: it must not know what a table, chart or figure is, nor touch printpdf.

use super::fonts::{style, Fonts, Style, Weight};
use super::{
    Colour, ACCENT, ACCENT_DARK, CONTENT_BOTTOM, CONTENT_TOP, CONTENT_W, MARGIN_X, NOTICE_EDGE,
    NOTICE_FILL, NOTICE_INK,
};
use crate::text::Lang;

/// Something drawn on a page. Coordinates in points from the top-left corner.
#[derive(Debug, Clone)]
pub(super) enum Item {
    /// Text on one line, `y` its baseline; `angle` counter-clockwise in degrees.
    Text {
        x: f32,
        y: f32,
        angle: f32,
        style: Style,
        text: String,
    },
    /// A filled rectangle, `y` its top.
    Fill {
        x: f32,
        y: f32,
        w: f32,
        h: f32,
        colour: Colour,
    },
    /// An open line through `points`.
    Stroke {
        points: Vec<(f32, f32)>,
        width: f32,
        colour: Colour,
        dashed: bool,
    },
    /// A filled polygon.
    Shape {
        points: Vec<(f32, f32)>,
        colour: Colour,
    },
}

#[derive(Debug, Clone, Default)]
pub(super) struct Page {
    pub(super) items: Vec<Item>,
    /// Whether the page gets the running header and the footer (all but the cover).
    pub(super) chrome: bool,
}

/// A bookmark and contents entry: title and page index (0-based).
pub(super) type Outline = Vec<(String, usize)>;

/// The page builder: a cursor `y` on the last page, and page breaks when content does not fit.
pub(super) struct Layout<'a> {
    pub(super) fonts: &'a Fonts,
    pub(super) lang: Lang,
    pub(super) pages: Vec<Page>,
    pub(super) y: f32,
}

impl<'a> Layout<'a> {
    pub(super) fn new(fonts: &'a Fonts, lang: Lang) -> Layout<'a> {
        Layout {
            fonts,
            lang,
            pages: Vec::new(),
            y: CONTENT_TOP,
        }
    }

    pub(super) fn new_page(&mut self) {
        self.pages.push(Page {
            items: Vec::new(),
            chrome: true,
        });
        self.y = CONTENT_TOP;
    }

    pub(super) fn page_index(&self) -> usize {
        self.pages.len().saturating_sub(1)
    }

    pub(super) fn push(&mut self, item: Item) {
        if self.pages.is_empty() {
            self.new_page();
        }
        if let Some(page) = self.pages.last_mut() {
            page.items.push(item);
        }
    }

    pub(super) fn fits(&self, h: f32) -> bool {
        self.y + h <= CONTENT_BOTTOM
    }

    /// Starts a new page unless `h` points still fit on this one (or the page is empty, where
    /// a new page would not help).
    pub(super) fn need(&mut self, h: f32) -> bool {
        if !self.fits(h) && self.y > CONTENT_TOP + 1.0 {
            self.new_page();
            true
        } else {
            false
        }
    }

    pub(super) fn text(&mut self, x: f32, y: f32, st: Style, text: &str) {
        self.text_at(x, y, 0.0, st, text);
    }

    pub(super) fn text_at(&mut self, x: f32, y: f32, angle: f32, st: Style, text: &str) {
        let text = self.fonts.face(st.weight).clean(text);
        if !text.trim().is_empty() {
            self.push(Item::Text {
                x,
                y,
                angle,
                style: st,
                text,
            });
        }
    }

    pub(super) fn text_right(&mut self, right: f32, y: f32, st: Style, text: &str) {
        let w = self.fonts.width(text, st);
        self.text(right - w, y, st, text);
    }

    pub(super) fn text_center(&mut self, centre: f32, y: f32, st: Style, text: &str) {
        let w = self.fonts.width(text, st);
        self.text(centre - w / 2.0, y, st, text);
    }

    pub(super) fn fill(&mut self, x: f32, y: f32, w: f32, h: f32, colour: Colour) {
        if w > 0.0 && h > 0.0 {
            self.push(Item::Fill { x, y, w, h, colour });
        }
    }

    pub(super) fn line(&mut self, from: (f32, f32), to: (f32, f32), width: f32, colour: Colour) {
        self.push(Item::Stroke {
            points: vec![from, to],
            width,
            colour,
            dashed: false,
        });
    }

    pub(super) fn dashed(&mut self, from: (f32, f32), to: (f32, f32), width: f32, colour: Colour) {
        self.push(Item::Stroke {
            points: vec![from, to],
            width,
            colour,
            dashed: true,
        });
    }

    pub(super) fn frame(&mut self, x: f32, y: f32, w: f32, h: f32, width: f32, colour: Colour) {
        self.push(Item::Stroke {
            points: vec![(x, y), (x + w, y), (x + w, y + h), (x, y + h), (x, y)],
            width,
            colour,
            dashed: false,
        });
    }

    /// A wrapped paragraph in the flow, breaking pages between lines.
    pub(super) fn paragraph(&mut self, x: f32, w: f32, st: Style, leading: f32, text: &str) {
        for line in self.fonts.wrap(text, st, w) {
            self.need(leading);
            self.text(x, baseline(self.y, st.size, leading), st, &line);
            self.y += leading;
        }
    }

    /// A page title: large, with a rule under it.
    pub(super) fn heading(&mut self, text: &str) {
        let st = style(16.0, Weight::Bold, ACCENT_DARK);
        let lines = self.fonts.wrap(text, st, CONTENT_W);
        // Keep the heading with the first lines of what follows it.
        self.need(lines.len() as f32 * 21.0 + 70.0);
        for line in &lines {
            self.text(MARGIN_X, baseline(self.y, st.size, 21.0), st, line);
            self.y += 21.0;
        }
        self.y += 3.0;
        self.line(
            (MARGIN_X, self.y),
            (MARGIN_X + CONTENT_W, self.y),
            1.2,
            ACCENT,
        );
        self.y += 12.0;
    }

    /// A smaller heading inside a page (kept with 60 points of what follows).
    pub(super) fn subheading(&mut self, text: &str) {
        let st = style(11.0, Weight::Bold, ACCENT_DARK);
        let lines = self.fonts.wrap(text, st, CONTENT_W);
        self.need(lines.len() as f32 * 15.0 + 60.0);
        for line in &lines {
            self.text(MARGIN_X, baseline(self.y, st.size, 15.0), st, line);
            self.y += 15.0;
        }
        self.y += 4.0;
    }

    /// A boxed, prominent sentence (the «no data» notice).
    pub(super) fn notice(&mut self, text: &str) {
        let st = style(11.0, Weight::Bold, NOTICE_INK);
        let lines = self.fonts.wrap(text, st, CONTENT_W - 24.0);
        let h = lines.len() as f32 * 15.0 + 16.0;
        self.need(h);
        self.fill(MARGIN_X, self.y, CONTENT_W, h, NOTICE_FILL);
        self.fill(MARGIN_X, self.y, 4.0, h, NOTICE_EDGE);
        for (i, line) in lines.iter().enumerate() {
            self.text(
                MARGIN_X + 14.0,
                baseline(self.y + 8.0 + i as f32 * 15.0, st.size, 15.0),
                st,
                line,
            );
        }
        self.y += h + 12.0;
    }
}

/// Baseline of a line of text of `size` points centred (on its capitals) in a line box of
/// height `leading` whose top is `top`.
pub(super) fn baseline(top: f32, size: f32, leading: f32) -> f32 {
    top + (leading + 0.72 * size) / 2.0
}
