//! Splitting a Rust file into items that can be parsed one by one.
//!
//! precept parses and checks each item on its own so that an edit re-checks only the
//! item it touched, and so that a file the user is in the middle of typing still gets
//! findings everywhere except where it is broken. [`segment`] finds the items with one
//! pass of the scanner in [`crate::lex`] (comments, strings, char literals and
//! lifetimes are understood, so a `}` in a string is not a brace).
//!
//! Inline `mod name { … }` and `impl … { … }` blocks are split further into the items
//! they hold, recursively for modules; everything else (functions, traits, macro
//! invocations, stray tokens) is a single [`SegmentKind::Item`].
//!
//! Two modes, chosen by whether the file's delimiters balance:
//! - Balanced: items are split exactly where the brackets say. Item-like lines inside
//!   macro bodies (`pin_project! { pub struct X { … } }`) cannot cause a split. The one
//!   extra rule is that an item with nothing open (no bracket) ends when a new line at
//!   its indentation starts another item, so a half-typed `fn ` or `use a::b` with no
//!   `;` does not swallow the item after it. On the 5,687 files of a crates.io corpus
//!   that syn parses, every segment parses to exactly the item whole-file parsing gives.
//! - Unbalanced: from the first top-level item where something looked wrong (the one
//!   open when the brackets failed, or an earlier one whose `}` sat where formatted
//!   code never puts it), the scanner resynchronises on formatting, as a reader would:
//!   a line at an item's indentation that starts an item (see
//!   [`lex::item_keyword_at`]) begins a new one even inside open braces; a line
//!   holding only `}` at the item's indentation closes it, one further left ends it,
//!   one deeper that would close it is taken for an extra brace; brackets cannot hold
//!   an item open past its braces; an ordinary string that runs onto such a line is
//!   cut there; a block's `}` that is not on its own line at the block's indentation is
//!   a stray. An unbalanced `{`, a missing `}`, a half-typed call or an unterminated
//!   string in one function therefore leaves the text of every other item unchanged,
//!   and with it their findings.
//!
//! Two refinements keep valid code exact while another item is broken. A string that
//! crossed an item line may be a runaway (a typed quote) or an innocent string holding
//! code; both readings are tried and the one with fewer multi-line strings wins (the
//! wrong parity turns the code between literals into multi-line "strings"). The same
//! test applies when the delimiters balance only because a runaway string happened to
//! close at a later quote. And a macro invocation whose body is written flush with it
//! (`cfg_x! {` / `pub fn a() {` / `}` / `}`, which rustfmt leaves alone) is only ended
//! by lines further left.
//!
//! What recovery cannot do: an unclosed `/*` or raw string really does swallow the
//! rest of the file (rustc agrees), and code that is not indented at all (bindgen
//! output) gives the indentation rules nothing to go on.
//!
//! The segmenter never recurses on the input (container nesting is capped at
//! [`MAX_CONTAINER_DEPTH`], beyond which a `mod` is an ordinary item) and never panics.

use std::ops::Range;

use crate::lex::{self, CommentStyle, GuardMode, Lexer, Token, TokenKind};

/// Inline `mod`/`impl` blocks nested deeper than this are not split further: the whole
/// block is one item (which the parser then refuses as too deep). Keeps the segment
/// tree shallow enough that dropping, cloning or printing it cannot overflow the stack.
pub const MAX_CONTAINER_DEPTH: usize = 128;

/// The items of a file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Segmentation {
    /// Top-level segments in file order, non-overlapping.
    pub segments: Vec<Segment>,
    /// Byte ranges of every comment in the file (line comments without the trailing
    /// newline, block comments whole, doc comments included), in order.
    pub comments: Vec<Range<usize>>,
    /// True when every delimiter in the file balances (one lexer pass decides).
    pub balanced: bool,
}

/// One item, inner attribute, or container of items.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Segment {
    /// Byte range of the item: from its first outer attribute (`#[..]`) or doc comment
    /// (`///`, `/** */`) — or its first token if it has none — to the end of the item
    /// (the closing `}` or `;` inclusive). Ordinary `//` comments before an item are
    /// NOT part of it.
    pub range: Range<usize>,
    pub kind: SegmentKind,
}

/// What a [`Segment`] holds.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SegmentKind {
    /// An inner attribute `#![...]` or inner doc comment `//!` at file/module level: its
    /// own segment.
    InnerAttr,
    /// An item parsed as a whole (fn, struct, enum, use, const, static, type, trait,
    /// macro_rules!, macro invocation `foo! { }` / `foo!(...);`, extern block, union,
    /// mod without body `mod x;`, and any other piece of text between items).
    Item,
    /// An inline `mod name { ... }` or `impl ... { ... }` block whose body is split
    /// further.
    Container(Container),
}

/// An inline module or impl block, split into its items.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Container {
    pub kind: ContainerKind,
    /// From the segment start through the opening `{` inclusive. `header text + "}"`
    /// parses as an empty mod/impl item.
    pub header: Range<usize>,
    /// The segments inside the braces (same rules, recursively: a mod inside a mod is a
    /// Container; items inside an impl are Items — fns, consts, types, macro
    /// invocations).
    pub children: Vec<Segment>,
    /// The closing `}`. Empty when it is missing: at the end of the text when the block
    /// runs to the end of the file, or at the end of the block's last item when
    /// resynchronisation ended the block (a line starting an item at or below the
    /// block's own indentation).
    pub close: Range<usize>,
}

/// Which kind of block a [`Container`] is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ContainerKind {
    Mod,
    Impl,
}

impl Segment {
    /// The segment's text (empty if the range does not fit `text`).
    pub fn text<'t>(&self, text: &'t str) -> &'t str {
        text.get(self.range.clone()).unwrap_or_default()
    }

    /// The container's children, or nothing for other segments.
    pub fn children(&self) -> &[Segment] {
        match &self.kind {
            SegmentKind::Container(container) => &container.children,
            _ => &[],
        }
    }
}

impl Segmentation {
    /// Every segment, containers before their children, in file order, with its depth
    /// (0 for top-level segments). Iterative, so deep trees are fine.
    pub fn walk(&self) -> Walk<'_> {
        Walk {
            stack: vec![self.segments.iter()],
        }
    }
}

/// Iterator returned by [`Segmentation::walk`].
#[derive(Clone, Debug)]
pub struct Walk<'s> {
    stack: Vec<std::slice::Iter<'s, Segment>>,
}

impl<'s> Iterator for Walk<'s> {
    type Item = (usize, &'s Segment);

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            let depth = self.stack.len().checked_sub(1)?;
            match self.stack.last_mut().and_then(Iterator::next) {
                Some(segment) => {
                    if let SegmentKind::Container(container) = &segment.kind {
                        self.stack.push(container.children.iter());
                    }
                    return Some((depth, segment));
                }
                None => {
                    self.stack.pop();
                }
            }
        }
    }
}

/// Splits `text` into top-level segments (see the module documentation).
pub fn segment(text: &str) -> Segmentation {
    segment_with(text, true)
}

