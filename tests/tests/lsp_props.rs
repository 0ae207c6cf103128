//! The server's findings after any sequence of incremental edits equal what
//! `precept check` reports for the final text (one truth), and edits are applied
//! in the order they were sent even when sent without waiting.

use precept_rules::source::{Encoding, LineCol, LineIndex};
use precept_tests::lsp::{file_uri, Client};
use precept_tests::{repo_root, run_in};
use proptest::prelude::*;
use serde_json::{json, Value};

const BASE: &str = include_str!("../../demo/src/handlers.rs");

/// (rule, start offset, end offset, message) from LSP diagnostics.
fn from_lsp(text: &str, diags: &[Value]) -> Vec<(String, usize, usize, String)> {
    let index = LineIndex::new(text);
    let off = |p: &Value| {
        index
            .offset(
                text,
                LineCol {
                    line: p["line"].as_u64().unwrap_or(0) as u32,
                    col: p["character"].as_u64().unwrap_or(0) as u32,
                },
                Encoding::Utf16,
            )
            .0
    };
    let mut v: Vec<_> = diags
        .iter()
        .map(|d| {
            (
                d["code"].as_str().unwrap_or("").to_owned(),
                off(&d["range"]["start"]),
                off(&d["range"]["end"]),
                d["message"].as_str().unwrap_or("").to_owned(),
            )
        })
        .collect();
    v.sort();
    v
}

/// The same from `precept check --format json` (1-based, columns in chars).
fn from_cli(text: &str, path: &str) -> Vec<(String, usize, usize, String)> {
    let run = run_in(
        &repo_root(),
        &[
            "check",
            "--no-cache",
            "--format",
            "json",
            "--stdin-filename",
            path,
        ],
        Some(text),
    );
    let index = LineIndex::new(text);
    let off = |p: &Value| {
        index
            .offset(
                text,
                LineCol {
                    line: p["line"].as_u64().unwrap_or(1) as u32 - 1,
                    col: p["column"].as_u64().unwrap_or(1) as u32 - 1,
                },
                Encoding::Utf32,
            )
            .0
    };
    let findings: Value = serde_json::from_str(&run.stdout).unwrap_or(Value::Null);
    let mut v: Vec<_> = findings
        .as_array()
        .cloned()
        .unwrap_or_default()
        .iter()
        .map(|f| {
            (
                f["rule"].as_str().unwrap_or("").to_owned(),
                off(&f["start"]),
                off(&f["end"]),
                f["message"].as_str().unwrap_or("").to_owned(),
            )
        })
        .collect();
    v.sort();
    v
}

#[derive(Clone, Debug)]
enum Op {
    Insert(usize, &'static str),
    Delete(usize, usize),
}

fn op() -> impl Strategy<Value = Op> {
    let fragments = prop_oneof![
        Just("{"),
        Just("}"),
        Just("\n"),
        Just("x.unwrap()"),
        Just("😀"),
        Just("日本"),
        Just("\"s\""),
        Just("\npub fn q(a: &str) -> u8 { a.parse().unwrap() }\n"),
        Just("// precept:allow(unwrap-in-boundary): why\n"),
        Just("format!(\"SELECT {}\", a)"),
    ];
    prop_oneof![
        3 => (any::<usize>(), fragments).prop_map(|(a, f)| Op::Insert(a, f)),
        1 => (any::<usize>(), 1usize..30).prop_map(|(a, n)| Op::Delete(a, n)),
    ]
}

fn boundary(text: &str, at: usize) -> usize {
    let mut at = at % (text.len() + 1);
    while !text.is_char_boundary(at) {
        at -= 1;
    }
    at
}

/// LSP range (UTF-16) of a byte range of `text`.
fn range(text: &str, start: usize, end: usize) -> Value {
    let index = LineIndex::new(text);
    let p = |o| {
        let lc = index.position(text, o, Encoding::Utf16);
        json!({"line": lc.line, "character": lc.col})
    };
    json!({"start": p(start), "end": p(end)})
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 12, ..ProptestConfig::default() })]

    #[test]
    fn server_matches_cli_after_random_edits(ops in proptest::collection::vec(op(), 1..25)) {
        let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build();
        let Ok(rt) = rt else { return Err(TestCaseError::fail("no runtime")) };
        let path = repo_root().join("demo/src/handlers.rs");
        let uri = file_uri(&path);
        let (text, diags) = rt.block_on(async {
            let mut c = Client::in_process();
            c.initialize(json!({}), Value::Null).await;
            let mut text = BASE.to_owned();
            c.open(&uri, &text).await;
            let mut version = 1;
            for op in &ops {
                version += 1;
                let (start, end, insert) = match op {
                    Op::Insert(at, s) => { let at = boundary(&text, *at); (at, at, *s) }
                    Op::Delete(at, n) => { let s = boundary(&text, *at); (s, boundary(&text, (s + n).min(text.len())), "") }
                };
                let r = range(&text, start, end);
                text.replace_range(start..end, insert);
                c.change(&uri, version, json!([{"range": r, "text": insert}])).await;
            }
            let diags = c.diagnostics(&uri, Some(version)).await;
            c.shutdown().await;
            (text, diags)
        });
        prop_assert_eq!(from_lsp(&text, &diags), from_cli(&text, "demo/src/handlers.rs"));
    }
}

/// Type a line character by character without waiting: any reordering would garble
/// it and move or lose the finding.
#[tokio::test]
async fn edits_apply_in_arrival_order() {
    let uri = file_uri(&repo_root().join("demo/src/typed.rs"));
    let mut c = Client::in_process();
    c.initialize(json!({}), Value::Null).await;
    c.open(&uri, "").await;
    let line = "pub fn g(x: &str) -> u8 { x.parse().unwrap() }";
    let mut version = 1;
    for (i, ch) in line.chars().enumerate() {
        version += 1;
        c.change(&uri, version, json!([{"range": {"start": {"line": 0, "character": i}, "end": {"line": 0, "character": i}}, "text": ch.to_string()}])).await;
    }
    let d = c.diagnostics(&uri, Some(version)).await;
    assert_eq!(d.len(), 1, "{d:#?}");
    let col = line.find("unwrap").unwrap_or(0) as u64;
    assert_eq!(d[0]["range"]["start"], json!({"line": 0, "character": col}));
    assert_eq!(
        d[0]["range"]["end"],
        json!({"line": 0, "character": col + "unwrap()".len() as u64})
    );
    c.shutdown().await;
}
