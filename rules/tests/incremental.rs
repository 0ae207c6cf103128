//! The incremental core's contract: re-analysing an edited file with a warm
//! per-item cache gives exactly what a fresh analysis of the same text gives, over
//! random edit sequences (including edits that break and repair syntax).

mod common;

use precept_rules::analysis::Analyzer;
use proptest::prelude::*;

const BASE: &str = include_str!("../../demo/src/handlers.rs");
const BASE2: &str = include_str!("../../demo/src/jobs.rs");

/// Text fragments that stress the segmenter and the cache: delimiters, strings,
/// comments, item keywords, non-ASCII, and code that changes findings.
fn fragment() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("{".to_owned()),
        Just("}".to_owned()),
        Just("(".to_owned()),
        Just("\"".to_owned()),
        Just("/*".to_owned()),
        Just("//".to_owned()),
        Just("\n".to_owned()),
        Just("\nfn ".to_owned()),
        Just("\npub fn x(a: &str) -> u8 { a.parse().unwrap() }\n".to_owned()),
        Just(".unwrap()".to_owned()),
        Just("use reqwest::Client;\n".to_owned()),
        Just("\ntype Result<T> = anyhow::Result<T>;\n".to_owned()),
        Just("\npub fn g() -> Result<()> { Ok(()) }\n".to_owned()),
        Just("// precept:allow(unwrap-in-boundary): test\n".to_owned()),
        Just("😀日本".to_owned()),
        Just("'".to_owned()),
        Just("r#\"".to_owned()),
        "[a-z ]{1,6}",
    ]
}

#[derive(Clone, Debug)]
enum EditOp {
    Insert { at: usize, text: String },
    Delete { at: usize, len: usize },
}

fn edit_op() -> impl Strategy<Value = EditOp> {
    prop_oneof![
        3 => (any::<usize>(), fragment()).prop_map(|(at, text)| EditOp::Insert { at, text }),
        1 => (any::<usize>(), 1usize..40).prop_map(|(at, len)| EditOp::Delete { at, len }),
    ]
}