/// [`segment`], optionally without the scanner's fast path inside brackets (the
/// tests check that both give the same answer).
fn segment_with(text: &str, skip_in_brackets: bool) -> Segmentation {
    let mut exact = Engine::new(text, false);
    exact.skip_in_brackets = skip_in_brackets;
    exact.prelude();
    match exact.run() {
        Ok(()) => {
            // Balanced, but a string ran across a line that starts an item: either a
            // string that really holds code (a test fixture), or a quote typed in one
            // function whose runaway string happens to close at a quote further on
            // (the opening quote of the next literal, an escaped `\"`, a `'"'`),
            // hiding whole items. Recovery tells them apart by counting multi-line
            // strings: read with the wrong parity, the code between literals becomes
            // multi-line "strings", so the right reading has fewer. Cutting a real
            // fixture flips the parity after it and adds some; cutting a runaway
            // restores it and removes some. Ties go to recovery (the runaway that
            // closes inside `'"'` flips nothing after it).
            if let Some(restart) = exact.first_guard_hit {
                let before = exact
                    .multiline
                    .iter()
                    .filter(|&&start| start >= restart)
                    .count();
                let (segments, comments) = exact.into_parts();
                let recovered = recover_from(text, restart, segments.clone(), comments.clone());
                if recovered.multiline.len() <= before && !recovered.unterminated {
                    let (segments, comments) = recovered.into_parts();
                    return Segmentation {
                        segments,
                        comments,
                        balanced: true,
                    };
                }
                return Segmentation {
                    segments,
                    comments,
                    balanced: true,
                };
            }
            let (segments, comments) = exact.into_parts();
            Segmentation {
                segments,
                comments,
                balanced: true,
            }
        }
        Err(restart) => {
            // A string that crossed an item line before the trouble was found may be
            // where it began (a quote typed there) or an innocent string holding code.
            // Try both restart points and keep the reading with fewer multi-line
            // strings, as above.
            let guard = exact.first_guard_hit.filter(|&g| g < restart);
            let between = guard.map_or(0, |g| {
                exact
                    .multiline
                    .iter()
                    .filter(|&&m| m >= g && m < restart)
                    .count()
            });
            let (segments, comments) = exact.into_parts();
            let chosen = match guard {
                Some(early_start) => {
                    let late = recover_from(text, restart, segments.clone(), comments.clone());
                    let early = recover_from(text, early_start, segments, comments);
                    let cost = |engine: &Engine<'_>, extra: usize| {
                        (engine.unterminated, engine.multiline.len() + extra)
                    };
                    if cost(&early, 0) < cost(&late, between) {
                        early
                    } else {
                        late
                    }
                }
                None => recover_from(text, restart, segments, comments),
            };
            let (segments, comments) = chosen.into_parts();
            Segmentation {
                segments,
                comments,
                balanced: false,
            }
        }
    }
}

/// Runs the recovering pass from `restart` (the start of a top-level segment), keeping
/// what the exact pass found before it: that is what the recovering pass would find
/// there too, minus any chance of a false resynchronisation.
fn recover_from<'a>(
    text: &'a str,
    restart: usize,
    mut segments: Vec<Segment>,
    mut comments: Vec<Range<usize>>,
) -> Engine<'a> {
    segments.retain(|s| s.range.start < restart);
    comments.retain(|c| c.start < restart);
    let mut recover = Engine::new(text, true);
    recover.lx = Lexer::at(text, restart);
    recover.lx.set_guard(GuardMode::Cut);
    recover.comments = comments;
    if let Some(top) = recover.frames.first_mut() {
        top.children = segments;
    }
    // The recovering pass reports no failures; if it ever did, what it has collected
    // is still the best answer.
    let _ = recover.run();
    recover
}

/// Splits one segment's range again at the lines inside it that start an item at or
/// below the indentation of the segment's first line (doc comments just above such a
/// line go with it). For an item that does not parse: whatever follows a broken piece
/// on its own lines may still parse. Returns the pieces in order (the whole range when
/// there is nothing to split), each from its first token or doc comment to its last
/// token.
pub fn resplit(text: &str, range: Range<usize>) -> Vec<Range<usize>> {
    let bytes = text.as_bytes();
    let end = range.end.min(bytes.len());
    let start = range.start.min(end);
    let line_start = memchr::memrchr(b'\n', &bytes[..start]).map_or(0, |n| n + 1);
    let indent = lex::line_indent(bytes, line_start);
    let mut pieces = Vec::new();
    let mut current: Option<usize> = None;
    let mut doc: Option<usize> = None;
    let mut last_end = start;
    for tok in Lexer::at(text, start) {
        if tok.start >= end {
            break;
        }
        if tok.kind.is_comment() {
            if current.is_none() {
                current = Some(tok.start);
            } else if tok.kind == TokenKind::LineComment(CommentStyle::OuterDoc)
                || tok.kind == TokenKind::BlockComment(CommentStyle::OuterDoc)
            {
                doc.get_or_insert(tok.start);
            }
            continue;
        }
        match current {
            None => current = Some(tok.start),
            Some(piece) => {
                let starts_item = tok.first_on_line
                    && last_end > piece
                    && tok.start - tok.line_start <= indent
                    && lex::item_keyword_at(bytes, tok.start);
                if starts_item {
                    pieces.push(piece..last_end);
                    current = Some(doc.unwrap_or(tok.start));
                }
            }
        }
        doc = None;
        last_end = tok.end.min(end);
    }
    if let Some(piece) = current {
        if last_end > piece {
            pieces.push(piece..last_end);
        }
    }
    if pieces.is_empty() && start < end {
        pieces.push(start..end);
    }
    pieces
}

/// A run of outer doc comments waiting for the item they document.
#[derive(Clone, Copy, Debug)]
struct Doc {
    start: usize,
    end: usize,
    indent: usize,
}

/// The file, or an open container whose children are being collected.
#[derive(Debug)]
struct Frame {
    /// Kind, segment start and header end of a container; `None` for the file.
    container: Option<(ContainerKind, usize, usize)>,
    /// Indentation of the container's first line.
    indent: usize,
    /// Indentation of its first child, once known. Resynchronising on the container's
    /// own indentation only makes sense when children are indented deeper.
    child_indent: Option<usize>,
    children: Vec<Segment>,
    /// End of the last child (or of the header).
    last_end: usize,
    /// The last child is a run of stray `;` or `}`, which the next one joins.
    stray_run: bool,
}

impl Frame {
    fn file() -> Self {
        Frame {
            container: None,
            indent: 0,
            child_indent: None,
            children: Vec::new(),
            last_end: 0,
            stray_run: false,
        }
    }

    fn indented_children(&self) -> bool {
        self.child_indent.is_some_and(|child| child > self.indent)
    }
}

/// The token just before, as far as recognising attributes and visibility goes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Prev {
    Other,
    /// An identifier outside brackets after the item's keyword (a macro's name).
    Word,
    Hash,
    HashBang,
    Pub,
    Extern,
}

/// The item being collected.
#[derive(Debug)]
struct Item {
    start: usize,
    /// Indentation of the line the item starts on.
    indent: usize,
    /// End of the item's last token so far.
    last_end: usize,
    tokens: usize,
    /// Open `{` inside the item (also counted in the engine's delimiter stack).
    braces: usize,
    /// `#![…]`: an inner attribute.
    inner_attr: bool,
    /// The item's first token is a `#` at its very start (could become `#![`).
    hash_first: bool,
    /// `use`, `const`, `static`, `type`: ends at `;`, even after a `}`.
    semi: bool,
    /// Seen the token that says what the item is (past attributes, visibility and
    /// qualifiers such as `unsafe`, `async`, `extern "C"`).
    main_seen: bool,
    candidate: Option<ContainerKind>,
    /// Generic angle brackets open in the header, outside any bracket: a `{` inside
    /// them is a const argument, not the body.
    angle: usize,
    /// The bottom `{` on the stack is the item's body, so closing it ends the item.
    body_bottom: bool,
    /// A macro invocation (`name! { … }`, `a::b!(…)`, `macro_rules! m { … }`).
    macro_call: bool,
    /// A macro invocation whose body's first line is not indented deeper than the
    /// invocation itself (mio writes `cfg_io_source! {` with the functions inside it
    /// flush left of nothing, and rustfmt leaves macro bodies alone): lines at the
    /// item's own indentation say nothing there, only lines further left do. Other
    /// items are not trusted with this: `struct S {` followed by an item at its own
    /// indentation is far more often an unclosed brace.
    flat_body: bool,
    prev: Prev,
    /// Outer doc comments since the last token: they belong to whatever comes next.
    doc_run: Option<Doc>,
}

