//! A fast, forgiving scanner for Rust source text.
//!
//! This is the engine under [`crate::segment`]: it walks the bytes of a file once and
//! reports tokens coarse enough for finding item boundaries (identifiers, literals,
//! single punctuation bytes, comments) but exact about the things that decide where a
//! brace really is: line and block comments (block comments nest), every kind of
//! string literal (escaped, byte, C, raw with any number of `#`), char and byte
//! literals, and lifetimes or labels, which look like the start of a char literal.
//! It never fails and never panics: text that is not Rust still comes out as tokens,
//! and unterminated literals or comments simply run to the end of the text.
//!
//! It works on bytes, allocates nothing per token, and uses `memchr` to jump through
//! comments and strings: a 400 KB file is scanned token by token in about a
//! millisecond, and [`Lexer::next_in_brackets`] skips through item bodies (most of a
//! file) several times faster, reporting only what decides where they end.
//! [`nesting_depth`] uses the scanner to estimate how deeply syn would recurse on a
//! piece of text without recursing itself.

use memchr::{memchr, memchr2, memchr3, memrchr};

/// What a comment documents, decided the way rustc decides it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum CommentStyle {
    /// An ordinary comment; also `////…` and `/***…*/`, which rustc does not treat as doc.
    Plain,
    /// `/// …` or `/** … */`: documents the item that follows.
    OuterDoc,
    /// `//! …` or `/*! … */`: documents the enclosing module or crate.
    InnerDoc,
}

/// The coarse kind of a [`Token`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum TokenKind {
    /// An identifier or keyword, including raw identifiers (`r#fn`) and runs of
    /// non-ASCII characters (the scanner does not judge which are valid).
    Ident,
    /// A lifetime or loop label: `'a`, `'static`, `'_`.
    Lifetime,
    /// A char or byte literal: `'a'`, `'\''`, `b'x'`.
    Char,
    /// A numeric literal with its suffix (`0x1Fu8`); a decimal point is a separate `.`.
    Number,
    /// Any string literal: `"…"`, `b"…"`, `c"…"`, `r#"…"#`, `br"…"`, `cr#"…"#`.
    Str,
    /// One byte of punctuation (`{`, `;`, `#`, a lone `'`, …). Multi-byte operators such
    /// as `->` come out as one token per byte.
    Punct(u8),
    /// `// …` up to, not including, the line break (and a `\r` before it).
    LineComment(CommentStyle),
    /// `/* … */`, nested comments included.
    BlockComment(CommentStyle),
}

impl TokenKind {
    /// True for line and block comments, doc comments included.
    pub fn is_comment(self) -> bool {
        matches!(self, TokenKind::LineComment(_) | TokenKind::BlockComment(_))
    }
}

/// One token: its kind, its byte range and where its line starts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Token {
    pub kind: TokenKind,
    /// Byte offset of the first byte.
    pub start: usize,
    /// Byte offset one past the last byte (always a char boundary).
    pub end: usize,
    /// Byte offset of the start of the line that `start` is on.
    pub line_start: usize,
    /// True when nothing but whitespace precedes the token on its line.
    pub first_on_line: bool,
    /// True for a string, raw string or block comment that is not closed: it runs to the
    /// end of the text, or was cut short by a [`GuardMode::Cut`] string guard.
    pub unterminated: bool,
    /// True for an ordinary string that crossed a line the string guard recognises as
    /// the start of an item (reported in [`GuardMode::Detect`] and [`GuardMode::Cut`]).
    pub guard_hit: bool,
}

impl Token {
    /// The punctuation byte, or 0 when the token is not punctuation.
    pub fn punct(&self) -> u8 {
        match self.kind {
            TokenKind::Punct(c) => c,
            _ => 0,
        }
    }

    /// The token's indentation (bytes of whitespace before it on its line) when it is
    /// the first thing on its line.
    pub fn indent(&self) -> Option<usize> {
        self.first_on_line.then(|| self.start - self.line_start)
    }
}

/// What the scanner does when an ordinary (non-raw) string runs onto a line that looks
/// like the start of an item at or below the guard's indentation: an outer doc comment,
/// or an item keyword (see [`item_keyword_at`]) on a line with code punctuation.
///
/// A quote typed in the middle of a function otherwise turns the rest of the file
/// inside out: code becomes string and strings become code. In well-formatted code an
/// item never starts inside a string, so a string that reaches such a line was most
/// likely never meant to be closed there.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum GuardMode {
    /// Strings end only at their closing quote.
    #[default]
    Off,
    /// Strings end at their closing quote; crossing an item line sets
    /// [`Token::guard_hit`].
    Detect,
    /// The string ends (unterminated) just before the line break that precedes the item
    /// line.
    Cut,
}

const C_PUNCT: u8 = 0;
const C_WS: u8 = 1;
const C_NL: u8 = 2;
const C_IDENT: u8 = 3;
const C_DIGIT: u8 = 4;
const C_HIGH: u8 = 5;
const C_QUOTE: u8 = 6;
const C_DQUOTE: u8 = 7;
const C_SLASH: u8 = 8;

const fn build_classes() -> [u8; 256] {
    let mut table = [C_PUNCT; 256];
    let mut i = 0;
    while i < 256 {
        let c = i as u8;
        table[i] = if c == b' ' || c == b'\t' || c == b'\r' || c == 0x0b || c == 0x0c {
            C_WS
        } else if c == b'\n' {
            C_NL
        } else if c.is_ascii_alphabetic() || c == b'_' {
            C_IDENT
        } else if c.is_ascii_digit() {
            C_DIGIT
        } else if c >= 0x80 {
            C_HIGH
        } else if c == b'\'' {
            C_QUOTE
        } else if c == b'"' {
            C_DQUOTE
        } else if c == b'/' {
            C_SLASH
        } else {
            C_PUNCT
        };
        i += 1;
    }
    table
}

/// The first-byte class of every byte value, so the main loop dispatches with one load.
static CLASS: [u8; 256] = build_classes();

/// Bytes that continue an identifier: ASCII letters, digits and `_`, and every byte
/// from 0x80 up (the scanner does not judge which non-ASCII chars are valid) except the
/// lead bytes of Rust's non-ASCII whitespace chars, which need a closer look
/// ([`MAYBE_SPACE`]).
const fn build_ident_continue() -> [u8; 256] {
    let mut table = [0u8; 256];
    let mut i = 0;
    while i < 256 {
        let c = i as u8;
        table[i] = if c.is_ascii_alphanumeric() || c == b'_' {
            1
        } else if c == 0xC2 || c == 0xE2 {
            MAYBE_SPACE
        } else if c >= 0x80 {
            1
        } else {
            0
        };
        i += 1;
    }
    table
}

/// Entry of [`IDENT_CONTINUE`] for a byte that may start U+0085, U+200E, U+200F, U+2028
/// or U+2029.
const MAYBE_SPACE: u8 = 2;

static IDENT_CONTINUE: [u8; 256] = build_ident_continue();

