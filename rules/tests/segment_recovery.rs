//! Error recovery: an edit that breaks one function (an unbalanced brace, a half-typed
//! call, an unterminated string, …) must leave every other item's segment exactly as
//! it was, shifted by the edit, so that the findings of those items survive while the
//! user types.

#[path = "segment_support.rs"]
mod support;

use std::ops::Range;

use precept_rules::lex::{Lexer, TokenKind};
use precept_rules::segment::{segment, Segment, SegmentKind, Segmentation};
use proptest::prelude::*;
use support::{check_invariants, FIXTURE};

/// The functions of the fixture (at any depth): the byte range of the segment and of
/// the body's braces (`{` and its matching `}`).
fn functions(text: &str) -> Vec<(Range<usize>, usize, usize)> {
    let seg = segment(text);
    let mut out = Vec::new();
    for (_, s) in seg.walk() {
        if s.kind != SegmentKind::Item {
            continue;
        }
        let src = s.text(text);
        if !src.ends_with('}') {
            continue;
        }
        // A function if `fn` comes before the first `{` or `!` outside attributes.
        let mut is_fn = false;
        let mut depth = 0usize;
        let mut stack = Vec::new();
        let mut body = None;
        for tok in Lexer::at(text, s.range.start) {
            if tok.start >= s.range.end {
                break;
            }
            if tok.kind.is_comment() {
                continue;
            }
            let word = &text[tok.start..tok.end];
            match tok.kind {
                TokenKind::Punct(b'[') | TokenKind::Punct(b'(') => depth += 1,
                TokenKind::Punct(b']') | TokenKind::Punct(b')') => depth = depth.saturating_sub(1),
                TokenKind::Punct(b'!') if depth == 0 && stack.is_empty() && !is_fn => break,
                TokenKind::Ident if depth == 0 && stack.is_empty() && word == "fn" => is_fn = true,
                _ => {}
            }
            match tok.kind {
                TokenKind::Punct(b'{') => stack.push(tok.start),
                TokenKind::Punct(b'}') => {
                    let open = stack.pop();
                    if stack.is_empty() && tok.end == s.range.end {
                        body = open.map(|o| (o, tok.start));
                    }
                }
                _ => {}
            }
        }
        if let (true, Some((open, close))) = (is_fn, body) {
            out.push((s.range.clone(), open, close));
        }
    }
    out
}

/// Applies an edit: replace `range` of `text` with `insert`.
fn apply(text: &str, range: Range<usize>, insert: &str) -> String {
    let mut out = String::with_capacity(text.len() + insert.len());
    out.push_str(&text[..range.start]);
    out.push_str(insert);
    out.push_str(&text[range.end..]);
    out
}

/// Asserts that every segment of `before` that does not contain the edited range is
/// in `after` at the same depth with its range shifted by the edit; and that every
/// container that does contain it keeps its header.
fn assert_others_unchanged(
    before: &Segmentation,
    after: &Segmentation,
    edit: Range<usize>,
    delta: isize,
    what: &str,
    edited: &str,
) {
    let shift = |r: &Range<usize>| -> Range<usize> {
        if r.start >= edit.end {
            (r.start as isize + delta) as usize..(r.end as isize + delta) as usize
        } else {
            r.clone()
        }
    };
    let after_all: Vec<(usize, &Segment)> = after.walk().collect();
    for (depth, s) in before.walk() {
        let touches = s.range.start <= edit.start && edit.end <= s.range.end;
        let disjoint = s.range.end <= edit.start || s.range.start >= edit.end;
        if disjoint && !touches {
            let want = shift(&s.range);
            let found = after_all.iter().any(|(d, t)| {
                *d == depth
                    && t.range == want
                    && std::mem::discriminant(&t.kind) == std::mem::discriminant(&s.kind)
            });
            if !found {
                let text = edited.get(want.clone()).unwrap_or("<out of range>");
                let near: Vec<_> = after_all
                    .iter()
                    .filter(|(_, t)| t.range.start.abs_diff(want.start) < 200)
                    .map(|(d, t)| (d, edited.get(t.range.clone()).unwrap_or("")))
                    .collect();
                panic!("{what}: segment {want:?} at depth {depth} lost:\n{text}\n--- segments nearby after the edit:\n{near:#?}");
            }
        } else if let SegmentKind::Container(c) = &s.kind {
            if c.header.end <= edit.start {
                let found = after_all.iter().any(|(d, t)| {
                    *d == depth
                        && matches!(&t.kind, SegmentKind::Container(tc) if tc.header == c.header)
                });
                assert!(found, "{what}: container header {:?} lost", c.header);
            }
        }
    }
}