/// What the engine does after looking at a token.
enum Step {
    /// The token is accounted for.
    Done,
    /// Look at the token again (an item was opened or a container closed).
    Again,
    /// The current item ends before this token; look at the token again.
    EndBefore,
    /// The current item ends with this token (inclusive end).
    Finish(usize),
    /// The current item is a container whose body opens with this `{`.
    OpenContainer(ContainerKind),
    /// A delimiter mismatch in exact mode.
    Fail,
}

struct Engine<'a> {
    text: &'a str,
    bytes: &'a [u8],
    lx: Lexer<'a>,
    /// Resynchronise on formatting (the unbalanced mode).
    recover: bool,
    /// `frames[0]` is the file; further entries are open containers.
    frames: Vec<Frame>,
    item: Option<Item>,
    /// Open delimiters of the current item.
    stack: Vec<u8>,
    pending_doc: Option<Doc>,
    comments: Vec<Range<usize>>,
    /// (line start, indentation) of the last line whose indentation was computed.
    indent_cache: (usize, usize),
    /// In exact mode: start of the first top-level segment where a `}` was out of
    /// place for formatted code (an extra or missing brace shows there before the
    /// delimiters fail to balance further on). Recovery restarts there.
    suspicious: Option<usize>,
    /// In exact mode: start of the top-level segment holding the first string that
    /// crossed an item line.
    first_guard_hit: Option<usize>,
    /// Starts of string tokens that span lines (or were cut at a line break).
    multiline: Vec<usize>,
    /// A string or block comment runs to the end of the text.
    unterminated: bool,
    /// Use `Lexer::next_in_brackets` inside an item's brackets (exact mode).
    skip_in_brackets: bool,
}

impl<'a> Engine<'a> {
    fn new(text: &'a str, recover: bool) -> Self {
        let mut lx = Lexer::new(text);
        lx.set_guard(if recover {
            GuardMode::Cut
        } else {
            GuardMode::Detect
        });
        Engine {
            text,
            bytes: text.as_bytes(),
            lx,
            recover,
            frames: vec![Frame::file()],
            item: None,
            stack: Vec::new(),
            pending_doc: None,
            comments: Vec::new(),
            indent_cache: (usize::MAX, 0),
            suspicious: None,
            first_guard_hit: None,
            multiline: Vec::new(),
            unterminated: false,
            skip_in_brackets: true,
        }
    }

    /// A `#!` shebang line at the very start is its own segment (`syn::parse_file`
    /// accepts it; `#![` is an inner attribute instead).
    fn prelude(&mut self) {
        if let Some(line) = lex::shebang(self.text) {
            self.push_segment(line.clone(), SegmentKind::InnerAttr);
            self.lx = Lexer::at(self.text, line.end);
            self.lx.set_guard(if self.recover {
                GuardMode::Cut
            } else {
                GuardMode::Detect
            });
        }
    }

    fn into_parts(mut self) -> (Vec<Segment>, Vec<Range<usize>>) {
        let top = self
            .frames
            .drain(..)
            .next()
            .map(|f| f.children)
            .unwrap_or_default();
        (top, self.comments)
    }

    fn run(&mut self) -> Result<(), usize> {
        loop {
            // Inside an item's brackets, exact mode only needs brackets, strings and
            // comments (see `Lexer::next_in_brackets`): the only line rules there are
            // about `}` lines, and the item's last token is a closing bracket by the
            // time it matters.
            let tok = if self.skip_in_brackets
                && !self.recover
                && self.item.is_some()
                && !self.stack.is_empty()
            {
                self.lx.next_in_brackets()
            } else {
                self.lx.next()
            };
            let Some(tok) = tok else {
                break;
            };
            // Fast path for most tokens: inside an item's brackets, neither a bracket
            // nor `;`, not a string, and not starting a line at or left of the item's
            // indentation. Only the item's bookkeeping changes.
            if let Some(item) = &mut self.item {
                let plain = match tok.kind {
                    TokenKind::Ident
                    | TokenKind::Number
                    | TokenKind::Lifetime
                    | TokenKind::Char => true,
                    TokenKind::Punct(c) => {
                        !matches!(c, b'{' | b'}' | b'(' | b')' | b'[' | b']' | b';')
                    }
                    _ => false,
                };
                if plain
                    && !self.stack.is_empty()
                    && !(tok.first_on_line && tok.start - tok.line_start <= item.indent)
                {
                    item.doc_run = None;
                    item.prev = Prev::Other;
                    item.tokens += 1;
                    item.last_end = tok.end;
                    continue;
                }
            }
            // In recovery a string cut by the guard is unterminated by design; anything
            // else unterminated runs to the end of the text.
            if tok.unterminated && !(self.recover && tok.guard_hit) {
                self.unterminated = true;
            }
            if tok.kind == TokenKind::Str
                && (tok.guard_hit
                    || memchr::memchr(b'\n', &self.bytes[tok.start..tok.end]).is_some())
            {
                self.multiline.push(tok.start);
            }
            if tok.guard_hit && !self.recover && self.first_guard_hit.is_none() {
                self.first_guard_hit = Some(self.top_start(tok.start));
            }
            match tok.kind {
                TokenKind::LineComment(style) | TokenKind::BlockComment(style) => {
                    self.comment(&tok, style)
                }
                _ => self.token(&tok)?,
            }
        }
        self.end_of_text()
    }

    fn end_of_text(&mut self) -> Result<(), usize> {
        if !self.recover && (self.unterminated || self.frames.len() > 1 || !self.stack.is_empty()) {
            return Err(self.restart(self.bytes.len()));
        }
        if let Some(item) = self.item.take() {
            let kind = if item.inner_attr {
                SegmentKind::InnerAttr
            } else {
                SegmentKind::Item
            };
            self.push_segment(item.start..item.last_end, kind);
        }
        self.flush_doc();
        let len = self.bytes.len();
        while self.frames.len() > 1 {
            self.close_frame(len..len, len);
        }
        Ok(())
    }

    /// Where recovery starts after a failure at `pos`: the top-level segment open now,
    /// or an earlier one that looked suspicious.
    fn restart(&self, pos: usize) -> usize {
        let here = self.top_start(pos);
        self.suspicious.map_or(here, |s| s.min(here))
    }

    /// Start of the top-level segment being collected, or `pos` between segments.
    fn top_start(&self, pos: usize) -> usize {
        if let Some(frame) = self.frames.get(1) {
            return frame.container.map_or(pos, |(_, start, _)| start);
        }
        if let Some(item) = &self.item {
            return item.start;
        }
        self.pending_doc.map_or(pos, |d| d.start)
    }

    fn mark(&mut self, pos: usize) {
        if !self.recover && self.suspicious.is_none() {
            self.suspicious = Some(self.top_start(pos));
        }
    }