/// Length of the non-ASCII whitespace char Rust accepts at `pos` (U+0085, U+200E,
/// U+200F, U+2028, U+2029), or 0.
fn unicode_space_len(bytes: &[u8], pos: usize) -> usize {
    match bytes.get(pos) {
        Some(0xC2) if bytes.get(pos + 1) == Some(&0x85) => 2,
        Some(0xE2)
            if bytes.get(pos + 1) == Some(&0x80)
                && matches!(bytes.get(pos + 2), Some(0x8E | 0x8F | 0xA8 | 0xA9)) =>
        {
            3
        }
        _ => 0,
    }
}

/// Number of bytes in the UTF-8 sequence introduced by `lead`. A stray continuation
/// byte counts as one, which cannot happen in a `&str` at a char boundary.
fn utf8_len(lead: u8) -> usize {
    match lead {
        0x00..=0x7F => 1,
        0xF0..=0xFF => 4,
        0xE0..=0xEF => 3,
        0xC0..=0xDF => 2,
        _ => 1,
    }
}

/// Moves `pos` forward to the next char boundary (or the end).
fn ceil_boundary(bytes: &[u8], mut pos: usize) -> usize {
    while pos < bytes.len() && (bytes[pos] & 0xC0) == 0x80 {
        pos += 1;
    }
    pos.min(bytes.len())
}

fn is_ident_start(bytes: &[u8], pos: usize) -> bool {
    match bytes.get(pos) {
        Some(&c) if c.is_ascii_alphabetic() || c == b'_' => true,
        Some(&c) if c >= 0x80 => unicode_space_len(bytes, pos) == 0,
        _ => false,
    }
}

/// End of the identifier that starts at or continues from `pos`.
#[inline(always)]
fn ident_end(bytes: &[u8], mut pos: usize) -> usize {
    while let Some(&c) = bytes.get(pos) {
        match IDENT_CONTINUE[c as usize] {
            1 => pos += 1,
            MAYBE_SPACE if unicode_space_len(bytes, pos) == 0 => pos += 1,
            _ => break,
        }
    }
    pos
}

/// Skips spaces from `pos`, eight bytes at a time: indentation is most of the
/// whitespace in a source file, and a byte-at-a-time loop over it was the scanner's
/// hottest spot.
#[inline(always)]
fn skip_spaces(bytes: &[u8], mut pos: usize) -> usize {
    const SPACES: u64 = u64::from_le_bytes([b' '; 8]);
    while let Some(chunk) = bytes.get(pos..pos + 8) {
        let mut word = [0u8; 8];
        word.copy_from_slice(chunk);
        let diff = u64::from_le_bytes(word) ^ SPACES;
        if diff != 0 {
            // The lowest differing byte is the first non-space (little-endian).
            return pos + (diff.trailing_zeros() / 8) as usize;
        }
        pos += 8;
    }
    while bytes.get(pos) == Some(&b' ') {
        pos += 1;
    }
    pos
}

/// Skips spaces and tabs (not line breaks) from `pos`.
fn skip_blanks(bytes: &[u8], mut pos: usize) -> usize {
    while matches!(bytes.get(pos), Some(b' ' | b'\t')) {
        pos += 1;
    }
    pos
}

/// The ASCII word at `pos` (empty when there is none).
fn word_at(bytes: &[u8], pos: usize) -> &[u8] {
    let end = ident_end(bytes, pos);
    bytes.get(pos..end).unwrap_or(&[])
}

/// Number of whitespace bytes (spaces, tabs and other horizontal ASCII whitespace) at
/// the start of the line that begins at `line_start`.
pub fn line_indent(bytes: &[u8], line_start: usize) -> usize {
    let mut pos = line_start;
    while let Some(&c) = bytes.get(pos) {
        if CLASS[c as usize] == C_WS {
            pos += 1;
        } else {
            break;
        }
    }
    pos - line_start.min(pos)
}

/// Does the text at `pos` (the first non-blank byte of a line) begin an item, judged
/// the way a reader of formatted Rust would: `#[`, `#![`, `fn`, `pub`, `impl`,
/// `struct`, `enum`, `union`, `mod`, `use`, `trait`, `type`, `extern`, `const` and
/// `static` (not a const block or a closure), `async fn`, `unsafe` (not an unsafe
/// block), and macro invocations (`macro_rules! m`, `thread_local! {`,
/// `pin_project_lite::pin_project! {`).
///
/// This is how the segmenter resynchronises inside unbalanced text, and how the string
/// guard recognises a line that a runaway string has swallowed.
pub fn item_keyword_at(bytes: &[u8], pos: usize) -> bool {
    let Some(&first) = bytes.get(pos) else {
        return false;
    };
    if first == b'#' {
        let mut next = skip_blanks(bytes, pos + 1);
        if bytes.get(next) == Some(&b'!') {
            next = skip_blanks(bytes, next + 1);
        }
        return bytes.get(next) == Some(&b'[');
    }
    if !first.is_ascii_alphabetic() && first != b'_' {
        return false;
    }
    if is_macro_invocation_at(bytes, pos) {
        return true;
    }
    let word = word_at(bytes, pos);
    let after = skip_blanks(bytes, pos + word.len());
    let next = bytes.get(after).copied();
    let next_word = word_at(bytes, after);
    match word {
        b"fn" => next != Some(b'('),
        b"pub" | b"impl" | b"use" | b"extern" => true,
        b"struct" | b"enum" | b"union" | b"mod" | b"trait" | b"type" => {
            after > pos + word.len() && is_ident_start(bytes, after)
        }
        b"macro_rules" => next == Some(b'!'),
        b"const" | b"static" => !matches!(next, Some(b'{' | b'|')) && next_word != b"move",
        b"async" => matches!(next_word, b"fn" | b"unsafe" | b"extern"),
        b"unsafe" => next != Some(b'{'),
        _ => false,
    }
}

/// A macro invocation at `pos`: a path (`name`, `a::b::name`) followed by `!` and an
/// opening bracket or, for `macro_rules! name`, a name. At the start of a line at an
/// item's indentation this is an item (`lazy_static! {`, `pin_project! {`).
fn is_macro_invocation_at(bytes: &[u8], mut pos: usize) -> bool {
    loop {
        let end = ident_end(bytes, pos);
        if end == pos {
            return false;
        }
        pos = end;
        if bytes.get(pos..pos + 2) == Some(b"::") {
            pos += 2;
            continue;
        }
        break;
    }
    if bytes.get(pos) != Some(&b'!') || bytes.get(pos + 1) == Some(&b'=') {
        return false;
    }
    let after = skip_blanks(bytes, pos + 1);
    matches!(bytes.get(after), Some(b'{' | b'(' | b'[')) || is_ident_start(bytes, after)
}

/// Does the line starting at `pos` contain punctuation that prose rarely has? Used by
/// the string guard so that a help text with a line starting "use the …" is not taken
/// for code.
fn line_has_code_punct(bytes: &[u8], pos: usize) -> bool {
    let rest = bytes.get(pos..).unwrap_or(&[]);
    let line = match memchr(b'\n', rest) {
        Some(n) => &rest[..n],
        None => rest,
    };
    line.iter().any(|c| {
        matches!(
            c,
            b'(' | b')' | b'{' | b'}' | b'[' | b']' | b';' | b'=' | b'<' | b'!' | b'#' | b':'
        )
    })
}

