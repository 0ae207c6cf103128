//! Baselines end to end: `precept baseline` writes one, then `precept check` and the
//! language server report only findings that are not in it.

use std::path::Path;

use precept_tests::lsp::{file_uri, Client};
use precept_tests::{demo_copy, run_in, Run};
use serde_json::{json, Value};

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn write(path: &Path, text: &str) {
    std::fs::write(path, text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
}

/// The (rule, path) of every finding `precept check --format json` reports.
fn reported(run: &Run) -> Vec<(String, String)> {
    let findings: Value = serde_json::from_str(&run.stdout)
        .unwrap_or_else(|e| panic!("not JSON ({e}):\n{}\n{}", run.stdout, run.stderr));
    let mut out: Vec<(String, String)> = findings
        .as_array()
        .map(|a| {
            a.iter()
                .map(|f| {
                    (
                        f["rule"].as_str().unwrap_or("").to_owned(),
                        f["path"].as_str().unwrap_or("").to_owned(),
                    )
                })
                .collect()
        })
        .unwrap_or_default();
    out.sort();
    out
}

/// Run precept in `dir` with `args` and require exit code 0.
fn succeeds(dir: &Path, args: &[&str]) -> Run {
    let run = run_in(dir, args, None);
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    run
}

fn check_json(dir: &Path) -> Vec<(String, String)> {
    reported(&run_in(
        dir,
        &["check", "--no-cache", "--format", "json", "."],
        None,
    ))
}

/// A demo copy with a baseline of today's findings, configured in its precept.toml.
fn baselined_demo() -> (tempfile::TempDir, std::path::PathBuf) {
    let dir = demo_copy();
    let demo = dir.path().join("demo");
    let run = succeeds(&demo, &["baseline"]);
    assert!(
        run.stdout
            .contains("add `baseline = \"precept-baseline.json\"`"),
        "{}",
        run.stdout
    );
    let config = demo.join("precept.toml");
    write(
        &config,
        &format!("baseline = \"precept-baseline.json\"\n{}", read(&config)),
    );
    (dir, demo)
}

#[test]
fn only_new_findings_are_reported() {
    let (_dir, demo) = baselined_demo();
    let run = run_in(
        &demo,
        &["check", "--no-cache", "--color", "never", "."],
        None,
    );
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    assert!(
        run.stdout.starts_with("No findings in 8 files (")
            && run.stdout.contains("in the baseline not shown"),
        "{}",
        run.stdout
    );

    // A new violation is reported, alone.
    let clients = demo.join("src/clients.rs");
    write(
        &clients,
        &format!(
            "{}\npub fn audit_client() -> reqwest::Client {{\n    reqwest::Client::new()\n}}\n",
            read(&clients)
        ),
    );
    let only_new = vec![("missing-timeout".to_owned(), "src/clients.rs".to_owned())];
    assert_eq!(check_json(&demo), only_new);

    // Moving a function and adding lines above it changes nothing.
    let handlers = demo.join("src/handlers.rs");
    let text = read(&handlers);
    let start = text.find("async fn cancel_order").unwrap_or(0);
    let end = text[start..]
        .find("\n}\n")
        .map_or(text.len(), |e| start + e + 3);
    let moved = format!(
        "// A new header.\n\n{}\n{}",
        &text[start..end],
        text[..start].to_owned() + &text[end..]
    );
    write(&handlers, &moved);
    assert_eq!(check_json(&demo), only_new);

    // Changing the flagged code brings its finding back.
    write(
        &handlers,
        &read(&handlers).replacen(
            ".await\n        .unwrap();",
            ".await\n        .expect(\"cancel\");",
            1,
        ),
    );
    let mut expected = only_new.clone();
    expected.push((
        "unwrap-in-boundary".to_owned(),
        "src/handlers.rs".to_owned(),
    ));
    expected.sort();
    assert_eq!(check_json(&demo), expected);

    // So does renaming the file.
    let moved_db = demo.join("src/storage.rs");
    if let Err(e) = std::fs::rename(demo.join("src/db.rs"), &moved_db) {
        panic!("rename: {e}");
    }
    let after_rename = check_json(&demo);
    assert!(
        after_rename.iter().any(|(_, p)| p == "src/storage.rs"),
        "{after_rename:?}"
    );

    // --no-baseline shows everything again.
    let all = reported(&run_in(
        &demo,
        &[
            "check",
            "--no-cache",
            "--no-baseline",
            "--format",
            "json",
            ".",
        ],
        None,
    ));
    assert!(all.len() > expected.len() + 10, "{all:?}");
}

#[test]
fn the_baseline_file_is_readable_json() {
    let (_dir, demo) = baselined_demo();
    let text = read(&demo.join("precept-baseline.json"));
    let value: Value = serde_json::from_str(&text).unwrap_or(Value::Null);
    assert_eq!(value["precept_baseline"], 1);
    let Some(entries) = value["findings"].as_array() else {
        panic!("no findings array:\n{text}")
    };
    for e in entries {
        for key in ["path", "rule", "item", "snippet", "message"] {
            assert!(e[key].is_string(), "entry lacks `{key}`: {e}");
        }
        assert!(!e["path"].as_str().unwrap_or("/").starts_with('/'), "{e}");
    }
    assert!(
        entries.iter().any(|e| e["item"] == "cancel_order"),
        "{text}"
    );
    // Pretty-printed, one field per line, so a review diff reads well.
    assert!(text.contains("\n      \"rule\": "), "{text}");
}

#[test]
fn duplicates_need_an_entry_each() {
    let dir = match tempfile::tempdir() {
        Ok(d) => d,
        Err(e) => panic!("{e}"),
    };
    let root = dir.path();
    write(
        &root.join("Cargo.toml"),
        "[package]\nname = \"dup\"\nversion = \"0.1.0\"\n\n[dependencies]\nreqwest = \"0.12\"\n",
    );
    write(&root.join("precept.toml"), "baseline = \"b.json\"\n");
    std::fs::create_dir_all(root.join("src")).unwrap_or(());
    let client = "    let _ = reqwest::Client::new();\n";
    let lib = |copies: usize| format!("pub fn clients() {{\n{}}}\n", client.repeat(copies));
    write(&root.join("src/lib.rs"), &lib(2));
    let run = succeeds(root, &["baseline"]);
    assert!(
        run.stdout
            .starts_with("Recorded 2 findings in 1 file to b.json."),
        "{}",
        run.stdout
    );
    assert_eq!(check_json(root), vec![]);
    write(&root.join("src/lib.rs"), &lib(3));
    assert_eq!(
        check_json(root),
        vec![("missing-timeout".to_owned(), "src/lib.rs".to_owned())]
    );
}

/// A demo copy whose configuration names a baseline file that does not exist.
fn demo_with_missing_baseline() -> (tempfile::TempDir, std::path::PathBuf) {
    let dir = demo_copy();
    let demo = dir.path().join("demo");
    let config = demo.join("precept.toml");
    write(
        &config,
        &format!("baseline = \"nope.json\"\n{}", read(&config)),
    );
    (dir, demo)
}

#[test]
fn a_missing_baseline_is_a_clear_error() {
    let (_dir, demo) = demo_with_missing_baseline();
    let run = run_in(&demo, &["check", "--no-cache", "."], None);
    assert_eq!(run.code, 2, "{}{}", run.stdout, run.stderr);
    assert!(
        run.stderr.contains("nope.json") && run.stderr.contains("run `precept baseline`"),
        "{}",
        run.stderr
    );
}

#[test]
fn baseline_updates_only_the_paths_it_is_given() {
    let (_dir, demo) = baselined_demo();
    // A new finding in handlers.rs, then a baseline of db.rs alone: the new
    // finding stays reported, the other files' entries stay in force.
    let handlers = demo.join("src/handlers.rs");
    write(
        &handlers,
        &read(&handlers).replacen(
            "    Ok(Json(order))",
            "    let _n: i64 = id.to_string().parse().unwrap();\n    Ok(Json(order))",
            1,
        ),
    );
    succeeds(&demo, &["baseline", "src/db.rs"]);
    assert_eq!(
        check_json(&demo),
        vec![(
            "unwrap-in-boundary".to_owned(),
            "src/handlers.rs".to_owned()
        )]
    );

    // A deleted file's entries are dropped the next time the baseline is written.
    let baseline = demo.join("precept-baseline.json");
    assert!(read(&baseline).contains("\"src/db.rs\""));
    if let Err(e) = std::fs::remove_file(demo.join("src/db.rs")) {
        panic!("remove: {e}");
    }
    succeeds(&demo, &["baseline", "src/clients.rs"]);
    let text = read(&baseline);
    assert!(
        !text.contains("\"src/db.rs\"") && text.contains("\"src/jobs.rs\""),
        "{text}"
    );
}

#[test]
fn other_commands_work_without_the_baseline_file() {
    let (_dir, demo) = demo_with_missing_baseline();
    succeeds(&demo, &["suppressions"]);
    succeeds(&demo, &["baseline"]);
    assert!(demo.join("nope.json").is_file());
}

#[tokio::test]
async fn the_editor_hides_baselined_findings_too() {
    let (_dir, demo) = baselined_demo();
    let file = demo.join("src/handlers.rs");
    let uri = file_uri(&file);
    let text = read(&file);
    let mut c = Client::in_process();
    c.initialize_in(
        &demo,
        json!({"textDocument": {"publishDiagnostics": {"versionSupport": true}}}),
        Value::Null,
    )
    .await;
    c.open(&uri, &text).await;
    assert_eq!(c.diagnostics(&uri, Some(1)).await, Vec::<Value>::new());

    // Lines added above, and a new violation in a handler: only that one shows.
    let edited = format!(
        "// Unrelated.\n// Edits.\n{}",
        text.replacen(
            "    Ok(Json(order))",
            "    let _n: i64 = id.to_string().parse().unwrap();\n    Ok(Json(order))",
            1,
        )
    );
    c.change(&uri, 2, json!([{"text": edited}])).await;
    let d = c.diagnostics(&uri, Some(2)).await;
    let codes: Vec<&str> = d.iter().filter_map(|d| d["code"].as_str()).collect();
    assert_eq!(codes, vec!["unwrap-in-boundary"], "{d:#?}");

    // The same text through the CLI: the same one finding.
    let run = run_in(
        &demo,
        &[
            "check",
            "--format",
            "json",
            "--stdin-filename",
            "src/handlers.rs",
        ],
        Some(&edited),
    );
    assert_eq!(
        reported(&run),
        vec![(
            "unwrap-in-boundary".to_owned(),
            "src/handlers.rs".to_owned()
        )]
    );
    c.shutdown().await;
}