    fn indent_of(&mut self, tok_start: usize, line_start: usize, first_on_line: bool) -> usize {
        if first_on_line {
            return tok_start - line_start;
        }
        if self.indent_cache.0 != line_start {
            self.indent_cache = (line_start, lex::line_indent(self.bytes, line_start));
        }
        self.indent_cache.1
    }

    fn frame(&mut self) -> &mut Frame {
        // `frames` is never empty (index 0 is the file, removed only by `into_parts`,
        // which consumes the engine); restoring it keeps this free of panics anyway.
        if self.frames.is_empty() {
            self.frames.push(Frame::file());
        }
        let last = self.frames.len() - 1;
        &mut self.frames[last]
    }

    fn push_segment(&mut self, range: Range<usize>, kind: SegmentKind) {
        let frame = self.frame();
        frame.last_end = range.end;
        frame.stray_run = false;
        frame.children.push(Segment { range, kind });
    }

    /// A lone `;` or a stray `}`. Consecutive ones share one segment: none of them
    /// parses anyway, and a file of ten million semicolons must not cost ten million
    /// segments.
    fn push_stray(&mut self, range: Range<usize>) {
        let frame = self.frame();
        if frame.stray_run {
            if let Some(last) = frame.children.last_mut() {
                last.range.end = range.end;
                frame.last_end = range.end;
                return;
            }
        }
        self.push_segment(range, SegmentKind::Item);
        self.frame().stray_run = true;
    }

    /// Doc comments with no item after them still get a segment: rustc rejects them,
    /// and so will the parser, which is the faithful answer.
    fn flush_doc(&mut self) {
        if let Some(doc) = self.pending_doc.take() {
            self.push_segment(doc.start..doc.end, SegmentKind::Item);
        }
    }

    fn comment(&mut self, tok: &Token, style: CommentStyle) {
        self.comments.push(tok.start..tok.end);
        if let Some(item) = &mut self.item {
            if style == CommentStyle::OuterDoc {
                // A run is stale once a token follows it (tokens skipped inside
                // brackets do not clear it, but they are followed by a closing
                // bracket, which moves `last_end` past it).
                match &mut item.doc_run {
                    Some(doc) if doc.start >= item.last_end => doc.end = tok.end,
                    _ => {
                        let indent = tok.start - tok.line_start;
                        let indent = if tok.first_on_line {
                            indent
                        } else {
                            item.indent
                        };
                        item.doc_run = Some(Doc {
                            start: tok.start,
                            end: tok.end,
                            indent,
                        });
                    }
                }
            }
            return;
        }
        match style {
            CommentStyle::OuterDoc => match &mut self.pending_doc {
                Some(doc) => doc.end = tok.end,
                None => {
                    let indent = self.indent_of(tok.start, tok.line_start, tok.first_on_line);
                    self.pending_doc = Some(Doc {
                        start: tok.start,
                        end: tok.end,
                        indent,
                    });
                }
            },
            CommentStyle::InnerDoc if self.pending_doc.is_none() => {
                self.push_segment(tok.start..tok.end, SegmentKind::InnerAttr);
            }
            _ => {}
        }
    }

    fn token(&mut self, tok: &Token) -> Result<(), usize> {
        // Each round either finishes, opens an item (whose first token cannot end it
        // again), ends an item, or closes a container, so the rounds are bounded; the
        // cap is a second line of defence against looping forever.
        for _ in 0..self.frames.len() + 4 {
            let step = if self.item.is_some() {
                self.item_token(tok)
            } else {
                self.frame_token(tok)
            };
            match step {
                Step::Done => return Ok(()),
                Step::Again => {}
                Step::EndBefore => self.end_before(),
                Step::Finish(end) => {
                    self.finish_item(end);
                    return Ok(());
                }
                Step::OpenContainer(kind) => {
                    self.open_container(kind, tok.end);
                    return Ok(());
                }
                Step::Fail => return Err(self.restart(tok.start)),
            }
        }
        Ok(())
    }

    /// A token with no item open in the current frame.
    fn frame_token(&mut self, tok: &Token) -> Step {
        let indent = tok.start - tok.line_start;
        let nested = self.frames.len() > 1;
        if tok.punct() == b'}' {
            self.flush_doc();
            if !nested {
                if !self.recover {
                    return Step::Fail;
                }
                self.push_stray(tok.start..tok.end);
                return Step::Done;
            }
            let frame = self.frame();
            // In a block whose items sit on their own, deeper-indented lines, the
            // block's `}` is on its own line at the block's indentation; any other `}`
            // here is most likely an extra one. So is a `}` on its own line deeper
            // than a block that has no items yet (`impl X {` then `    }`).
            let at_home = tok.first_on_line && indent <= frame.indent;
            let stray = !at_home
                && (frame.indented_children()
                    || (frame.child_indent.is_none() && tok.first_on_line));
            if stray || (tok.first_on_line && indent != frame.indent) {
                self.mark(tok.start);
            }
            if stray && self.recover {
                self.push_stray(tok.start..tok.end);
                return Step::Done;
            }
            self.close_frame(tok.start..tok.end, tok.end);
            return Step::Done;
        }
        if nested && tok.first_on_line && is_keyword_token(self.bytes, tok) {
            let recover = self.recover;
            let frame = self.frame();
            // Children not yet seen count as indented: a freshly typed `impl Foo {`
            // followed by an item at its own indentation is still empty.
            let children_deeper = frame.child_indent.is_none_or(|child| child > frame.indent);
            if recover && children_deeper && indent <= frame.indent {
                let end = frame.last_end;
                self.close_frame(end..end, end);
                return Step::Again;
            }
        }
        let (start, indent) = match self.pending_doc.take() {
            Some(doc) => (doc.start, doc.indent),
            None => (
                tok.start,
                self.indent_of(tok.start, tok.line_start, tok.first_on_line),
            ),
        };
        self.frame().child_indent.get_or_insert(indent);
        self.lx.set_guard_indent(Some(indent));
        self.stack.clear();
        self.item = Some(Item {
            start,
            indent,
            last_end: tok.start,
            tokens: 0,
            braces: 0,
            inner_attr: false,
            hash_first: false,
            semi: false,
            main_seen: false,
            candidate: None,
            angle: 0,
            body_bottom: false,
            macro_call: false,
            flat_body: false,
            prev: Prev::Other,
            doc_run: None,
        });
        Step::Again
    }

