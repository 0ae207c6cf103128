//! ## What it does
//! Flags blocks of `//` comments that are code: consecutive comment lines whose
//! text, taken together, parses as Rust statements or items and has code
//! punctuation (`;`, `{`, `=` or `(`).
//!
//! A block counts only when all of it is code and it holds at least one real
//! statement: a `let` with a value, an item (`fn`, `struct`, `use a::b`, `impl` …),
//! a call, method call, macro call or assignment ending in `;`, or a non-empty
//! `if`/`match`/loop/block. A lone expression (`Ok(())`, `a = b`, `Note (this)`) is
//! not enough, and neither is a bare word or path with a semicolon. A block ends
//! at a blank line, a line of code or a comment of another kind.
//!
//! To keep a block on purpose, put `// precept:allow(commented-out-code): why` on
//! the line above it.
//!
//! Not flagged:
//!
//! - prose, even prose that mentions code (`see foo(bar) for details`), any
//!   block where code is introduced or explained by a sentence in the same block
//!   (`// For example:` followed by a snippet is documentation), and sketches with
//!   an ellipsis (`dbg!(a, b, ...);`);
//! - blocks whose first line starts with `TODO`, `FIXME`, `SAFETY`, `NOTE`, `XXX`
//!   or `HACK`, and license headers (`Copyright`, `SPDX-License-Identifier`);
//! - doc comments (`///`, `//!`), block comments (`/* … */`), and comments that
//!   follow code on the same line;
//! - `precept:allow` suppressions and `//~` test annotations, which also end a
//!   block;
//! - test code, examples and build scripts, and code that does not parse.
//!
//! ## Why is this bad?
//! Code in comments is never compiled, tested or refactored, so it drifts out of
//! date with everything around it. Readers cannot tell whether it is a fix waiting
//! to be enabled, a debugging leftover or a warning, and searches turn up calls that
//! do not happen. Version control already keeps every old version: delete the
//! code, or say in words why something is the way it is.
//!
//! ## Example
//! ```rust
//! pub fn total(prices: &[u64]) -> u64 {
//!     // let tax = prices.len() as u64 * 2;
//!     // println!("tax: {tax}");
//!     prices.iter().sum()
//! }
//! ```
//!
//! Use instead:
//! ```rust
//! pub fn total(prices: &[u64]) -> u64 {
//!     // Prices already include tax.
//!     prices.iter().sum()
//! }
//! ```
//!
//! ## Fix safety
//! The fix deletes the comment lines. It is unsafe: the code cannot break, but the
//! text may be something its author meant to keep (a note to restore, an example),
//! so a person should look before it goes.

use std::collections::{HashMap, HashSet};
use std::ops::Range;

use crate::rule::{Applicability, Category, Edit, Finding, Fix, FixAvailability, Level, RuleMeta};
use crate::walk::Rule;

/// Implemented by [`find_in_comments`], which the engine runs once per file over
/// its comments; syn never sees comments, so the syntax walk has nothing for it.
pub struct CommentedOutCode;

pub static META: RuleMeta = RuleMeta {
    id: "commented-out-code",
    category: Category::Maintainability,
    default_level: Level::Hint,
    standard: "No commented-out code; version control keeps history.",
    summary: "comment that contains code instead of an explanation",
    fix: FixAvailability::Always,
    clippy_lints: &[],
    source: include_str!("commented_out_code.rs"),
};

impl Rule for CommentedOutCode {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }
}

/// Words that open a comment meant to stay.
const MARKERS: &[&str] = &["TODO", "FIXME", "SAFETY", "NOTE", "XXX", "HACK"];

/// Whether earlier analyses found a comment block's text to be code, keyed by a hash
/// of the text. The editor re-analyses on every keystroke and most comments do not
/// change between two of them.
#[derive(Default)]
pub(crate) struct RunCache {
    code: HashMap<u64, bool>,
}

/// Report commented-out code among `comments` (byte ranges of every comment of
/// `text`, in order). Blocks that start inside one of `skip` (test code, items that
/// do not parse) are left alone.
pub(crate) fn find_in_comments(
    text: &str,
    comments: &[Range<usize>],
    skip: &[Range<usize>],
    cache: &mut RunCache,
) -> Vec<Finding> {
    let skip = disjoint(skip);
    let mut findings = Vec::new();
    let mut used = HashSet::new();
    let mut run: Vec<(Range<usize>, &str)> = Vec::new();
    for c in comments {
        let body = run_member(text, c);
        let continues = body.is_some()
            && run
                .last()
                .is_some_and(|(prev, _)| on_next_line(text, prev.end, c.start));
        if !continues {
            check_run(text, &run, &skip, cache, &mut used, &mut findings);
            run.clear();
        }
        if let Some(body) = body {
            run.push((c.clone(), body));
        }
    }
    check_run(text, &run, &skip, cache, &mut used, &mut findings);
    cache.code.retain(|k, _| used.contains(k));
    findings
}

