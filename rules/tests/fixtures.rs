//! Rule fixtures: `tests/fixtures/<rule-id>/*.rs`.
//!
//! Each fixture marks every expected finding with a trailing `//~ rule-id` (or
//! `//~ rule-id=level` when the level differs from the default) on the line where
//! the finding starts, or `//~^ rule-id` on the line below it; every other line must stay silent — those are the
//! false-positive traps. The driver asserts the findings equal the annotations
//! exactly, snapshots the findings with their fixes, then applies every fix
//! (unsafe included) round by round and requires that the fixes keep the file
//! parseable and converge.

mod common;

use std::collections::BTreeSet;
use std::fmt::Write;

use precept_rules::fix::{apply_fixes, MAX_ROUNDS};
use precept_rules::source::{Encoding, LineIndex};
use precept_rules::{registry, Applicability};

fn expected(text: &str) -> BTreeSet<(usize, String, String)> {
    let mut out = BTreeSet::new();
    for (i, line) in text.lines().enumerate() {
        let Some(idx) = line.find("//~") else {
            continue;
        };
        // `//~^ rule` points at the line above (one `^` per line), for findings on
        // comments, where a trailing annotation would change the comment itself.
        let rest = &line[idx + 3..];
        let up = rest.chars().take_while(|&c| c == '^').count();
        let target = (i + 1).saturating_sub(up);
        for item in rest[up..].split_whitespace() {
            let (rule, level) = match item.split_once('=') {
                Some((r, l)) => (r.to_owned(), l.to_owned()),
                None => {
                    let level = registry::meta(item)
                        .map(|m| m.default_level.to_string())
                        .unwrap_or_default();
                    (item.to_owned(), level)
                }
            };
            out.insert((target, rule, level));
        }
    }
    out
}

#[test]
fn fixtures() {
    insta::glob!("fixtures/*/*.rs", |path| {
        let text = match std::fs::read_to_string(path) {
            Ok(t) => t,
            Err(e) => panic!("{}: {e}", path.display()),
        };
        let header = common::parse_header(&text);
        let ctx = common::context(&header);
        let analysis = common::analyze(&text, &ctx);
        let index = LineIndex::new(&text);

        let actual: BTreeSet<(usize, String, String)> = analysis
            .active()
            .map(|f| {
                (
                    index.line_of(f.range.start) + 1,
                    f.rule.clone(),
                    f.level.to_string(),
                )
            })
            .collect();
        let want = expected(&text);
        let missing: Vec<_> = want.difference(&actual).collect();
        let unexpected: Vec<_> = actual.difference(&want).collect();
        assert!(
            missing.is_empty() && unexpected.is_empty(),
            "{}:\n  missing (annotated, not reported): {missing:?}\n  unexpected (reported, not annotated): {unexpected:?}",
            path.display()
        );
        assert!(
            analysis.panics.is_empty(),
            "rule panicked: {:?}",
            analysis.panics
        );

        let mut snap = String::new();
        for f in analysis.active() {
            let s = index.position(&text, f.range.start, Encoding::Utf32);
            let e = index.position(&text, f.range.end, Encoding::Utf32);
            let _ = writeln!(
                snap,
                "{}:{}-{}:{} {} [{}] {}",
                s.line + 1,
                s.col + 1,
                e.line + 1,
                e.col + 1,
                f.level,
                f.rule,
                f.message
            );
            let _ = writeln!(
                snap,
                "    | {}",
                &text[f.range.clone()].replace('\n', "\n    | ")
            );
            if let Some(fix) = &f.fix {
                let _ = writeln!(
                    snap,
                    "    fix ({}): {}",
                    fix.applicability.as_str(),
                    fix.title
                );
                for edit in &fix.edits {
                    let s = index.position(&text, edit.range.start, Encoding::Utf32);
                    let e = index.position(&text, edit.range.end, Encoding::Utf32);
                    let _ = writeln!(
                        snap,
                        "      {}:{}-{}:{} -> {:?}",
                        s.line + 1,
                        s.col + 1,
                        e.line + 1,
                        e.col + 1,
                        edit.text
                    );
                }
            }
        }

        // Apply every fix until nothing changes; fixes must keep items parseable.
        let mut current = text.clone();
        let mut rounds = 0;
        loop {
            let a = common::analyze(&current, &ctx);
            assert!(
                a.unparsed.len() <= analysis.unparsed.len(),
                "{}: a fix broke parsing:\n{current}",
                path.display()
            );
            let applied = apply_fixes(&current, &a.findings, Applicability::Unsafe);
            if applied.fixed == 0 {
                break;
            }
            current = applied.text;
            rounds += 1;
            assert!(
                rounds <= MAX_ROUNDS,
                "{}: fixes do not converge",
                path.display()
            );
        }
        if current != text {
            let _ = writeln!(snap, "\n--- after all fixes ---\n{current}");
        }
        insta::assert_snapshot!(snap);
    });
}

#[test]
fn every_rule_has_fixtures() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
    for rule in registry::all() {
        let id = rule.meta().id;
        let count = std::fs::read_dir(dir.join(id))
            .map(|entries| {
                entries
                    .filter_map(Result::ok)
                    .filter(|e| e.path().extension().is_some_and(|x| x == "rs"))
                    .count()
            })
            .unwrap_or(0);
        assert!(
            count > 0,
            "rule `{id}` has no fixtures in tests/fixtures/{id}/"
        );
    }
}