/// Runs one edit of the fixture and checks everything.
fn check_edit(base: &Segmentation, range: Range<usize>, insert: &str, what: &str) {
    let edited = apply(FIXTURE, range.clone(), insert);
    if swallows_the_rest(&edited) {
        return;
    }
    let after = segment(&edited);
    check_invariants(&edited, &after);
    let delta = insert.len() as isize - range.len() as isize;
    let edit_end = range.end.max(range.start + insert.len().min(1));
    assert_others_unchanged(base, &after, range.start..edit_end, delta, what, &edited);
}

/// Offsets inside a body worth breaking: the start of each line's code and each line
/// end.
fn break_points(text: &str, open: usize, close: usize) -> Vec<usize> {
    let mut points = vec![open + 1];
    for (i, b) in text.as_bytes()[open + 1..close].iter().enumerate() {
        let pos = open + 1 + i;
        if *b == b'\n' {
            points.push(pos);
            let code = text[pos + 1..close]
                .find(|c: char| c != ' ')
                .map_or(close, |n| pos + 1 + n);
            points.push(code);
        }
    }
    points.push(close);
    points.sort_unstable();
    points.dedup();
    points
}

#[test]
fn fixture_has_functions_at_every_depth() {
    let fns = functions(FIXTURE);
    assert!(fns.len() >= 20, "{}", fns.len());
    let seg = segment(FIXTURE);
    let depths: std::collections::BTreeSet<usize> = seg
        .walk()
        .filter(|(_, s)| fns.iter().any(|f| f.0 == s.range))
        .map(|(d, _)| d)
        .collect();
    assert!(
        depths.contains(&0) && depths.contains(&1) && depths.contains(&2),
        "{depths:?}"
    );
}

#[test]
fn insertions_inside_a_function_leave_other_items_alone() {
    let base = segment(FIXTURE);
    let inserts = [
        "{",
        "}",
        "(",
        ")",
        "[",
        "\"",
        "'",
        "foo(",
        "fn ",
        "if x {",
        "let s = \"",
        "match x {\n",
        "pub fn ",
        "\\",
    ];
    let mut cases = 0;
    for (range, open, close) in functions(FIXTURE) {
        for pos in break_points(FIXTURE, open, close) {
            // An editor keeps the rest of the line at its indentation after a line
            // break is typed; so does the test.
            let line_start = FIXTURE[..pos].rfind('\n').map_or(0, |n| n + 1);
            let indent: String = FIXTURE[line_start..]
                .chars()
                .take_while(|c| *c == ' ')
                .collect();
            for insert in inserts {
                let insert = if insert.ends_with('\n') {
                    format!("{insert}{indent}")
                } else {
                    insert.to_string()
                };
                let what = format!(
                    "insert {insert:?} at {pos} in {:?}",
                    &FIXTURE[range.start..open]
                );
                check_edit(&base, pos..pos, &insert, &what);
                cases += 1;
            }
        }
    }
    assert!(cases > 2000, "{cases}");
}

#[test]
fn deletions_inside_a_function_leave_other_items_alone() {
    let base = segment(FIXTURE);
    let mut cases = 0;
    for (range, open, close) in functions(FIXTURE) {
        // Every delimiter, quote and semicolon in the body, and the body's own braces.
        for (i, b) in FIXTURE.as_bytes()[open..=close].iter().enumerate() {
            if matches!(
                b,
                b'{' | b'}' | b'(' | b')' | b'[' | b']' | b'"' | b'\'' | b';'
            ) {
                let pos = open + i;
                let what = format!(
                    "delete {:?} at {pos} in {:?}",
                    *b as char,
                    &FIXTURE[range.start..open]
                );
                check_edit(&base, pos..pos + 1, "", &what);
                cases += 1;
            }
        }
    }
    assert!(cases > 300, "{cases}");
}