/// The text after `//` of a comment that can be part of a block: an ordinary line
/// comment alone on its line that is not a suppression or a test annotation.
fn run_member<'t>(text: &'t str, c: &Range<usize>) -> Option<&'t str> {
    let body = text.get(c.clone())?.strip_prefix("//")?;
    let doc = body.starts_with('!') || (body.starts_with('/') && !body.starts_with("//"));
    if doc || body.starts_with('~') || body.trim_start().starts_with("precept:") {
        return None;
    }
    let line_start = text[..c.start].rfind('\n').map_or(0, |i| i + 1);
    text[line_start..c.start]
        .chars()
        .all(char::is_whitespace)
        .then_some(body)
}

/// Only a line break and indentation lie between `end` and `start`.
fn on_next_line(text: &str, end: usize, start: usize) -> bool {
    let Some(between) = text.get(end..start) else {
        return false;
    };
    between.bytes().filter(|&b| b == b'\n').count() == 1 && between.chars().all(char::is_whitespace)
}

fn check_run(
    text: &str,
    run: &[(Range<usize>, &str)],
    skip: &[Range<usize>],
    cache: &mut RunCache,
    used: &mut HashSet<u64>,
    findings: &mut Vec<Finding>,
) {
    let (Some((first, first_body)), Some((last, _))) = (run.first(), run.last()) else {
        return;
    };
    if in_ranges(skip, first.start) || is_kept_on_purpose(first_body) {
        return;
    }
    // License headers, and code its author suppressed at the end of a line (the
    // suppression is part of the comment, so the usual matching cannot see it).
    if run.iter().any(|(_, body)| {
        body.contains("Copyright")
            || body.contains("SPDX-License-Identifier")
            || body.contains("precept:allow")
    }) {
        return;
    }
    let mut joined = String::new();
    for (_, body) in run {
        joined.push_str(body);
        joined.push('\n');
    }
    // Cheap filters before parsing: prose rarely has code punctuation and rarely
    // ends the way a statement or block does.
    if !joined.contains([';', '{', '=', '(']) || !ends_like_code(&joined) {
        return;
    }
    let key = crate::hash::hash_bytes(joined.as_bytes());
    used.insert(key);
    let is_code = *cache
        .code
        .entry(key)
        .or_insert_with(|| parses_as_code(&joined));
    if !is_code {
        return;
    }
    let lines_start = text[..first.start].rfind('\n').map_or(0, |i| i + 1);
    let lines_end = text[last.end..]
        .find('\n')
        .map_or(text.len(), |i| last.end + i + 1);
    findings.push(Finding {
        rule: META.id.to_owned(),
        level: META.default_level,
        message: "commented-out code; delete it, version control keeps the old version".to_owned(),
        range: first.start..last.end,
        fix: Some(Fix::new(
            "Delete the commented-out code",
            Applicability::Unsafe,
            vec![Edit::delete(lines_start..lines_end)],
        )),
        suppressed: false,
        unnecessary: true,
        baselined: false,
    });
}

/// `TODO: …`, `SAFETY: …`, `Note: …`: a comment its author means to keep.
fn is_kept_on_purpose(first_body: &str) -> bool {
    let t = first_body.trim_start();
    let word: String = t.chars().take_while(char::is_ascii_alphabetic).collect();
    MARKERS.contains(&word.as_str())
        || (MARKERS.iter().any(|m| m.eq_ignore_ascii_case(&word))
            && t[word.len()..].starts_with(':'))
}

/// The last character could end a statement, a block or an expression.
fn ends_like_code(joined: &str) -> bool {
    joined.trim_end().chars().next_back().is_some_and(|c| {
        matches!(c, ';' | '}' | ')' | ']' | '?' | '"') || c.is_alphanumeric() || c == '_'
    })
}