/// The scanner. Create it with [`Lexer::new`] (or [`Lexer::at`] to start at an offset)
/// and iterate: every token, comments included, comes out in order; whitespace does
/// not.
#[derive(Clone, Debug)]
pub struct Lexer<'a> {
    bytes: &'a [u8],
    pos: usize,
    line_start: usize,
    newline: bool,
    guard: GuardMode,
    guard_indent: Option<usize>,
}

impl<'a> Lexer<'a> {
    /// A scanner over the whole text. A leading byte order mark is skipped as
    /// whitespace.
    pub fn new(text: &'a str) -> Self {
        let bytes = text.as_bytes();
        let pos = if bytes.starts_with(b"\xEF\xBB\xBF") {
            3
        } else {
            0
        };
        Lexer {
            bytes,
            pos,
            line_start: pos,
            newline: true,
            guard: GuardMode::Off,
            guard_indent: None,
        }
    }

    /// A scanner that starts at byte `offset`, which must not be inside a token, a
    /// comment or a string (an offset that is not a char boundary is moved forward to
    /// one).
    pub fn at(text: &'a str, offset: usize) -> Self {
        let bytes = text.as_bytes();
        let pos = ceil_boundary(bytes, offset.min(bytes.len()));
        if pos < 3 && bytes.starts_with(b"\xEF\xBB\xBF") {
            return Lexer::new(text);
        }
        let line_start = memrchr(b'\n', &bytes[..pos]).map_or(0, |n| n + 1);
        let newline = bytes[line_start..pos]
            .iter()
            .all(|&c| CLASS[c as usize] == C_WS);
        Lexer {
            bytes,
            pos,
            line_start,
            newline,
            guard: GuardMode::Off,
            guard_indent: None,
        }
    }

    /// Sets what happens when an ordinary string crosses a line that starts an item.
    pub fn set_guard(&mut self, mode: GuardMode) {
        self.guard = mode;
    }

    /// Sets the indentation at or below which an item line stops (or flags) a string.
    /// `None` uses the indentation of the line on which the string starts.
    pub fn set_guard_indent(&mut self, indent: Option<usize>) {
        self.guard_indent = indent;
    }

    /// Byte offset where the next token search starts.
    pub fn offset(&self) -> usize {
        self.pos
    }

    /// Scans the next token, or returns `None` at the end of the text. Inlined into
    /// the segmenter's loop (measured: about 6% faster segmentation).
    #[inline(always)]
    fn scan(&mut self) -> Option<Token> {
        let bytes = self.bytes;
        let mut pos = self.pos;
        // Whitespace first; line breaks are remembered for `first_on_line` and
        // `line_start`.
        let first = loop {
            let Some(&c) = bytes.get(pos) else {
                self.pos = bytes.len();
                return None;
            };
            if c == b' ' {
                pos = skip_spaces(bytes, pos + 1);
                continue;
            }
            match CLASS[c as usize] {
                C_WS => pos += 1,
                C_NL => {
                    pos += 1;
                    self.line_start = pos;
                    self.newline = true;
                    // Indentation almost always follows.
                    pos = skip_spaces(bytes, pos);
                }
                C_HIGH => match unicode_space_len(bytes, pos) {
                    0 => break c,
                    n => pos += n,
                },
                _ => break c,
            }
        };
        let start = pos;
        let line_start = self.line_start;
        let first_on_line = self.newline;
        self.newline = false;
        let mut unterminated = false;
        let mut guard_hit = false;
        let (kind, end) = match CLASS[first as usize] {
            C_IDENT => match self.prefixed_literal(start) {
                Some((kind, end, open, hit)) => {
                    unterminated = open;
                    guard_hit = hit;
                    (kind, end)
                }
                None => (TokenKind::Ident, ident_end(bytes, start + 1)),
            },
            C_DIGIT => {
                let mut end = start + 1;
                while end < bytes.len() && IDENT_CONTINUE[bytes[end] as usize] == 1 {
                    end += 1;
                }
                (TokenKind::Number, end)
            }
            C_HIGH => (TokenKind::Ident, ident_end(bytes, start)),
            C_QUOTE => self.quote(start),
            C_DQUOTE => {
                let (end, open, hit) = self.quoted(start, start + 1);
                unterminated = open;
                guard_hit = hit;
                (TokenKind::Str, end)
            }
            C_SLASH => match bytes.get(start + 1) {
                Some(b'/') => {
                    let mut end = memchr(b'\n', &bytes[start..]).map_or(bytes.len(), |n| start + n);
                    if end > start + 2 && bytes[end - 1] == b'\r' {
                        end -= 1;
                    }
                    let style = match bytes.get(start + 2) {
                        Some(b'/') if bytes.get(start + 3) != Some(&b'/') => CommentStyle::OuterDoc,
                        Some(b'!') => CommentStyle::InnerDoc,
                        _ => CommentStyle::Plain,
                    };
                    (TokenKind::LineComment(style), end)
                }
                Some(b'*') => {
                    let (end, open) = self.block_comment(start);
                    unterminated = open;
                    let style = match (bytes.get(start + 2), bytes.get(start + 3)) {
                        (Some(b'*'), Some(b'*' | b'/')) => CommentStyle::Plain,
                        (Some(b'*'), _) if end - start >= 5 => CommentStyle::OuterDoc,
                        (Some(b'!'), _) => CommentStyle::InnerDoc,
                        _ => CommentStyle::Plain,
                    };
                    (TokenKind::BlockComment(style), end)
                }
                _ => (TokenKind::Punct(b'/'), start + 1),
            },
            _ => (TokenKind::Punct(first), start + 1),
        };
        // Only strings and block comments can hold a line break; keep `line_start`
        // right for whatever follows them on their last line.
        if matches!(kind, TokenKind::Str | TokenKind::BlockComment(_)) {
            if let Some(n) = memrchr(b'\n', &bytes[start..end]) {
                self.line_start = start + n + 1;
            }
        }
        self.pos = end;
        Some(Token {
            kind,
            start,
            end,
            line_start,
            first_on_line,
            unterminated,
            guard_hit,
        })
    }

