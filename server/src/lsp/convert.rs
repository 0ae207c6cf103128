//! The one place where positions are converted: byte offsets of an analysed text
//! to LSP positions in the negotiated encoding, LSP positions to places in an open
//! document's rope, and engine findings to LSP diagnostics and edits.

use precept_rules::source::{Encoding, LineCol, LineIndex};
use precept_rules::{Finding, Level};
use ropey::Rope;
use tower_lsp_server::ls_types::{
    CodeDescription, Diagnostic, DiagnosticSeverity, DiagnosticTag, NumberOrString, Position,
    Range, TextEdit, Uri,
};

/// A text that was analysed, with its line index, for converting the result.
pub struct Snapshot<'a> {
    pub text: &'a str,
    pub index: &'a LineIndex,
    pub encoding: Encoding,
}

impl Snapshot<'_> {
    pub fn position(&self, offset: usize) -> Position {
        let LineCol { line, col } = self.index.position(self.text, offset, self.encoding);
        Position {
            line,
            character: col,
        }
    }

    pub fn range(&self, range: &std::ops::Range<usize>) -> Range {
        Range {
            start: self.position(range.start),
            end: self.position(range.end),
        }
    }

    /// Byte offset of an LSP position (clamped into the text).
    pub fn offset(&self, pos: Position) -> usize {
        self.index
            .offset(
                self.text,
                LineCol {
                    line: pos.line,
                    col: pos.character,
                },
                self.encoding,
            )
            .0
    }

    pub fn text_edit(&self, edit: &precept_rules::Edit) -> TextEdit {
        TextEdit {
            range: self.range(&edit.range),
            new_text: edit.text.clone(),
        }
    }
}

pub fn severity(level: Level) -> DiagnosticSeverity {
    match level {
        Level::Error => DiagnosticSeverity::ERROR,
        Level::Warning => DiagnosticSeverity::WARNING,
        Level::Info => DiagnosticSeverity::INFORMATION,
        Level::Hint => DiagnosticSeverity::HINT,
    }
}

/// An LSP diagnostic for a finding. `data` carries the finding's index in the
/// analysis so code actions can find it again; clients that drop `data` still get
/// fixes, which are looked up by range and rule.
pub fn diagnostic(
    snapshot: &Snapshot<'_>,
    finding: &Finding,
    index: usize,
    docs_url: Option<&str>,
) -> Diagnostic {
    let meta = precept_rules::registry::meta(&finding.rule);
    let href = meta
        .map(|m| m.docs_url(docs_url))
        .and_then(|u| u.parse::<Uri>().ok());
    Diagnostic {
        range: snapshot.range(&finding.range),
        severity: Some(severity(finding.level)),
        code: Some(NumberOrString::String(finding.rule.clone())),
        code_description: href.map(|href| CodeDescription { href }),
        source: Some("precept".to_owned()),
        message: finding.message.clone(),
        related_information: None,
        tags: finding
            .unnecessary
            .then(|| vec![DiagnosticTag::UNNECESSARY]),
        data: Some(serde_json::json!({ "index": index })),
    }
}

/// Where an LSP position falls in a rope, as a char index. Lines past the end
/// clamp to the end of the text and columns past a line's end clamp to the line's
/// end (before its terminator), as the specification asks; the flag says whether
/// clamping happened so the caller can log it.
pub fn rope_char(rope: &Rope, pos: Position, encoding: Encoding) -> (usize, bool) {
    let line = pos.line as usize;
    if line >= rope.len_lines() {
        return (rope.len_chars(), true);
    }
    let line_start = rope.line_to_char(line);
    let slice = rope.line(line);
    let mut len = slice.len_chars();
    if len > 0 && slice.char(len - 1) == '\n' {
        len -= 1;
        if len > 0 && slice.char(len - 1) == '\r' {
            len -= 1;
        }
    }
    let content = slice.slice(..len);
    let col = pos.character as usize;
    let (chars, clamped) = match encoding {
        Encoding::Utf16 => {
            let total = content.len_utf16_cu();
            if col > total {
                (len, true)
            } else {
                (content.utf16_cu_to_char(col), false)
            }
        }
        Encoding::Utf8 => {
            let total = content.len_bytes();
            if col > total {
                (len, true)
            } else {
                (content.byte_to_char(col), false)
            }
        }
        Encoding::Utf32 => {
            if col > len {
                (len, true)
            } else {
                (col, false)
            }
        }
    };
    (line_start + chars, clamped)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rope_positions_in_each_encoding() {
        let rope = Rope::from_str("a😀b\r\n日本x\n");
        let p = |line, character| Position { line, character };
        assert_eq!(rope_char(&rope, p(0, 3), Encoding::Utf16), (2, false)); // after the emoji
        assert_eq!(rope_char(&rope, p(0, 5), Encoding::Utf8), (2, false));
        assert_eq!(rope_char(&rope, p(1, 2), Encoding::Utf16), (7, false)); // before x
        assert_eq!(rope_char(&rope, p(0, 99), Encoding::Utf16), (3, true)); // clamped before \r\n
        assert_eq!(
            rope_char(&rope, p(9, 0), Encoding::Utf16),
            (rope.len_chars(), true)
        );
    }

    #[test]
    fn snapshot_round_trip() {
        let text = "fn a() {}\n// 😀 x\n";
        let index = LineIndex::new(text);
        let s = Snapshot {
            text,
            index: &index,
            encoding: Encoding::Utf16,
        };
        let x = text.find('x').unwrap_or(0);
        assert_eq!(
            s.position(x),
            Position {
                line: 1,
                character: 6
            }
        );
        assert_eq!(
            s.offset(Position {
                line: 1,
                character: 6
            }),
            x
        );
    }
}