/// The text parses as the inside of a block and holds at least one statement that
/// only code would have.
fn parses_as_code(joined: &str) -> bool {
    if crate::lex::nesting_depth(joined) > crate::analysis::MAX_NESTING || has_ellipsis(joined) {
        return false;
    }
    let mut source = String::with_capacity(joined.len() + 4);
    source.push_str("{\n");
    source.push_str(joined);
    source.push_str("\n}");
    let Ok(block) = syn::parse_str::<syn::Block>(&source) else {
        return false;
    };
    block.stmts.iter().any(is_real_statement)
}

/// `...` outside strings: an elided example (`dbg!(a, b, ...)`), not code.
fn has_ellipsis(joined: &str) -> bool {
    use crate::lex::{Lexer, TokenKind};
    let mut dots = 0;
    let mut prev_end = usize::MAX;
    for tok in Lexer::new(joined) {
        if tok.kind == TokenKind::Punct(b'.') {
            dots = if tok.start == prev_end { dots + 1 } else { 1 };
            if dots == 3 {
                return true;
            }
        } else {
            dots = 0;
        }
        prev_end = tok.end;
    }
    false
}

/// A statement prose does not produce by accident.
fn is_real_statement(stmt: &syn::Stmt) -> bool {
    match stmt {
        // `let x;` alone could be a sentence fragment; `let x = …;` is not.
        syn::Stmt::Local(l) => l.init.is_some() || !matches!(l.pat, syn::Pat::Ident(_)),
        syn::Stmt::Item(item) => match item {
            syn::Item::Verbatim(_) => false,
            syn::Item::Use(u) => !matches!(u.tree, syn::UseTree::Name(_)),
            _ => true,
        },
        syn::Stmt::Expr(e, Some(_)) => !is_trivial(e),
        syn::Stmt::Expr(e, None) => is_block_like(e),
        syn::Stmt::Macro(m) => {
            m.semi_token.is_some() || matches!(m.mac.delimiter, syn::MacroDelimiter::Brace(_))
        }
    }
}

/// `if`, `match`, loops and blocks with something inside.
fn is_block_like(e: &syn::Expr) -> bool {
    match e {
        syn::Expr::If(_)
        | syn::Expr::Match(_)
        | syn::Expr::While(_)
        | syn::Expr::ForLoop(_)
        | syn::Expr::Loop(_) => true,
        syn::Expr::Block(b) => !b.block.stmts.is_empty(),
        syn::Expr::Unsafe(u) => !u.block.stmts.is_empty(),
        _ => false,
    }
}

/// Words, paths, literals and operators between them: `Done;`, `non-blocking;`,
/// `same as before;`, `return early;` parse, but say nothing code-like.
fn is_trivial(e: &syn::Expr) -> bool {
    match e {
        syn::Expr::Path(_) | syn::Expr::Lit(_) => true,
        syn::Expr::Field(f) => is_trivial(&f.base),
        syn::Expr::Binary(b) => !is_assign_op(&b.op) && is_trivial(&b.left) && is_trivial(&b.right),
        syn::Expr::Unary(u) => is_trivial(&u.expr),
        syn::Expr::Paren(p) => is_trivial(&p.expr),
        syn::Expr::Reference(r) => is_trivial(&r.expr),
        syn::Expr::Cast(c) => is_trivial(&c.expr),
        syn::Expr::Index(i) => is_trivial(&i.expr) && is_trivial(&i.index),
        syn::Expr::Tuple(t) => t.elems.iter().all(is_trivial),
        syn::Expr::Array(a) => a.elems.iter().all(is_trivial),
        syn::Expr::Range(r) => {
            r.start.as_deref().is_none_or(is_trivial) && r.end.as_deref().is_none_or(is_trivial)
        }
        syn::Expr::Return(r) => r.expr.as_deref().is_none_or(is_trivial),
        syn::Expr::Break(b) => b.expr.as_deref().is_none_or(is_trivial),
        syn::Expr::Continue(_) => true,
        _ => false,
    }
}

fn is_assign_op(op: &syn::BinOp) -> bool {
    matches!(
        op,
        syn::BinOp::AddAssign(_)
            | syn::BinOp::SubAssign(_)
            | syn::BinOp::MulAssign(_)
            | syn::BinOp::DivAssign(_)
            | syn::BinOp::RemAssign(_)
            | syn::BinOp::BitXorAssign(_)
            | syn::BinOp::BitAndAssign(_)
            | syn::BinOp::BitOrAssign(_)
            | syn::BinOp::ShlAssign(_)
            | syn::BinOp::ShrAssign(_)
    )
}