    /// Literals introduced by an identifier-like prefix: `b'x'`, `b"…"`, `c"…"`,
    /// `r"…"`, `r#"…"#`, `br#"…"#`, `cr"…"`, and the raw identifier `r#name`. Returns
    /// (kind, end, unterminated, guard hit), or `None` when `start` begins a plain
    /// identifier.
    fn prefixed_literal(&mut self, start: usize) -> Option<(TokenKind, usize, bool, bool)> {
        let bytes = self.bytes;
        match (bytes[start], bytes.get(start + 1)) {
            (b'b', Some(b'\'')) => self.byte_char(start),
            (b'b' | b'c', Some(b'"')) => {
                let (end, open, hit) = self.quoted(start, start + 2);
                Some((TokenKind::Str, end, open, hit))
            }
            (b'b' | b'c', Some(b'r')) => self
                .raw_string(start + 2)
                .map(|(end, open)| (TokenKind::Str, end, open, false)),
            (b'r', Some(b'"' | b'#')) => {
                if let Some((end, open)) = self.raw_string(start + 1) {
                    return Some((TokenKind::Str, end, open, false));
                }
                // `r#ident` is a raw identifier, not a raw string.
                if bytes.get(start + 1) == Some(&b'#') && is_ident_start(bytes, start + 2) {
                    return Some((TokenKind::Ident, ident_end(bytes, start + 2), false, false));
                }
                None
            }
            _ => None,
        }
    }

    /// A raw string whose `#`s (if any) start at `hashes_at`. `None` when the `#`s are
    /// not followed by a quote.
    fn raw_string(&self, hashes_at: usize) -> Option<(usize, bool)> {
        let bytes = self.bytes;
        let mut quote = hashes_at;
        while bytes.get(quote) == Some(&b'#') {
            quote += 1;
        }
        if bytes.get(quote) != Some(&b'"') {
            return None;
        }
        let hashes = quote - hashes_at;
        let mut pos = quote + 1;
        while let Some(n) = memchr(b'"', &bytes[pos..]) {
            let close = pos + n;
            let tail = close + 1;
            if bytes.len() >= tail + hashes && bytes[tail..tail + hashes].iter().all(|&c| c == b'#')
            {
                return Some((tail + hashes, false));
            }
            pos = close + 1;
        }
        Some((bytes.len(), true))
    }

    /// An ordinary (escaped) string whose content starts at `content`. Returns (end,
    /// unterminated, guard hit).
    fn quoted(&self, start: usize, content: usize) -> (usize, bool, bool) {
        let bytes = self.bytes;
        let mut pos = content;
        let mut mode = self.guard;
        let mut hit = false;
        // The guard's indentation limit, computed at the first line break only (looking
        // back for the line start at every break would be quadratic on long lines).
        let mut limit = None;
        loop {
            let rest = &bytes[pos.min(bytes.len())..];
            let found = if mode == GuardMode::Off {
                memchr2(b'"', b'\\', rest)
            } else {
                memchr3(b'"', b'\\', b'\n', rest)
            };
            let Some(n) = found else {
                return (bytes.len(), true, hit);
            };
            let at = pos + n;
            match bytes[at] {
                b'"' => return (at + 1, false, hit),
                b'\\' => {
                    // The escaped byte cannot close the string; a line continuation
                    // (`\` before a line break) still crosses a line.
                    if mode != GuardMode::Off
                        && bytes.get(at + 1) == Some(&b'\n')
                        && self.guard_line(
                            *limit.get_or_insert_with(|| self.guard_limit(start)),
                            at + 1,
                        )
                    {
                        hit = true;
                        if mode == GuardMode::Cut {
                            return (at, true, true);
                        }
                        mode = GuardMode::Off;
                    }
                    pos = at + 2;
                }
                _ => {
                    if self.guard_line(*limit.get_or_insert_with(|| self.guard_limit(start)), at) {
                        hit = true;
                        if mode == GuardMode::Cut {
                            return (at, true, true);
                        }
                        // One hit is enough to report; stop looking at lines.
                        mode = GuardMode::Off;
                    }
                    pos = at + 1;
                }
            }
        }
    }

    /// The indentation at or below which an item line stops a string that starts at
    /// `start`.
    fn guard_limit(&self, start: usize) -> usize {
        match self.guard_indent {
            Some(limit) => limit,
            None => {
                let line_start = memrchr(b'\n', &self.bytes[..start]).map_or(0, |n| n + 1);
                line_indent(self.bytes, line_start)
            }
        }
    }

    /// Is the line after the line break at `newline` an item line indented at most
    /// `limit`?
    fn guard_line(&self, limit: usize, newline: usize) -> bool {
        let bytes = self.bytes;
        let first = skip_blanks(bytes, newline + 1);
        let indent = first - (newline + 1);
        if indent > limit {
            return false;
        }
        // An outer doc comment at an item's indentation starts the next item too; the
        // string must stop before it so the item keeps its documentation.
        let rest = bytes.get(first..).unwrap_or_default();
        let doc = (rest.starts_with(b"///") && !rest.starts_with(b"////"))
            || (rest.starts_with(b"/**")
                && !rest.starts_with(b"/***")
                && !rest.starts_with(b"/**/"));
        doc || (item_keyword_at(bytes, first) && line_has_code_punct(bytes, first))
    }

    /// A block comment starting at `start` (`/*`), nested comments included. Returns
    /// (end, unterminated).
    fn block_comment(&self, start: usize) -> (usize, bool) {
        let bytes = self.bytes;
        let mut depth = 1usize;
        let mut pos = start + 2;
        while let Some(n) = memchr2(b'*', b'/', &bytes[pos.min(bytes.len())..]) {
            let at = pos + n;
            match (bytes[at], bytes.get(at + 1)) {
                (b'*', Some(b'/')) => {
                    depth -= 1;
                    pos = at + 2;
                    if depth == 0 {
                        return (pos, false);
                    }
                }
                (b'/', Some(b'*')) => {
                    depth += 1;
                    pos = at + 2;
                }
                _ => pos = at + 1,
            }
        }
        (bytes.len(), true)
    }

    /// What follows a `'`: a char literal (`'a'`, `'\''`, `'\u{1F600}'`), a lifetime or
    /// label (`'a`, `'static`, `'r#a`), or a lone quote.
    fn quote(&self, start: usize) -> (TokenKind, usize) {
        let bytes = self.bytes;
        let body = start + 1;
        match bytes.get(body) {
            None | Some(b'\n') => (TokenKind::Punct(b'\''), body),
            Some(b'\\') => (TokenKind::Char, self.escaped_char_end(body)),
            Some(&c) => {
                let after = body + utf8_len(c);
                if bytes.get(after) == Some(&b'\'') {
                    return (TokenKind::Char, after + 1);
                }
                if !is_ident_start(bytes, body) {
                    return (TokenKind::Punct(b'\''), body);
                }
                let name = if c == b'r'
                    && bytes.get(body + 1) == Some(&b'#')
                    && is_ident_start(bytes, body + 2)
                {
                    body + 2
                } else {
                    body
                };
                let end = ident_end(bytes, name);
                // `'ab'` is a (malformed) char literal to rustc, not a lifetime.
                if bytes.get(end) == Some(&b'\'') {
                    (TokenKind::Char, end + 1)
                } else {
                    (TokenKind::Lifetime, end)
                }
            }
        }
    }