    /// A token inside the current item.
    fn item_token(&mut self, tok: &Token) -> Step {
        let recover = self.recover;
        let bytes = self.bytes;
        let frames = &self.frames;
        let containers_allowed = || {
            frames.len() <= MAX_CONTAINER_DEPTH
                && frames
                    .last()
                    .is_some_and(|f| !matches!(f.container, Some((ContainerKind::Impl, _, _))))
        };
        let Some(item) = self.item.as_mut() else {
            return Step::Again;
        };
        let stack = &mut self.stack;
        let punct = tok.punct();
        let mut suspicious = false;
        // A `}` alone at the item's indentation closing its last open brace: in
        // recovery this ends the item even if the bookkeeping says otherwise.
        let mut line_close = false;

        // Resynchronisation rules, only for tokens that start a line (and never for the
        // item's own first token).
        if item.tokens > 0 && tok.first_on_line {
            let indent = tok.start - tok.line_start;
            // In a flat body, only lines left of the item count as its neighbours'.
            let at_or_left = indent < item.indent
                || (indent == item.indent && !(item.flat_body && item.braces > 0));
            if at_or_left && is_keyword_token(bytes, tok) {
                if recover {
                    // Any open delimiter (a brace, a half-typed `fn f(`, an unclosed
                    // `#[derive(`) or, with nothing open, an item that already has its
                    // keyword: formatted code never continues an item here.
                    if !stack.is_empty() || item.main_seen {
                        return Step::EndBefore;
                    }
                } else if stack.is_empty() && item.main_seen {
                    return Step::EndBefore;
                }
                // Exact mode does not flag a keyword line inside open brackets: when
                // the brackets are really unbalanced, the failure shows up inside this
                // same top-level item anyway, and in valid code such lines occur in
                // macro bodies that recovery should not be steered towards.
            }
            if punct == b'}' && closes_line(bytes, tok.end) {
                if indent < item.indent {
                    if recover {
                        return Step::EndBefore;
                    }
                    suspicious |= item.braces > 0;
                } else if indent == item.indent && item.braces > 1 && !item.flat_body {
                    if recover {
                        stack.clear();
                        item.braces = 0;
                        item.last_end = tok.end;
                        item.tokens += 1;
                        item.doc_run = None;
                        return if item.semi {
                            Step::Done
                        } else {
                            Step::Finish(tok.end)
                        };
                    }
                    suspicious = true;
                } else if indent == item.indent && item.braces == 1 {
                    line_close = recover;
                } else if indent > item.indent
                    && item.braces == 1
                    && stack.len() == 1
                    && item.body_bottom
                {
                    if recover {
                        // Deeper than the item yet closing its body: an extra `}`.
                        item.last_end = tok.end;
                        item.tokens += 1;
                        item.doc_run = None;
                        return Step::Done;
                    }
                    suspicious = true;
                }
            }
        }
        item.doc_run = None;
        let header = stack.is_empty() && !item.main_seen;
        let mut prev = Prev::Other;
        let mut step = Step::Done;
        match tok.kind {
            TokenKind::Punct(b'{') => {
                let mut opens_body = false;
                if stack.is_empty() {
                    item.main_seen = true;
                    if item.angle == 0 && !item.inner_attr {
                        opens_body = true;
                        item.body_bottom = true;
                        item.flat_body =
                            item.macro_call && body_is_flat(bytes, tok.end, item.indent);
                    } else {
                        item.body_bottom = false;
                    }
                }
                match item.candidate {
                    Some(kind) if opens_body && containers_allowed() => {
                        step = Step::OpenContainer(kind)
                    }
                    _ => {
                        stack.push(b'{');
                        item.braces += 1;
                    }
                }
            }
            TokenKind::Punct(b'}') => {
                if item.braces == 0 {
                    if !recover && !stack.is_empty() {
                        return Step::Fail;
                    }
                    if item.tokens == 0 {
                        // Cannot happen (a `}` never opens an item), but ending here
                        // keeps the loop in `token` finite whatever happens.
                        return Step::Finish(tok.end);
                    }
                    return Step::EndBefore;
                }
                if recover {
                    while let Some(open) = stack.pop() {
                        if open == b'{' {
                            break;
                        }
                    }
                } else if stack.last() == Some(&b'{') {
                    stack.pop();
                } else {
                    return Step::Fail;
                }
                item.braces -= 1;
                if stack.is_empty() && !item.semi && (item.body_bottom || line_close) {
                    step = Step::Finish(tok.end);
                }
            }
            TokenKind::Punct(c @ (b'(' | b'[')) => {
                if header && !matches!(item.prev, Prev::Hash | Prev::HashBang | Prev::Pub) {
                    item.main_seen = true;
                }
                stack.push(c);
            }
            TokenKind::Punct(c @ (b')' | b']')) => {
                let open = if c == b')' { b'(' } else { b'[' };
                match stack.last() {
                    Some(&top) if top == open => {
                        stack.pop();
                    }
                    // Recovery: brackets never hold an item open past its braces, and
                    // a stray closer is ignored.
                    Some(&top) if recover && top != b'{' => {
                        stack.pop();
                    }
                    _ if recover => {}
                    _ => return Step::Fail,
                }
                if c == b']' && item.inner_attr && stack.is_empty() {
                    step = Step::Finish(tok.end);
                }
            }
            TokenKind::Punct(b';') => {
                if stack.is_empty() {
                    step = Step::Finish(tok.end);
                }
            }
            TokenKind::Punct(b'#') if header => {
                prev = Prev::Hash;
                if item.tokens == 0 && item.start == tok.start {
                    item.hash_first = true;
                }
            }
            TokenKind::Punct(b'!') if header && item.prev == Prev::Hash => {
                prev = Prev::HashBang;
                if item.hash_first && item.tokens == 1 {
                    item.inner_attr = true;
                }
            }
            TokenKind::Punct(b'!') if stack.is_empty() && item.prev == Prev::Word => {
                item.macro_call = true
            }
            TokenKind::Punct(b'<') => {
                if stack.is_empty() && item.main_seen && !item.semi {
                    item.angle += 1;
                }
            }
            TokenKind::Punct(b'>') => {
                let arrow = tok
                    .start
                    .checked_sub(1)
                    .is_some_and(|p| matches!(bytes.get(p), Some(b'-' | b'=')));
                if stack.is_empty() && !item.semi && !arrow {
                    item.angle = item.angle.saturating_sub(1);
                }
            }
            TokenKind::Ident if header => {
                let word = bytes.get(tok.start..tok.end).unwrap_or_default();
                match word {
                    b"pub" => prev = Prev::Pub,
                    b"extern" => prev = Prev::Extern,
                    b"unsafe" | b"async" | b"default" | b"safe" => {}
                    b"const" => {
                        let mut next = tok.end;
                        while matches!(bytes.get(next), Some(b' ' | b'\t' | b'\r' | b'\n')) {
                            next += 1;
                        }
                        let next_word = bytes
                            .get(next..lex_ident_end(bytes, next))
                            .unwrap_or_default();
                        if !matches!(next_word, b"fn" | b"unsafe" | b"async" | b"extern") {
                            item.main_seen = true;
                            item.semi = true;
                        }
                    }
                    b"use" | b"static" | b"type" => {
                        item.main_seen = true;
                        item.semi = true;
                    }
                    b"mod" => {
                        item.main_seen = true;
                        item.candidate = Some(ContainerKind::Mod);
                    }
                    b"impl" => {
                        item.main_seen = true;
                        item.candidate = Some(ContainerKind::Impl);
                    }
                    _ => {
                        item.main_seen = true;
                        prev = Prev::Word;
                    }
                }
            }
            TokenKind::Ident if stack.is_empty() && item.tokens > 0 => prev = Prev::Word,
            TokenKind::Str if header && item.prev == Prev::Extern => prev = Prev::Extern,
            _ => {
                if header {
                    item.main_seen = true;
                }
            }
        }
        item.prev = prev;
        item.tokens += 1;
        item.last_end = tok.end;
        if suspicious {
            self.mark(tok.start);
        }
        step
    }

    /// Ends the current item at its last token; doc comments after that token move on
    /// to whatever comes next.
    fn end_before(&mut self) {
        if let Some(item) = self.item.take() {
            let kind = if item.inner_attr {
                SegmentKind::InnerAttr
            } else {
                SegmentKind::Item
            };
            self.push_segment(item.start..item.last_end, kind);
            self.pending_doc = item.doc_run.filter(|doc| doc.start >= item.last_end);
        }
        self.stack.clear();
        self.lx.set_guard_indent(None);
    }