/// Sorted, non-overlapping version of `ranges`.
fn disjoint(ranges: &[Range<usize>]) -> Vec<Range<usize>> {
    let mut sorted: Vec<Range<usize>> = ranges.to_vec();
    sorted.sort_by_key(|r| (r.start, r.end));
    let mut out: Vec<Range<usize>> = Vec::with_capacity(sorted.len());
    for r in sorted {
        match out.last_mut() {
            Some(last) if r.start <= last.end => last.end = last.end.max(r.end),
            _ => out.push(r),
        }
    }
    out
}

/// Whether `pos` lies in one of `ranges` (sorted and disjoint).
fn in_ranges(ranges: &[Range<usize>], pos: usize) -> bool {
    let i = ranges.partition_point(|r| r.start <= pos);
    i > 0 && ranges[i - 1].contains(&pos)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn code(s: &str) -> bool {
        let s = format!("{s}\n");
        s.contains([';', '{', '=', '(']) && ends_like_code(&s) && parses_as_code(&s)
    }

    #[test]
    fn code_and_prose() {
        assert!(code("let x = compute();"));
        assert!(code("client.send(req).await?;"));
        assert!(code("if ready {\n    go();\n}"));
        assert!(code("use std::fmt;"));
        assert!(code("x += 1;"));
        assert!(code("let y = f(x);\nOk(y)"));
        assert!(!code("see foo(bar) for details"));
        assert!(!code("Note (this)"));
        assert!(!code("Ok(())"));
        assert!(!code("a = b"));
        assert!(!code("Done;"));
        assert!(!code("non-blocking;"));
        assert!(!code("same as before;"));
        assert!(!code("return early;"));
        assert!(!code("{}"));
        assert!(!code("For example:\n    let x = f();"));
        assert!(!code("| a | b |\n|---|---|"));
        assert!(!code("+---+   +---+\n| a |-->| b |"));
        assert!(!code("Phase 1: parse (cached)."));
        assert!(!code("dbg!(2, 'x', &x, ...);"));
        assert!(code("println!(\"loading...\");"));
        assert!(code("let tail = &xs[1..];"));
    }

    #[test]
    fn markers() {
        assert!(is_kept_on_purpose(" TODO: call(x);"));
        assert!(is_kept_on_purpose(" Safety: the index is checked"));
        assert!(!is_kept_on_purpose(" todo!();"));
        assert!(!is_kept_on_purpose(" notes.push(x);"));
    }

    #[test]
    fn crlf_runs_and_trailing_comments() {
        let text = "fn f() {\r\n    // let x = g();\r\n    // h(x);\r\n    y(); // z();\r\n}\r\n";
        let comments: Vec<Range<usize>> = text
            .match_indices("//")
            .map(|(i, _)| i..i + text[i..].find('\r').unwrap_or(text.len() - i))
            .collect();
        let mut cache = RunCache::default();
        let found = find_in_comments(text, &comments, &[], &mut cache);
        assert_eq!(found.len(), 1);
        assert_eq!(
            &text[found[0].range.clone()],
            "// let x = g();\r\n    // h(x);"
        );
        let fix = found[0].fix.as_ref().map(|f| f.edits[0].range.clone());
        assert_eq!(fix, Some(10..45));
        assert_eq!(cache.code.len(), 1);
        // Inside a skipped range (test code), nothing.
        let everything = vec![Range {
            start: 0,
            end: text.len(),
        }];
        assert!(find_in_comments(text, &comments, &everything, &mut cache).is_empty());
    }

    #[test]
    fn byte_order_mark_stays() {
        let text = "\u{feff}// let x = f();\npub fn a() {}\n";
        let ctx = crate::analysis::FileContext::for_path("/p/src/lib.rs");
        let analysis = crate::analysis::analyze(text, &ctx);
        let found: Vec<&Finding> = analysis.active().filter(|f| f.rule == META.id).collect();
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].range, 3..18);
        let fix = found[0].fix.as_ref().map(|f| f.edits[0].range.clone());
        assert_eq!(fix, Some(3..19));
    }

    #[test]
    fn ranges() {
        let r = disjoint(&[5..10, 0..3, 6..20]);
        assert_eq!(r, vec![0..3, 5..20]);
        assert!(in_ranges(&r, 12));
        assert!(!in_ranges(&r, 3));
        assert!(!in_ranges(&r, 25));
    }
}