    /// End of a char literal whose backslash is at `backslash`: skip the escaped char,
    /// then look a short way for the closing quote (`\u{10FFFF}` is the longest escape).
    fn escaped_char_end(&self, backslash: usize) -> usize {
        let bytes = self.bytes;
        let escaped = backslash + 1;
        let Some(&c) = bytes.get(escaped) else {
            return bytes.len();
        };
        if c == b'\n' {
            return escaped;
        }
        let after = escaped + utf8_len(c);
        let limit = (after + 12).min(bytes.len());
        let mut pos = after;
        while pos < limit && bytes[pos] != b'\'' && bytes[pos] != b'\n' {
            pos += 1;
        }
        if pos < bytes.len() && bytes[pos] == b'\'' {
            pos + 1
        } else {
            ceil_boundary(bytes, after.min(bytes.len()))
        }
    }

    /// `b'x'` or `b'\''`. `None` when the quote is not closed, so that `b` is scanned
    /// as an identifier and the quote on its own.
    fn byte_char(&self, start: usize) -> Option<(TokenKind, usize, bool, bool)> {
        let bytes = self.bytes;
        let body = start + 2;
        match bytes.get(body) {
            Some(b'\\') => Some((TokenKind::Char, self.escaped_char_end(body), false, false)),
            Some(&c) if c != b'\n' => {
                let after = body + utf8_len(c);
                (bytes.get(after) == Some(&b'\'')).then_some((
                    TokenKind::Char,
                    after + 1,
                    false,
                    false,
                ))
            }
            _ => None,
        }
    }
}

/// Bytes at which [`Lexer::next_in_brackets`] stops its tight loop: brackets, quotes,
/// `/` (a comment may start), line breaks (line starts are tracked) and non-ASCII bytes
/// (which may be whitespace). Everything else — identifiers, numbers, spaces, other
/// punctuation — is skipped a byte at a time without looking further.
const fn build_stops() -> [bool; 256] {
    let mut table = [false; 256];
    let mut i = 0;
    while i < 256 {
        let c = i as u8;
        table[i] = matches!(
            c,
            b'{' | b'}' | b'(' | b')' | b'[' | b']' | b'"' | b'\'' | b'/' | b'\n'
        ) || c >= 0x80;
        i += 1;
    }
    table
}

static STOPS: [bool; 256] = build_stops();

fn is_bracket(c: u8) -> bool {
    matches!(c, b'{' | b'}' | b'(' | b')' | b'[' | b']')
}

impl Lexer<'_> {
    /// The next token that can matter inside brackets: a bracket (`{`, `}`, `(`, `)`,
    /// `[`, `]`), a string, or a comment. Identifiers, numbers, lifetimes, char
    /// literals and other punctuation are skipped without being reported, which is
    /// what makes the segmenter fast: inside an item's braces (most of a file) it only
    /// needs to know where those braces close.
    ///
    /// The result is exactly the next such token of [`Lexer::next`]'s stream (same
    /// range, same `first_on_line` and `line_start`), so the two calls can be mixed
    /// freely.
    pub fn next_in_brackets(&mut self) -> Option<Token> {
        let bytes = self.bytes;
        loop {
            // `from` is a token boundary: the scanner stopped after a token there.
            let from = self.pos;
            let (line_at_from, newline_at_from) = (self.line_start, self.newline);
            let mut pos = from;
            // First non-blank byte of the latest line started within this stretch: a
            // token starting there is the first on its line.
            let mut line_code = if self.newline {
                Some(skip_blank_bytes(bytes, pos))
            } else {
                None
            };
            let stop = loop {
                while pos < bytes.len() && !STOPS[bytes[pos] as usize] {
                    pos += 1;
                }
                let Some(&c) = bytes.get(pos) else {
                    self.pos = bytes.len();
                    return None;
                };
                match c {
                    b'\n' => {
                        pos += 1;
                        self.line_start = pos;
                        pos = skip_blank_bytes(bytes, pos);
                        line_code = Some(pos);
                    }
                    b'/' if !matches!(bytes.get(pos + 1), Some(b'/' | b'*')) => pos += 1,
                    _ => break pos,
                }
            };
            let start = match bytes[stop] {
                b'"' | b'\'' => self.literal_start(from, stop),
                _ => Some(stop),
            };
            let tok = match start {
                Some(start) => {
                    self.newline = line_code == Some(start);
                    self.pos = start;
                    self.scan()?
                }
                None => {
                    // Only a forward scan from the last boundary can tell (`r#r"`):
                    // rewind and let the full scanner read up to the quote.
                    self.pos = from;
                    self.line_start = line_at_from;
                    self.newline = newline_at_from;
                    loop {
                        let tok = self.scan()?;
                        if tok.end > stop {
                            break tok;
                        }
                    }
                }
            };
            match tok.kind {
                TokenKind::Str | TokenKind::LineComment(_) | TokenKind::BlockComment(_) => {
                    return Some(tok)
                }
                TokenKind::Punct(c) if is_bracket(c) => return Some(tok),
                // A quote that began a char literal or a lifetime, a lone quote, a
                // non-ASCII identifier: skipped like the rest.
                _ => {}
            }
        }
    }

    /// Where the full scanner starts the token that holds the quote at `quote`, given
    /// that between `from` (a token boundary) and the quote there are only
    /// identifiers, numbers, whitespace and punctuation other than brackets. `None`
    /// when only a forward scan can tell.
    ///
    /// The quote starts its own token unless a literal prefix stands right before it:
    /// `b"`, `c"`, `r"`, `br"`, `cr"`, the raw forms with `#`s (`r#"`), or `b'`. A
    /// prefix is a whole word (letters and digits before it would make it another
    /// identifier or a number: `bar"`, `1r"`), and it starts a token unless a `#`
    /// precedes it, which may make it the tail of a raw identifier (`r#r"` is the
    /// identifier `r#r` and an ordinary string).
    fn literal_start(&self, from: usize, quote: usize) -> Option<usize> {
        let bytes = self.bytes;
        let mut hashes = quote;
        if bytes[quote] == b'"' {
            while hashes > from && bytes[hashes - 1] == b'#' {
                hashes -= 1;
            }
        }
        let mut word = hashes;
        while word > from && (bytes[word - 1].is_ascii_alphanumeric() || bytes[word - 1] == b'_') {
            word -= 1;
        }
        let prefix = &bytes[word..hashes];
        let is_prefix = if bytes[quote] == b'"' {
            matches!(prefix, b"r" | b"br" | b"cr")
                || (hashes == quote && matches!(prefix, b"b" | b"c"))
        } else {
            prefix == b"b"
        };
        if !is_prefix {
            // Whatever the words and `#`s before it are, they end before the quote.
            return Some(quote);
        }
        if word > from && bytes[word - 1] == b'#' {
            return None;
        }
        Some(word)
    }
}

/// Skips spaces, tabs and other horizontal ASCII whitespace.
#[inline(always)]
fn skip_blank_bytes(bytes: &[u8], pos: usize) -> usize {
    let mut pos = skip_spaces(bytes, pos);
    while bytes.get(pos).is_some_and(|&c| CLASS[c as usize] == C_WS) {
        pos = skip_spaces(bytes, pos + 1);
    }
    pos
}

impl Iterator for Lexer<'_> {
    type Item = Token;

    #[inline]
    fn next(&mut self) -> Option<Token> {
        self.scan()
    }
}