    fn finish_item(&mut self, end: usize) {
        if let Some(item) = self.item.take() {
            if item.tokens == 1
                && end == item.start + 1
                && self.bytes.get(item.start) == Some(&b';')
            {
                self.push_stray(item.start..end);
            } else {
                let kind = if item.inner_attr {
                    SegmentKind::InnerAttr
                } else {
                    SegmentKind::Item
                };
                self.push_segment(item.start..end, kind);
            }
        }
        self.stack.clear();
        self.lx.set_guard_indent(None);
    }

    fn open_container(&mut self, kind: ContainerKind, brace_end: usize) {
        if let Some(item) = self.item.take() {
            self.frames.push(Frame {
                container: Some((kind, item.start, brace_end)),
                indent: item.indent,
                child_indent: None,
                children: Vec::new(),
                last_end: brace_end,
                stray_run: false,
            });
        }
        self.stack.clear();
        self.lx.set_guard_indent(None);
    }

    /// Closes the innermost container with `close` (empty when the `}` is missing),
    /// its segment ending at `end`.
    fn close_frame(&mut self, close: Range<usize>, end: usize) {
        if self.frames.len() < 2 {
            return;
        }
        let Some(frame) = self.frames.pop() else {
            return;
        };
        if let Some((kind, start, header_end)) = frame.container {
            let container = Container {
                kind,
                header: start..header_end,
                children: frame.children,
                close,
            };
            self.push_segment(start..end, SegmentKind::Container(container));
        }
    }
}

/// Is the rest of the line after a `}` (ending at `end`) only closing punctuation
/// (`)`, `]`, `}`, `;`, `,`), whitespace or a comment? Only such a line is read as a
/// closing line; a `}` typed in front of code is not.
fn closes_line(bytes: &[u8], mut end: usize) -> bool {
    while let Some(&c) = bytes.get(end) {
        match c {
            b' ' | b'\t' | b'\r' | b')' | b']' | b'}' | b';' | b',' => end += 1,
            b'\n' => return true,
            b'/' => return matches!(bytes.get(end + 1), Some(b'/' | b'*')),
            _ => return false,
        }
    }
    true
}

fn lex_ident_end(bytes: &[u8], mut pos: usize) -> usize {
    while bytes
        .get(pos)
        .is_some_and(|c| c.is_ascii_alphanumeric() || *c == b'_')
    {
        pos += 1;
    }
    pos
}

/// Is the body whose `{` ends at `after` flat: does its first line of code start at
/// or left of `indent`? Looks past whitespace and comments; a body whose code starts
/// on the brace's own line, or that is empty, is not flat.
fn body_is_flat(bytes: &[u8], after: usize, indent: usize) -> bool {
    let mut pos = after;
    // Start of the line the scan is on, once it has left the brace's line.
    let mut line_start = None;
    loop {
        match bytes.get(pos) {
            Some(b'\n') => {
                pos += 1;
                line_start = Some(pos);
            }
            Some(b' ' | b'\t' | b'\r') => pos += 1,
            Some(b'/') if bytes.get(pos + 1) == Some(&b'/') => {
                // A comment line: the code comes on a later line.
                pos = memchr::memchr(b'\n', &bytes[pos..]).map_or(bytes.len(), |n| pos + n);
            }
            Some(b'/') if bytes.get(pos + 1) == Some(&b'*') => {
                // Block comments rarely open a body; stop looking rather than scan one.
                return false;
            }
            Some(b'}') | None => return false,
            Some(_) => {
                return line_start.is_some_and(|line| pos - line <= indent);
            }
        }
    }
}