fn apply(text: &mut String, op: &EditOp) {
    let boundary = |text: &str, at: usize| {
        let mut at = at % (text.len() + 1);
        while !text.is_char_boundary(at) {
            at -= 1;
        }
        at
    };
    match op {
        EditOp::Insert { at, text: t } => {
            let at = boundary(text, *at);
            text.insert_str(at, t);
        }
        EditOp::Delete { at, len } => {
            let start = boundary(text, *at);
            let end = boundary(text, (start + len).min(text.len()));
            text.replace_range(start..end, "");
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    #[test]
    fn cached_equals_fresh(base in prop_oneof![Just(BASE), Just(BASE2)], ops in proptest::collection::vec(edit_op(), 1..12)) {
        let header = common::Header { path: "src/handlers.rs".to_owned(), has_lib: true, ..Default::default() };
        let ctx = common::context(&header);
        let result = precept_rules::analysis::with_stack(move || {
            let mut cached = Analyzer::new();
            let mut text = base.to_owned();
            cached.analyze(&text, &ctx);
            for op in &ops {
                apply(&mut text, op);
                let incremental = cached.analyze(&text, &ctx);
                let fresh = Analyzer::new().analyze(&text, &ctx);
                if incremental.findings != fresh.findings || incremental.unparsed != fresh.unparsed {
                    return Err(format!("after {op:?}:\nincremental: {:#?}\nfresh: {:#?}\ntext:\n{text}", incremental.findings, fresh.findings));
                }
            }
            Ok(())
        });
        match result {
            Some(Ok(())) => {}
            Some(Err(msg)) => prop_assert!(false, "{}", msg),
            None => prop_assert!(false, "analysis thread panicked"),
        }
    }
}

#[test]
fn an_edit_reparses_only_the_changed_item() {
    let header = common::Header {
        path: "src/handlers.rs".to_owned(),
        ..Default::default()
    };
    let ctx = common::context(&header);
    let stats = precept_rules::analysis::with_stack(move || {
        let mut a = Analyzer::new();
        let first = a.analyze(BASE, &ctx);
        let edited = BASE.replacen("\"ok\"", "\"okay\"", 1);
        let second = a.analyze(&edited, &ctx);
        (first, second)
    });
    let Some((first, second)) = stats else {
        panic!("analysis failed")
    };
    assert!(first.stats.parsed >= 10, "{:?}", first.stats);
    assert_eq!(second.stats.parsed, 1, "{:?}", second.stats);
    assert_eq!(second.stats.checked, 1, "{:?}", second.stats);
}

#[test]
fn editing_a_type_alias_rechecks_the_functions_that_use_it() {
    let header = common::Header {
        path: "src/lib.rs".to_owned(),
        deps: vec![("anyhow".into(), "1".into(), vec![])],
        ..Default::default()
    };
    let ctx = common::context(&header);
    let typed = "pub struct Error;\ntype Result<T> = std::result::Result<T, Error>;\n\npub fn load() -> Result<()> {\n    Ok(())\n}\n";
    let untyped = typed.replace("std::result::Result<T, Error>", "anyhow::Result<T>");
    let result = precept_rules::analysis::with_stack(move || {
        let mut a = Analyzer::new();
        let rule = |an: &precept_rules::analysis::Analysis| {
            an.active()
                .filter(|f| f.rule == "untyped-public-error")
                .count()
        };
        let before = rule(&a.analyze(typed, &ctx));
        let after = a.analyze(&untyped, &ctx);
        let back = rule(&a.analyze(typed, &ctx));
        (before, rule(&after), after.stats, back)
    });
    let Some((before, after, stats, back)) = result else {
        panic!("analysis failed")
    };
    assert_eq!((before, after, back), (0, 1, 0));
    // The module's aliases are part of the cache key of its items, as its imports
    // are: editing one re-checks every item of the module.
    assert_eq!(stats.checked, 3, "{stats:?}");
}

#[test]
fn broken_function_keeps_other_findings_in_place() {
    let header = common::Header {
        path: "src/handlers.rs".to_owned(),
        ..Default::default()
    };
    let ctx = common::context(&header);
    let broken = BASE.replacen(
        "async fn health() -> &'static str {",
        "async fn health() -> &'static str { {",
        1,
    );
    let before = common::analyze(BASE, &ctx);
    let after = common::analyze(&broken, &ctx);
    let shift = broken.len() - BASE.len();
    let health = BASE.find("async fn health").unwrap_or(0);
    let expected: Vec<_> = before
        .findings
        .iter()
        .map(|f| {
            if f.range.start > health {
                (f.rule.clone(), f.range.start + shift)
            } else {
                (f.rule.clone(), f.range.start)
            }
        })
        .collect();
    let actual: Vec<_> = after
        .findings
        .iter()
        .map(|f| (f.rule.clone(), f.range.start))
        .collect();
    assert!(!expected.is_empty());
    assert_eq!(actual, expected);
    assert_eq!(after.unparsed.len(), 1);
}

#[test]
fn parallel_checking_equals_serial() {
    let header = common::Header {
        path: "src/handlers.rs".to_owned(),
        ..Default::default()
    };
    let ctx = common::context(&header);
    let text = [BASE, BASE2].concat().repeat(6);
    let result = precept_rules::analysis::with_stack(move || {
        let serial = Analyzer::new().analyze(&text, &ctx);
        let parallel = Analyzer::with_threads(2).analyze(&text, &ctx);
        (serial, parallel)
    });
    let Some((serial, parallel)) = result else {
        panic!("analysis failed")
    };
    assert!(serial.stats.items >= 64, "{:?}", serial.stats);
    assert!(!serial.findings.is_empty());
    assert_eq!(serial.findings, parallel.findings);
    assert_eq!(serial.unparsed, parallel.unparsed);
}