/// The range of a shebang line (`#!/usr/bin/env …`) at the start of the text (after a
/// byte order mark), without its line break. As for rustc, `#!` followed by `[` (after
/// whitespace) is an inner attribute instead.
pub fn shebang(text: &str) -> Option<std::ops::Range<usize>> {
    let bytes = text.as_bytes();
    let start = if bytes.starts_with(b"\xEF\xBB\xBF") {
        3
    } else {
        0
    };
    if bytes.get(start..start + 2) != Some(b"#!") {
        return None;
    }
    let mut after = start + 2;
    while bytes
        .get(after)
        .is_some_and(|&c| matches!(CLASS[c as usize], C_WS | C_NL))
    {
        after += 1;
    }
    if bytes.get(after) == Some(&b'[') {
        return None;
    }
    let mut end = memchr(b'\n', &bytes[start..]).map_or(bytes.len(), |n| start + n);
    if end > start && bytes[end - 1] == b'\r' {
        end -= 1;
    }
    Some(start..end)
}

/// True when every `(`, `[` and `{` in the text is closed by the matching delimiter,
/// no closing delimiter is unmatched, and no string or block comment is left open. A
/// shebang line is not code.
pub fn delimiters_balance(text: &str) -> bool {
    let mut stack: Vec<u8> = Vec::new();
    let lexer = match shebang(text) {
        Some(line) => Lexer::at(text, line.end),
        None => Lexer::new(text),
    };
    for tok in lexer {
        if tok.unterminated {
            return false;
        }
        match tok.punct() {
            c @ (b'(' | b'[' | b'{') => stack.push(c),
            c @ (b')' | b']' | b'}') => {
                let open = match c {
                    b')' => b'(',
                    b']' => b'[',
                    _ => b'{',
                };
                if stack.pop() != Some(open) {
                    return false;
                }
            }
            _ => {}
        }
    }
    stack.is_empty()
}

/// Keywords that make syn recurse into what follows without a bracket: `return return
/// x`, `&mut &mut T`, `*const *const T`, `else if … else if …`, `move || move || x`.
fn is_prefix_keyword(word: &[u8]) -> bool {
    matches!(
        word,
        b"return"
            | b"break"
            | b"else"
            | b"move"
            | b"box"
            | b"yield"
            | b"dyn"
            | b"impl"
            | b"mut"
            | b"const"
            | b"ref"
            | b"raw"
            | b"static"
            | b"async"
            | b"become"
    )
}