/// Does this token, first on its line, start an item (see [`lex::item_keyword_at`])?
fn is_keyword_token(bytes: &[u8], tok: &Token) -> bool {
    (tok.kind == TokenKind::Ident || tok.punct() == b'#') && lex::item_keyword_at(bytes, tok.start)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// Pieces of Rust that reach corner cases when glued together at random.
    const PIECES: &[&str] = &[
        "fn a() {",
        "impl X {",
        "mod m {",
        "use a::{b};",
        "const C: u8 = 1;",
        "struct S;",
        "m! {",
        "m!(",
        "#[a]",
        "#![a]",
        "///d",
        "//!d",
        "//c",
        "/*",
        "*/",
        "{",
        "}",
        "(",
        ")",
        "[",
        "]",
        "<",
        ">",
        ";",
        "\"",
        "\\",
        "'",
        "'a",
        "b'x'",
        "r#\"",
        "\"#",
        "r#r\"",
        "r#",
        "#",
        "x",
        "\n",
        "\n    ",
        "    ",
        "\n}\n",
        "é",
        "\u{2028}",
        "pub ",
        "->",
    ];

    proptest! {
        #![proptest_config(ProptestConfig { cases: 3000, ..ProptestConfig::default() })]

        /// The fast path inside brackets changes nothing.
        #[test]
        fn skipping_inside_brackets_changes_nothing(pieces in prop::collection::vec(prop::sample::select(PIECES), 0..80)) {
            let text = pieces.concat();
            prop_assert_eq!(segment_with(&text, true), segment_with(&text, false));
        }
    }

    /// Top-level segment texts.
    fn texts(text: &str) -> Vec<&str> {
        segment(text)
            .segments
            .iter()
            .map(|s| s.text(text))
            .collect()
    }

    /// Every segment's text, indented by depth, for readable assertions.
    fn tree(text: &str) -> Vec<String> {
        let seg = segment(text);
        seg.walk()
            .map(|(depth, s)| {
                let label = match &s.kind {
                    SegmentKind::InnerAttr => "inner".to_string(),
                    SegmentKind::Item => "item".to_string(),
                    SegmentKind::Container(c) => format!("{:?}", c.kind).to_lowercase(),
                };
                let body = match &s.kind {
                    SegmentKind::Container(c) => text.get(c.header.clone()).unwrap_or_default(),
                    _ => s.text(text),
                };
                format!("{}{label}: {body}", "  ".repeat(depth))
            })
            .collect()
    }

    #[test]
    fn braces_in_literals_and_comments_do_not_split() {
        let text =
            "fn a() { let s = \"}\"; }\nfn b() { let c = '}'; }\nfn c() { let r = r#\"}\"#; }\n\
                    fn d() { /* } /* } */ } */ }\nfn e() { // }\n}\nfn f() { b'{'; b\"{\"; }\n";
        assert_eq!(
            texts(text),
            vec![
                "fn a() { let s = \"}\"; }",
                "fn b() { let c = '}'; }",
                "fn c() { let r = r#\"}\"#; }",
                "fn d() { /* } /* } */ } */ }",
                "fn e() { // }\n}",
                "fn f() { b'{'; b\"{\"; }",
            ]
        );
        assert!(segment(text).balanced);
    }

    #[test]
    fn lifetimes_and_labels_next_to_braces() {
        let text = "fn a<'a>(x: &'a str) -> &'a str {'l: loop { break 'l; } x}\nstruct S<'a>{x:&'a u8}\nfn b() {}";
        assert_eq!(
            texts(text),
            vec![
                "fn a<'a>(x: &'a str) -> &'a str {'l: loop { break 'l; } x}",
                "struct S<'a>{x:&'a u8}",
                "fn b() {}"
            ]
        );
    }

    #[test]
    fn raw_identifiers_are_not_raw_strings() {
        let text = "fn r#fn() { r#match(); }\nfn b() {}";
        assert_eq!(texts(text), vec!["fn r#fn() { r#match(); }", "fn b() {}"]);
    }

    #[test]
    fn semicolon_items_end_at_semicolon_even_after_braces() {
        let text = "use a::{b, c};\nconst X: S = S { a: 1 };\nstatic Y: [u8; 4] = [0; 4];\ntype T = [u8; 4];\npub(crate) const fn f() {}\nconst _: () = { };\n";
        assert_eq!(
            texts(text),
            vec![
                "use a::{b, c};",
                "const X: S = S { a: 1 };",
                "static Y: [u8; 4] = [0; 4];",
                "type T = [u8; 4];",
                "pub(crate) const fn f() {}",
                "const _: () = { };"
            ]
        );
    }

    #[test]
    fn attributes_and_doc_comments_belong_to_the_item() {
        let text = "// plain\n/// doc\n#[derive(Debug)]\n// between\n#[cfg(x)] pub struct A;\n/** block doc */\nfn b() {}\n";
        assert_eq!(
            texts(text),
            vec![
                "/// doc\n#[derive(Debug)]\n// between\n#[cfg(x)] pub struct A;",
                "/** block doc */\nfn b() {}"
            ]
        );
        let seg = segment(text);
        assert_eq!(seg.comments.len(), 4);
        assert_eq!(&text[seg.comments[0].clone()], "// plain");
    }

    #[test]
    fn inner_attributes_are_their_own_segments() {
        let text = "#![allow(x)]\n//! Crate doc.\n/*! Block. */\n#![cfg_attr(a, b)]\nfn a() {}\n";
        let seg = segment(text);
        let kinds: Vec<_> = seg
            .segments
            .iter()
            .map(|s| (s.kind.clone(), s.text(text)))
            .collect();
        assert_eq!(
            kinds,
            vec![
                (SegmentKind::InnerAttr, "#![allow(x)]"),
                (SegmentKind::InnerAttr, "//! Crate doc."),
                (SegmentKind::InnerAttr, "/*! Block. */"),
                (SegmentKind::InnerAttr, "#![cfg_attr(a, b)]"),
                (SegmentKind::Item, "fn a() {}"),
            ]
        );
    }

    #[test]
    fn shebang_is_a_segment_but_inner_attribute_is_not_a_shebang() {
        assert_eq!(
            texts("#!/usr/bin/env x\nfn a() {}"),
            vec!["#!/usr/bin/env x", "fn a() {}"]
        );
        assert_eq!(
            texts("#![allow(x)]\nfn a() {}"),
            vec!["#![allow(x)]", "fn a() {}"]
        );
    }

    #[test]
    fn containers_split_mods_and_impls() {
        let text = "mod a {\n    //! Docs.\n    mod b {\n        fn f() {}\n    }\n    impl X {\n        fn g() {}\n        const C: u8 = 1;\n        m!();\n    }\n}\nmod c;\n";
        assert_eq!(
            tree(text),
            vec![
                "mod: mod a {",
                "  inner: //! Docs.",
                "  mod: mod b {",
                "    item: fn f() {}",
                "  impl: impl X {",
                "    item: fn g() {}",
                "    item: const C: u8 = 1;",
                "    item: m!();",
                "item: mod c;",
            ]
        );
        let seg = segment(text);
        let SegmentKind::Container(c) = &seg.segments[0].kind else {
            panic!("not a container");
        };
        assert_eq!(&text[c.close.clone()], "}");
        assert_eq!(c.close.end, seg.segments[0].range.end);
    }

    #[test]
    fn traits_and_impls_inside_impls_are_not_split() {
        let text = "trait T {\n    fn a() {}\n}\nimpl X {\n    mod m {}\n}\n";
        assert_eq!(
            tree(text),
            vec![
                "item: trait T {\n    fn a() {}\n}",
                "impl: impl X {",
                "  item: mod m {}"
            ]
        );
    }

    #[test]
    fn impl_headers_with_generics_and_const_arguments() {
        let text = "impl<T: Fn() -> u8> X for Y<T> where T: Clone {}\nimpl Z<{ N + 1 }> { fn f() {} }\nstruct S<const N: usize = { 3 }> {}\nfn g() -> A<{ 2 }> {}\n";
        assert_eq!(
            tree(text),
            vec![
                "impl: impl<T: Fn() -> u8> X for Y<T> where T: Clone {",
                "impl: impl Z<{ N + 1 }> {",
                "  item: fn f() {}",
                "item: struct S<const N: usize = { 3 }> {}",
                "item: fn g() -> A<{ 2 }> {}",
            ]
        );
    }

    #[test]
    fn macro_bodies_with_item_lines_do_not_split_when_balanced() {
        let text = "pin_project! {\npub struct X {\n    a: u8,\n}\n}\nmacro_rules! m {\n() => {\nfn x() {}\n};\n}\nfoo!(a, {\nfn y() {}\n});\nbar![1];\n";
        assert_eq!(
            texts(text),
            vec![
                "pin_project! {\npub struct X {\n    a: u8,\n}\n}",
                "macro_rules! m {\n() => {\nfn x() {}\n};\n}",
                "foo!(a, {\nfn y() {}\n});",
                "bar![1];"
            ]
        );
    }

    #[test]
    fn half_typed_item_without_body_does_not_swallow_the_next() {
        assert_eq!(texts("fn \nfn b() {}\n"), vec!["fn", "fn b() {}"]);
        assert_eq!(
            texts("use std::\n/// Doc.\npub fn b() {}\n"),
            vec!["use std::", "/// Doc.\npub fn b() {}"]
        );
        assert_eq!(
            texts("fn foo(\n\nfn b() {}\n"),
            vec!["fn foo(", "fn b() {}"]
        );
        assert_eq!(
            texts("#[derive(\npub struct A;\nfn b() {}\n"),
            vec!["#[derive(", "pub struct A;", "fn b() {}"]
        );
        // Attributes on their own lines are not a new item.
        assert_eq!(
            texts("#[test]\n#[ignore]\nfn a() {}\n"),
            vec!["#[test]\n#[ignore]\nfn a() {}"]
        );
    }

    #[test]
    fn unbalanced_brace_resyncs_at_the_next_item_line() {
        let text = "fn a() {\n    if x {\n    y();\n}\n\n/// B.\nfn b() {\n    z();\n}\n";
        let seg = segment(text);
        assert!(!seg.balanced);
        assert_eq!(
            texts(text),
            vec![
                "fn a() {\n    if x {\n    y();\n}",
                "/// B.\nfn b() {\n    z();\n}"
            ]
        );

        let text = "fn a() {\n    if x {\n    y();\n\nfn b() {\n    z();\n}\n";
        assert_eq!(
            texts(text),
            vec!["fn a() {\n    if x {\n    y();", "fn b() {\n    z();\n}"]
        );
    }

    #[test]
    fn extra_closing_brace_stays_inside_the_item() {
        let text = "fn a() {\n    x();\n    }\n}\n\nfn b() {}\n";
        assert_eq!(
            texts(text),
            vec!["fn a() {\n    x();\n    }\n}", "fn b() {}"]
        );
        let text = "impl X {\n    fn a() {\n        x(); }\n    }\n    fn b() {}\n}\nfn c() {}\n";
        assert_eq!(
            tree(text),
            vec![
                "impl: impl X {",
                "  item: fn a() {\n        x(); }",
                "  item: }",
                "  item: fn b() {}",
                "item: fn c() {}"
            ]
        );
    }

    #[test]
    fn missing_close_of_a_method_ends_at_the_next_method() {
        let text = "impl X {\n    fn a() {\n        x();\n\n    fn b() {}\n}\nfn c() {}\n";
        assert_eq!(
            tree(text),
            vec![
                "impl: impl X {",
                "  item: fn a() {\n        x();",
                "  item: fn b() {}",
                "item: fn c() {}"
            ]
        );
    }

    #[test]
    fn missing_close_of_a_container_ends_at_the_next_item_line() {
        let text = "impl X {\n    fn a() {}\n\nfn c() {}\n";
        let seg = segment(text);
        assert_eq!(
            tree(text),
            vec!["impl: impl X {", "  item: fn a() {}", "item: fn c() {}"]
        );
        let SegmentKind::Container(c) = &seg.segments[0].kind else {
            panic!("not a container");
        };
        assert!(c.close.is_empty());
        assert_eq!(c.close.start, text.find("{}").map_or(0, |p| p + 2));
        // Freshly typed, still empty.
        assert_eq!(
            tree("impl Foo {\nfn c() {}\n"),
            vec!["impl: impl Foo {", "item: fn c() {}"]
        );
        // At the end of the text the close is an empty range at the end.
        let text = "mod m {\n    fn a() {}\n";
        let seg = segment(text);
        let SegmentKind::Container(c) = &seg.segments[0].kind else {
            panic!("not a container");
        };
        assert_eq!(c.close, text.len()..text.len());
    }

    #[test]
    fn parens_do_not_hold_a_function_open() {
        let text = "fn a() {\n    foo(\n}\nfn b() {}\n";
        assert_eq!(texts(text), vec!["fn a() {\n    foo(\n}", "fn b() {}"]);
        let text = "fn a() {\n    foo(|| {\n}\nfn b() {}\n";
        assert_eq!(texts(text), vec!["fn a() {\n    foo(|| {\n}", "fn b() {}"]);
    }

    #[test]
    fn unterminated_string_is_cut_at_the_next_item_line() {
        let text = "fn a() {\n    let s = \"abc;\n}\n\nfn b() {\n    let t = \"x\";\n}\n";
        let seg = segment(text);
        assert!(!seg.balanced);
        assert_eq!(
            texts(text),
            vec![
                "fn a() {\n    let s = \"abc;\n}\n",
                "fn b() {\n    let t = \"x\";\n}"
            ]
        );
    }

    #[test]
    fn runaway_string_that_happens_to_balance_is_still_cut() {
        // The typed quote pairs with the one inside `'"'`: the delimiters balance, but
        // read that way `fn b` would vanish into a string.
        let text = "fn a() {\n    let s = 1;\"\n}\n\nfn b() {\n    let q = '\"';\n}\n\nfn c() {}\n";
        let seg = segment(text);
        assert!(seg.balanced);
        assert_eq!(
            texts(text),
            vec![
                "fn a() {\n    let s = 1;\"\n}\n",
                "fn b() {\n    let q = '\"';\n}",
                "fn c() {}"
            ]
        );
    }

    #[test]
    fn code_inside_a_string_stays_a_string() {
        // A fixture holding items at column 0, as build scripts and tests have.
        let text = "const SRC: &str = \"\\\n#[doc(hidden)]\npub mod m {\n    pub fn f() {}\n}\n\";\n\nfn main() {\n    run(SRC);\n}\n";
        let valid = texts(text);
        assert_eq!(valid.len(), 2);
        assert!(valid[0].starts_with("const SRC") && valid[0].ends_with("\";"));
        // Still so while another item is broken.
        let broken = text.replace("run(SRC);", "run(SRC, {");
        let seg = segment(&broken);
        assert!(!seg.balanced);
        assert_eq!(seg.segments[0].text(&broken), valid[0]);
    }

    #[test]
    fn flush_macro_bodies_survive_recovery() {
        // mio writes `cfg_io_source! {` with its functions at the macro's own
        // indentation; an unbalanced brace elsewhere in the impl must not split it.
        let body = "impl S {\n    cfg_x! {\n    pub fn a() {\n        x();\n    }\n    }\n\n    fn b() {\n        y();\n    }\n}\n";
        let valid = tree(body);
        assert_eq!(
            valid,
            vec![
                "impl: impl S {",
                "  item: cfg_x! {\n    pub fn a() {\n        x();\n    }\n    }",
                "  item: fn b() {\n        y();\n    }"
            ]
        );
        let broken = body.replace("y();", "if y {");
        assert!(!segment(&broken).balanced);
        assert_eq!(tree(&broken)[..2], valid[..2]);
    }

    #[test]
    fn unclosed_block_comment_comments_out_the_rest() {
        let text = "fn a() {}\nfn b() { /* }\nfn c() {}\n";
        let seg = segment(text);
        assert!(!seg.balanced);
        assert_eq!(texts(text), vec!["fn a() {}", "fn b() {"]);
        assert_eq!(seg.comments.last().map(|c| c.end), Some(text.len()));
    }

    #[test]
    fn stray_tokens_become_items() {
        let text = "}\nfn a() {}\n;\n) x\nfn b() {}\n; ; }\n}";
        assert_eq!(
            texts(text),
            vec!["}", "fn a() {}", ";", ") x", "fn b() {}", "; ; }\n}"]
        );
        assert!(!segment(text).balanced);
        assert_eq!(texts("x y z"), vec!["x y z"]);
        assert_eq!(texts("/// dangling"), vec!["/// dangling"]);
    }

    #[test]
    fn empty_and_trivial_inputs() {
        for text in ["", " ", "\n\n", "// c", "/* c */", "\u{feff}"] {
            let seg = segment(text);
            assert!(seg.segments.is_empty(), "{text:?}");
            assert!(seg.balanced);
        }
    }

    #[test]
    fn crlf_line_endings() {
        let text = "fn a() {\r\n    if x {\r\n}\r\n\r\nfn b() {}\r\n// c\r\n";
        assert_eq!(
            texts(text),
            vec!["fn a() {\r\n    if x {\r\n}", "fn b() {}"]
        );
        let seg = segment(text);
        assert_eq!(seg.comments.last().map(|c| &text[c.clone()]), Some("// c"));
    }

    #[test]
    fn two_space_indentation() {
        let text = "mod m {\n  fn a() {\n    if x {\n  }\n\n  fn b() {}\n}\n";
        assert_eq!(
            tree(text),
            vec![
                "mod: mod m {",
                "  item: fn a() {\n    if x {\n  }",
                "  item: fn b() {}"
            ]
        );
    }

    #[test]
    fn deep_module_nesting_is_capped() {
        let n = 100_000;
        let text = format!("{}{}", "mod a {".repeat(n), "}".repeat(n));
        let seg = segment(&text);
        assert!(seg.balanced);
        let depth = seg.walk().map(|(d, _)| d).max().unwrap_or_default();
        assert!(depth < MAX_CONTAINER_DEPTH + 1, "{depth}");
        assert_eq!(seg.segments.len(), 1);
        assert_eq!(seg.segments[0].range, 0..text.len());
    }

    #[test]
    fn resplit_breaks_at_keyword_lines() {
        let text = "fn a() {\n    x(\n}\n/// B.\nfn b() {}\nstruct C;";
        let pieces: Vec<_> = resplit(text, 0..text.len())
            .into_iter()
            .map(|r| &text[r])
            .collect();
        assert_eq!(
            pieces,
            vec!["fn a() {\n    x(\n}", "/// B.\nfn b() {}", "struct C;"]
        );
        assert_eq!(resplit(text, 0..8).len(), 1);
        assert!(resplit(text, 5..5).is_empty());
    }
}
