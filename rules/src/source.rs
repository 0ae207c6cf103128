//! Text model: a line index over a file and conversions between byte offsets and
//! (line, column) positions counted in UTF-8 bytes, UTF-16 code units or Unicode
//! scalar values.

use std::ops::Range;

/// Strip a UTF-8 byte order mark. Everything downstream sees text without it; the
/// returned offset is what to add to get back to offsets in the original bytes.
pub fn strip_bom(text: &str) -> (&str, usize) {
    match text.strip_prefix('\u{feff}') {
        Some(rest) => (rest, '\u{feff}'.len_utf8()),
        None => (text, 0),
    }
}

/// How columns are counted.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Encoding {
    /// Bytes of UTF-8 (LSP `utf-8`).
    Utf8,
    /// UTF-16 code units (LSP default).
    Utf16,
    /// Unicode scalar values (rustc, SARIF `unicodeCodePoints`, LSP `utf-32`).
    Utf32,
}

/// A zero-based line and column.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct LineCol {
    pub line: u32,
    pub col: u32,
}

/// Start offsets of every line of a text. `\r\n` and `\n` both end a line; a lone
/// `\r` does not (as rustc and the LSP clients we target treat it).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LineIndex {
    line_starts: Vec<usize>,
    len: usize,
}

impl LineIndex {
    pub fn new(text: &str) -> Self {
        let mut line_starts = Vec::with_capacity(text.len() / 32 + 1);
        line_starts.push(0);
        line_starts.extend(memchr::memchr_iter(b'\n', text.as_bytes()).map(|i| i + 1));
        LineIndex {
            line_starts,
            len: text.len(),
        }
    }

    pub fn line_count(&self) -> usize {
        self.line_starts.len()
    }

    /// Byte range of a zero-based line, without its line terminator.
    pub fn line_range(&self, text: &str, line: usize) -> Range<usize> {
        let start = self.line_starts.get(line).copied().unwrap_or(self.len);
        let mut end = self.line_starts.get(line + 1).copied().unwrap_or(self.len);
        let bytes = text.as_bytes();
        if end > start && bytes.get(end - 1) == Some(&b'\n') {
            end -= 1;
            if end > start && bytes.get(end - 1) == Some(&b'\r') {
                end -= 1;
            }
        }
        start..end
    }

    /// Zero-based line containing `offset` (clamped to the text).
    pub fn line_of(&self, offset: usize) -> usize {
        let offset = offset.min(self.len);
        match self.line_starts.binary_search(&offset) {
            Ok(line) => line,
            Err(next) => next - 1,
        }
    }

    pub fn line_start(&self, line: usize) -> usize {
        self.line_starts.get(line).copied().unwrap_or(self.len)
    }

    /// Position of a byte offset. Offsets inside a multi-byte character or past the
    /// end are clamped to the character start / text end.
    pub fn position(&self, text: &str, offset: usize, encoding: Encoding) -> LineCol {
        let offset = floor_char_boundary(text, offset.min(text.len()));
        let line = self.line_of(offset);
        let start = self.line_starts[line];
        let prefix = &text[start..offset];
        let col = match encoding {
            Encoding::Utf8 => prefix.len(),
            Encoding::Utf16 => prefix.chars().map(char::len_utf16).sum(),
            Encoding::Utf32 => prefix.chars().count(),
        };
        LineCol {
            line: line as u32,
            col: col as u32,
        }
    }

    /// Byte offset of a position. A column past the end of its line clamps to the
    /// line end (before the terminator), a line past the end clamps to the text end,
    /// and a column inside a surrogate pair or multi-byte character rounds down.
    /// Returns whether clamping happened, so callers can log bad input.
    pub fn offset(&self, text: &str, pos: LineCol, encoding: Encoding) -> (usize, bool) {
        let line = pos.line as usize;
        if line >= self.line_starts.len() {
            return (self.len, true);
        }
        let range = self.line_range(text, line);
        let line_text = &text[range.clone()];
        let want = pos.col as usize;
        let mut counted = 0usize;
        for (byte_idx, ch) in line_text.char_indices() {
            if counted >= want {
                return (range.start + byte_idx, counted != want);
            }
            counted += match encoding {
                Encoding::Utf8 => ch.len_utf8(),
                Encoding::Utf16 => ch.len_utf16(),
                Encoding::Utf32 => 1,
            };
            if counted > want {
                // The position points inside this character.
                return (range.start + byte_idx, true);
            }
        }
        (range.end, counted != want)
    }
}

/// The largest char boundary at or below `offset`.
pub fn floor_char_boundary(text: &str, mut offset: usize) -> usize {
    if offset >= text.len() {
        return text.len();
    }
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    offset
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn positions_in_each_encoding() {
        let text = "a😀b\r\n日本x\n";
        let idx = LineIndex::new(text);
        let b = text.find('b').unwrap_or(0);
        assert_eq!(
            idx.position(text, b, Encoding::Utf8),
            LineCol { line: 0, col: 5 }
        );
        assert_eq!(
            idx.position(text, b, Encoding::Utf16),
            LineCol { line: 0, col: 3 }
        );
        assert_eq!(
            idx.position(text, b, Encoding::Utf32),
            LineCol { line: 0, col: 2 }
        );
        let x = text.find('x').unwrap_or(0);
        assert_eq!(
            idx.position(text, x, Encoding::Utf16),
            LineCol { line: 1, col: 2 }
        );
        assert_eq!(idx.line_range(text, 0), 0..6);
    }

    #[test]
    fn out_of_range_positions_clamp() {
        let text = "ab\ncd";
        let idx = LineIndex::new(text);
        assert_eq!(
            idx.offset(text, LineCol { line: 0, col: 99 }, Encoding::Utf16),
            (2, true)
        );
        assert_eq!(
            idx.offset(text, LineCol { line: 9, col: 0 }, Encoding::Utf16),
            (5, true)
        );
        assert_eq!(
            idx.offset(text, LineCol { line: 1, col: 1 }, Encoding::Utf16),
            (4, false)
        );
    }

    #[test]
    fn bom_is_stripped() {
        assert_eq!(strip_bom("\u{feff}fn"), ("fn", 3));
        assert_eq!(strip_bom("fn"), ("fn", 0));
    }

    fn text_strategy() -> impl Strategy<Value = String> {
        proptest::collection::vec(
            prop_oneof![
                Just("a".to_owned()),
                Just("😀".to_owned()),
                Just("日本".to_owned()),
                Just("é".to_owned()),
                Just("\n".to_owned()),
                Just("\r\n".to_owned()),
                Just(" ".to_owned()),
            ],
            0..40,
        )
        .prop_map(|parts| parts.concat())
    }

    proptest! {
        #[test]
        fn offsets_round_trip(text in text_strategy()) {
            let idx = LineIndex::new(&text);
            for (offset, _) in text.char_indices().chain(std::iter::once((text.len(), ' '))) {
                // A `\r` directly before `\n` has no column of its own past the line end.
                if text[offset..].starts_with("\n") && text[..offset].ends_with('\r') {
                    continue;
                }
                for enc in [Encoding::Utf8, Encoding::Utf16, Encoding::Utf32] {
                    let pos = idx.position(&text, offset, enc);
                    let (back, clamped) = idx.offset(&text, pos, enc);
                    prop_assert_eq!(back, offset);
                    prop_assert!(!clamped);
                }
            }
        }
    }
}