fn saturate(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

/// Maximum nesting depth of the text as the parser would see it: the deepest stack of
/// open (), [], {} — plus runs that make syn recurse without brackets: a run of
/// consecutive prefix operators (`!`, `-`, `*`, `&`) and nested generic angle brackets
/// `<` counted as depth. Over-estimating is fine; under-estimating is not (it is used
/// to refuse items that would overflow syn's stack). Must handle a million levels
/// without recursion.
///
/// Besides brackets, each bracket level keeps two counters that add to the depth of
/// everything inside it:
/// - angles: `<` and `->` add one, `>` takes one away; reset at `;` and after a block
///   closes. Commas do not reset it: `A<B, C<D, E<F>>>` nests.
/// - prefix: `!`, `-`, `*`, `&`, `|`, `..` and keywords such as `return`, `mut`,
///   `else` add one; reset at `,`, `;` and `=>`. Binary uses of the same operators
///   over-count, which is the safe direction.
pub fn nesting_depth(text: &str) -> usize {
    let bytes = text.as_bytes();
    // Counters of the enclosing levels, restored when a bracket closes. The depth at
    // which the inner level starts is recomputed from them, so only two numbers are
    // kept per level (8 bytes: a million levels cost 8 MB).
    let mut outer: Vec<(u32, u32)> = Vec::new();
    let mut base = 0usize;
    let mut angle = 0usize;
    let mut prefix = 0usize;
    let mut max = 0usize;
    for tok in Lexer::new(text) {
        match tok.kind {
            TokenKind::Punct(c) => match c {
                b'(' | b'[' | b'{' => {
                    outer.push((saturate(angle), saturate(prefix)));
                    base = base
                        .saturating_add(1)
                        .saturating_add(angle)
                        .saturating_add(prefix);
                    angle = 0;
                    prefix = 0;
                }
                b')' | b']' | b'}' => {
                    if let Some((a, p)) = outer.pop() {
                        angle = a as usize;
                        prefix = p as usize;
                        base = base.saturating_sub(1 + angle + prefix);
                        if c == b'}' {
                            // A block ended a statement-like construct: generic
                            // brackets before it are closed by now.
                            angle = 0;
                        }
                    }
                }
                b';' => {
                    angle = 0;
                    prefix = 0;
                }
                b',' => prefix = 0,
                b'<' => angle += 1,
                b'>' => match tok.start.checked_sub(1).and_then(|p| bytes.get(p)) {
                    Some(b'-') => {}
                    Some(b'=') => prefix = 0,
                    _ => angle = angle.saturating_sub(1),
                },
                b'-' => {
                    if bytes.get(tok.end) == Some(&b'>') {
                        angle += 1;
                    } else {
                        prefix += 1;
                    }
                }
                b'!' | b'*' | b'&' | b'|' => prefix += 1,
                // `..` (a range prefix); a lone `.` is a method call or field.
                b'.' if bytes.get(tok.end) == Some(&b'.') => prefix += 1,
                _ => {}
            },
            TokenKind::Ident if is_prefix_keyword(&bytes[tok.start..tok.end]) => prefix += 1,
            _ => {}
        }
        max = max.max(base.saturating_add(angle).saturating_add(prefix));
    }
    max
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// Tokens `next_in_brackets` reports.
    fn reported(tok: &Token) -> bool {
        matches!(
            tok.kind,
            TokenKind::Str | TokenKind::LineComment(_) | TokenKind::BlockComment(_)
        ) || is_bracket(tok.punct())
    }

    /// Pieces that stress literal prefixes, raw identifiers, quotes, line starts and
    /// non-ASCII whitespace.
    const PIECES: &[&str] = &[
        "r#r\"",
        "r#",
        "r",
        "br",
        "cr",
        "b",
        "c",
        "x",
        "1",
        "1r",
        "_",
        "é",
        "r#é",
        "#",
        "##",
        "\"#",
        "x#\"",
        "'",
        "'a",
        "'r#a",
        "b'",
        "b'x'",
        "'\\''",
        "\"",
        "\\",
        "\n",
        "  ",
        "\t",
        "\r\n",
        "/",
        "//",
        "/*",
        "*/",
        "/**",
        "{",
        "}",
        "(",
        ")",
        "[",
        "]",
        ";",
        ".",
        "\u{2028}",
        "\u{85}",
        "fn",
        "\nfn x() {",
        "\n}",
        "©",
    ];

    proptest! {
        #![proptest_config(ProptestConfig { cases: 4000, ..ProptestConfig::default() })]

        /// `next_in_brackets` reports exactly the next bracket, string or comment of
        /// the full token stream, whatever mix of the two calls came before.
        #[test]
        fn next_in_brackets_agrees_with_next(
            pieces in prop::collection::vec(prop::sample::select(PIECES), 0..60),
            choices in prop::collection::vec(any::<bool>(), 1..40),
            guard in prop::sample::select(vec![GuardMode::Off, GuardMode::Detect, GuardMode::Cut]),
            indent in prop::option::of(0usize..6),
        ) {
            let text = pieces.concat();
            let make = || {
                let mut lexer = Lexer::new(&text);
                lexer.set_guard(guard);
                lexer.set_guard_indent(indent);
                lexer
            };
            let full: Vec<Token> = make().collect();
            let mut lexer = make();
            let mut at = 0;
            for &plain in choices.iter().cycle().take(full.len() + 2) {
                if plain {
                    prop_assert_eq!(lexer.next(), full.get(at).copied());
                    at += 1;
                } else {
                    let expected = full.iter().skip(at).position(reported).map(|n| at + n);
                    prop_assert_eq!(lexer.next_in_brackets(), expected.map(|n| full[n]), "at token {}", at);
                    at = expected.map_or(full.len(), |n| n + 1);
                }
            }
        }
    }

    fn kinds(text: &str) -> Vec<(TokenKind, &str)> {
        Lexer::new(text)
            .map(|t| (t.kind, &text[t.start..t.end]))
            .collect()
    }

    fn puncts(text: &str) -> String {
        Lexer::new(text)
            .filter_map(|t| (t.punct() != 0).then_some(t.punct() as char))
            .collect()
    }

    #[test]
    fn braces_in_strings_are_not_braces() {
        assert_eq!(puncts(r#"{ "}" }"#), "{}");
        assert_eq!(puncts(r#"{ "a\"}" }"#), "{}");
        assert_eq!(puncts(r#"{ "a\\" } "#), "{}");
        assert_eq!(puncts(r#"{ b"}" c"}" }"#), "{}");
    }

    #[test]
    fn raw_strings() {
        assert_eq!(
            puncts(r####"{ r"}\" }"####),
            "{}",
            "no escapes in raw strings"
        );
        assert_eq!(puncts(r####"{ r#"}"# }"####), "{}");
        assert_eq!(puncts(r####"{ r##"}"#}"## }"####), "{}");
        assert_eq!(puncts(r####"{ br#"}"# cr#"}"# }"####), "{}");
        let toks = kinds(r####"r###"a"##"b"###"####);
        assert_eq!(toks, vec![(TokenKind::Str, r####"r###"a"##"b"###"####)]);
    }

    #[test]
    fn raw_identifier_is_not_a_raw_string() {
        let toks = kinds(r#"r#fn { "x" }"#);
        assert_eq!(toks[0], (TokenKind::Ident, "r#fn"));
        assert_eq!(toks[1], (TokenKind::Punct(b'{'), "{"));
        assert_eq!(toks[2], (TokenKind::Str, "\"x\""));
        // `r#` followed by neither a quote nor an identifier is just `r` and `#`.
        assert_eq!(kinds("r# {")[0], (TokenKind::Ident, "r"));
    }

    #[test]
    fn char_literals_and_lifetimes() {
        assert_eq!(puncts("{ '}' }"), "{}");
        assert_eq!(puncts("{ '{' }"), "{}");
        assert_eq!(puncts(r"{ '\'' '}' }"), "{}");
        assert_eq!(puncts(r"{ '\\' '}' }"), "{}");
        assert_eq!(puncts(r"{ '\u{1F600}' '}' }"), "{}");
        assert_eq!(puncts("{ b'{' b'}' }"), "{}");
        assert_eq!(puncts(r"{ b'\'' '}' }"), "{}");
        assert_eq!(puncts("{ '😀' 'é' }"), "{}");
        assert_eq!(kinds("'a'")[0].0, TokenKind::Char);
        assert_eq!(kinds("'a")[0].0, TokenKind::Lifetime);
        assert_eq!(kinds("'static")[0], (TokenKind::Lifetime, "'static"));
        assert_eq!(kinds("'_ ")[0], (TokenKind::Lifetime, "'_"));
        assert_eq!(kinds("'r#a")[0], (TokenKind::Lifetime, "'r#a"));
    }

    #[test]
    fn lifetimes_next_to_braces() {
        // If `'a` were taken for the start of a char literal, `'a>(x: &'a` would hide
        // a brace or a quote.
        let text = "fn f<'a>(x: &'a str) -> &'a str {'outer: loop { break 'outer; } x }";
        assert_eq!(puncts(text), "<>(:&)->&{:{;}}");
        let text = "impl<'a> X<'a> {}";
        assert_eq!(puncts(text), "<><>{}");
        let lifetimes: Vec<_> = kinds("struct S<'a, 'b: 'a>{x:&'a u8}")
            .into_iter()
            .filter(|t| t.0 == TokenKind::Lifetime)
            .collect();
        assert_eq!(lifetimes.len(), 4);
    }

    #[test]
    fn comments_nest_and_classify() {
        assert_eq!(puncts("{ /* } /* } */ } */ }"), "{}");
        assert_eq!(puncts("{ // }\n }"), "{}");
        assert_eq!(puncts("{ /* \" */ }"), "{}");
        assert_eq!(puncts("{ // \"\n }"), "{}");
        let styles: Vec<_> =
            kinds("/// a\n//! b\n//// c\n// d\n/** e */\n/*! f */\n/*** g */\n/**/\n")
                .into_iter()
                .map(|t| t.0)
                .collect();
        use CommentStyle::*;
        assert_eq!(
            styles,
            vec![
                TokenKind::LineComment(OuterDoc),
                TokenKind::LineComment(InnerDoc),
                TokenKind::LineComment(Plain),
                TokenKind::LineComment(Plain),
                TokenKind::BlockComment(OuterDoc),
                TokenKind::BlockComment(InnerDoc),
                TokenKind::BlockComment(Plain),
                TokenKind::BlockComment(Plain),
            ]
        );
    }

    #[test]
    fn line_comment_excludes_line_break() {
        let text = "// a\r\nfn";
        let toks: Vec<_> = Lexer::new(text).collect();
        assert_eq!(&text[toks[0].start..toks[0].end], "// a");
        assert!(toks[1].first_on_line);
    }

    #[test]
    fn unclosed_block_comment_runs_to_the_end() {
        let text = "fn a() {} /* fn b() {} /* */ fn c() {}";
        let toks: Vec<_> = Lexer::new(text).collect();
        let last = toks.last().copied();
        assert_eq!(
            last.map(|t| (t.kind, t.end, t.unterminated)),
            Some((
                TokenKind::BlockComment(CommentStyle::Plain),
                text.len(),
                true
            ))
        );
        assert_eq!(puncts(text), "(){}");
    }

    #[test]
    fn unterminated_string_runs_to_the_end() {
        let text = "x = \"abc\n}\n";
        let toks: Vec<_> = Lexer::new(text).collect();
        assert_eq!(toks.len(), 3);
        assert!(toks[2].unterminated);
        assert_eq!(toks[2].end, text.len());
    }

    #[test]
    fn line_starts_and_first_on_line() {
        let text = "a /* x\n y */ b\n  c \"s\nt\" d";
        let toks: Vec<_> = Lexer::new(text).collect();
        let b = toks[2];
        assert_eq!(&text[b.start..b.end], "b");
        assert!(!b.first_on_line);
        assert_eq!(
            b.line_start,
            text.find(" y */").unwrap_or_default(),
            "b is on the comment's last line"
        );
        let c = toks[3];
        assert!(c.first_on_line);
        assert_eq!(c.indent(), Some(2));
        let d = toks[5];
        assert_eq!(&text[d.start..d.end], "d");
        assert!(!d.first_on_line);
        assert_eq!(&text[d.line_start..], "t\" d");
    }

    #[test]
    fn string_guard_cuts_before_an_item_line() {
        let text = "fn a() { let s = \"oops;\n}\n\nfn b() { \"x\" }\n";
        let mut lexer = Lexer::new(text);
        lexer.set_guard(GuardMode::Cut);
        lexer.set_guard_indent(Some(0));
        let toks: Vec<_> = lexer.collect();
        let s = toks.iter().find(|t| t.kind == TokenKind::Str).copied();
        assert_eq!(s.map(|t| &text[t.start..t.end]), Some("\"oops;\n}\n"));
        assert!(s.is_some_and(|t| t.unterminated && t.guard_hit));
        // `fn b` is scanned as code again, so its string is a string.
        assert!(toks
            .iter()
            .any(|t| t.kind == TokenKind::Str && &text[t.start..t.end] == "\"x\""));

        let mut lexer = Lexer::new(text);
        lexer.set_guard(GuardMode::Detect);
        lexer.set_guard_indent(Some(0));
        let s = lexer.find(|t| t.kind == TokenKind::Str);
        assert!(s.is_some_and(|t| t.guard_hit
            && !t.unterminated
            && &text[t.start..t.end] == "\"oops;\n}\n\nfn b() { \""));
    }

    #[test]
    fn string_guard_ignores_deeper_lines_prose_and_raw_strings() {
        let mut lexer = Lexer::new("\"a\n    fn x() {}\nuse the force\n\" r\"\nfn y() {}\n\"");
        lexer.set_guard(GuardMode::Cut);
        lexer.set_guard_indent(Some(0));
        let toks: Vec<_> = lexer.collect();
        assert_eq!(toks.len(), 2);
        assert!(toks.iter().all(|t| !t.unterminated && !t.guard_hit));
    }

    #[test]
    fn item_keywords() {
        for yes in [
            "fn x",
            "pub(crate) x",
            "#[test]",
            "# [x]",
            "#![x]",
            "lazy_static! {",
            "a::b!(x)",
            "m![",
            "macro_rules! m",
            "impl X",
            "use a;",
            "const X: u8",
            "static X: u8",
            "async fn x",
            "unsafe impl",
            "extern \"C\"",
            "macro_rules! x",
            "struct S",
            "mod m",
            "type T",
        ] {
            assert!(item_keyword_at(yes.as_bytes(), 0), "{yes}");
        }
        for no in [
            "fnord",
            "fn(u8)",
            "const { 1 }",
            "static || 1",
            "async move {}",
            "unsafe { x }",
            "let x",
            "structure",
            "type",
            "Pub",
            "r#fn",
            "union.x",
            "x",
            "x != y",
            "x!",
            "a::b",
            "#!x",
        ] {
            assert!(!item_keyword_at(no.as_bytes(), 0), "{no}");
        }
    }

    #[test]
    fn numbers_and_punct() {
        assert_eq!(
            kinds("1.0e5u8"),
            vec![
                (TokenKind::Number, "1"),
                (TokenKind::Punct(b'.'), "."),
                (TokenKind::Number, "0e5u8")
            ]
        );
        assert_eq!(kinds("0x1F_u32"), vec![(TokenKind::Number, "0x1F_u32")]);
    }

    #[test]
    fn unicode_whitespace_and_bom() {
        let text = "\u{feff}fn\u{2028}x\u{85}y";
        let toks: Vec<_> = Lexer::new(text).map(|t| &text[t.start..t.end]).collect();
        assert_eq!(toks, vec!["fn", "x", "y"]);
    }

    #[test]
    fn lexer_at_offset() {
        let text = "fn a() {}\n    fn b() {}";
        let offset = text.find("fn b").unwrap_or_default();
        let tok = Lexer::at(text, offset).next();
        assert!(tok.is_some_and(|t| t.first_on_line && t.indent() == Some(4)));
        let tok = Lexer::at(text, text.find("b()").unwrap_or_default()).next();
        assert!(tok.is_some_and(|t| !t.first_on_line));
    }

    #[test]
    fn balance() {
        assert!(delimiters_balance("fn a() { [(1)] } \"}\" '}' /* { */"));
        assert!(!delimiters_balance("fn a() { (] }"));
        assert!(!delimiters_balance("fn a() {"));
        assert!(!delimiters_balance("}"));
        assert!(!delimiters_balance("\"abc"));
        assert!(!delimiters_balance("/* abc"));
    }

    #[test]
    fn nesting_depth_counts_brackets_and_runs() {
        assert_eq!(nesting_depth(""), 0);
        assert!(nesting_depth("fn a() { (1) }") >= 2);
        assert!(nesting_depth("x = ((((1))));") >= 4);
        assert!(nesting_depth("!!!!!!!!!!x") >= 10);
        assert!(nesting_depth("- - - - - x") >= 5);
        assert!(nesting_depth("&&&&&&x") >= 6);
        assert!(nesting_depth("type T = A<B<C<D<E>>>>;") >= 4);
        assert!(nesting_depth("type T = A<B, C<D, E<F, G>>>;") >= 3);
        assert!(nesting_depth("!!!!(!!!!(x))") >= 10);
        // Brackets inside strings and comments do not count.
        assert_eq!(nesting_depth("\"((((\" /* [[[[ */ '('"), 0);
        // Statements reset the runs.
        assert!(nesting_depth("fn f() { a < b; c < d; e < f; g < h; }") <= 3);
    }

    #[test]
    fn nesting_depth_million_levels() {
        let n = 1_000_000;
        for (open, close) in [
            ("(", ")"),
            ("[", "]"),
            ("{", "}"),
            ("!", ""),
            ("<", ""),
            ("-", ""),
            ("*", ""),
            ("&", ""),
        ] {
            let text = format!("{}{}", open.repeat(n), close.repeat(n));
            let depth = nesting_depth(&text);
            assert!(depth >= n, "{open}: {depth}");
            assert!(depth <= 2 * n + 2, "{open}: {depth}");
        }
        let text = "{[(".repeat(n / 3);
        assert!(nesting_depth(&text) >= 3 * (n / 3));
        let text = "!(".repeat(n / 2);
        assert!(nesting_depth(&text) >= n);
    }
}