#[test]
fn half_typed_items_between_items_leave_other_items_alone() {
    let base = segment(FIXTURE);
    let inserts = [
        "fn \n",
        "fn half(\n",
        "pub fn half(x: u8) -> \n",
        "use std::\n",
        "#[derive(\n",
        "impl Foo {\n",
        "struct S {\n",
        "let x = \"\n",
        "}\n",
        "mod m {\n",
        "const X: u8 = \n",
    ];
    let mut cases = 0;
    for (depth, s) in base.walk() {
        // Inner attributes must come before any item; text inserted above them is
        // invalid wherever it ends.
        if s.kind == SegmentKind::InnerAttr {
            continue;
        }
        // Insert on the line above the segment, at its indentation.
        let line_start = FIXTURE[..s.range.start].rfind('\n').map_or(0, |n| n + 1);
        let indent = &FIXTURE[line_start..s.range.start];
        if !indent.chars().all(|c| c == ' ') {
            continue;
        }
        for insert in inserts {
            let text = format!("{insert}{indent}");
            let what = format!(
                "insert {insert:?} before {:?} at depth {depth}",
                s.text(FIXTURE).lines().next()
            );
            // The new text goes in front of the segment, which therefore shifts.
            let edited = apply(FIXTURE, s.range.start..s.range.start, &text);
            let after = segment(&edited);
            check_invariants(&edited, &after);
            assert_others_unchanged(
                &base,
                &after,
                s.range.start..s.range.start,
                text.len() as isize,
                &what,
                &edited,
            );
            cases += 1;
        }
    }
    assert!(cases > 500, "{cases}");
}

/// True when the edited text has a raw string or block comment that runs to the end:
/// those really do swallow the rest of the file (rustc agrees), so the property does
/// not apply.
fn swallows_the_rest(text: &str) -> bool {
    Lexer::new(text).any(|t| {
        t.unterminated
            && match t.kind {
                TokenKind::BlockComment(_) => true,
                TokenKind::Str => {
                    !text[t.start..].starts_with('"')
                        && !text[t.start..].starts_with("b\"")
                        && !text[t.start..].starts_with("c\"")
                }
                _ => false,
            }
    }) || text.matches("/*").count() != FIXTURE.matches("/*").count()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 4000, max_global_rejects: 100_000, ..ProptestConfig::default() })]

    /// A random single-character insertion or deletion inside one function body keeps
    /// the items before and after that function (and everything else) unchanged.
    #[test]
    fn random_single_character_edit_in_a_function(
        which in any::<prop::sample::Index>(),
        at in any::<prop::sample::Index>(),
        insert in prop::option::of(prop::sample::select(vec!['{', '}', '(', ')', '[', ']', '<', '>', ';', ',', '"', '\'', '\\', '!', '&', '|', '=', '.', ':', 'a', 'r', 'b', '1', '_', ' ', '\n', 'é'])),
    ) {
        let fns = functions(FIXTURE);
        let (range, open, close) = fns[which.index(fns.len())].clone();
        // Strictly inside the body, or the body's closing brace for a deletion.
        let candidates: Vec<usize> = (open + 1..=close).filter(|&p| FIXTURE.is_char_boundary(p)).collect();
        let pos = candidates[at.index(candidates.len())];
        // Typing a character into a line's leading whitespace re-indents the line,
        // which is what recovery reads structure from; typing at the start of the code
        // (or anywhere after it) is fair game.
        let line_start = FIXTURE[..pos].rfind('\n').map_or(0, |n| n + 1);
        let code_start = FIXTURE[line_start..].find(|c: char| c != ' ').map_or(FIXTURE.len(), |n| line_start + n);
        prop_assume!(insert.is_none_or(|c| c.is_whitespace()) || pos >= code_start);
        let (edit, insert_text) = match insert {
            Some(c) => (pos..pos, c.to_string()),
            None => {
                let len = FIXTURE[pos..].chars().next().map_or(0, char::len_utf8);
                (pos..pos + len, String::new())
            }
        };
        let edited = apply(FIXTURE, edit.clone(), &insert_text);
        prop_assume!(!swallows_the_rest(&edited));
        let base = segment(FIXTURE);
        let after = segment(&edited);
        check_invariants(&edited, &after);
        let what = format!("{:?} {:?} in {:?}", edit, insert_text, &FIXTURE[range.start..open]);
        let delta = insert_text.len() as isize - edit.len() as isize;
        let end = edit.end.max(edit.start + usize::from(!insert_text.is_empty()));
        assert_others_unchanged(&base, &after, edit.start..end, delta, &what, &edited);
    }
}
