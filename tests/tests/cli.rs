//! `precept check` and friends, run as a user would: the real binary, real files.

use precept_tests::{demo_copy, repo_root, run_in};
use serde_json::Value;

fn json(text: &str) -> Value {
    match serde_json::from_str(text) {
        Ok(v) => v,
        Err(e) => panic!("not JSON ({e}):\n{text}"),
    }
}

#[test]
fn demo_human_output() {
    let run = run_in(
        &repo_root(),
        &["check", "--no-cache", "--color", "never", "demo"],
        None,
    );
    assert_eq!(run.code, 1, "stderr: {}", run.stderr);
    insta::assert_snapshot!(run.stdout);
}

#[test]
fn demo_reports_every_flagship_rule_in_json() {
    let run = run_in(
        &repo_root(),
        &["check", "--no-cache", "--format", "json", "demo"],
        None,
    );
    assert_eq!(run.code, 1, "stderr: {}", run.stderr);
    let findings = json(&run.stdout);
    let Some(findings) = findings.as_array() else {
        panic!("not an array")
    };
    for rule in [
        "unwrap-in-boundary",
        "missing-timeout",
        "sql-injection",
        "unused-suppression",
        "suppression-without-reason",
    ] {
        assert!(
            findings.iter().any(|f| f["rule"] == rule),
            "no {rule} finding"
        );
    }
    for f in findings {
        for key in ["rule", "level", "message", "path", "start", "end", "fix"] {
            assert!(f.get(key).is_some(), "finding lacks `{key}`: {f}");
        }
        assert!(f["start"]["line"].as_u64().unwrap_or(0) >= 1);
        assert!(f["start"]["column"].as_u64().unwrap_or(0) >= 1);
        assert!(
            f["path"].as_str().unwrap_or("").starts_with("demo/src/"),
            "{f}"
        );
    }
    // Deterministic order: by path, then position.
    let keys: Vec<(String, u64, u64)> = findings
        .iter()
        .map(|f| {
            (
                f["path"].as_str().unwrap_or("").to_owned(),
                f["start"]["line"].as_u64().unwrap_or(0),
                f["start"]["column"].as_u64().unwrap_or(0),
            )
        })
        .collect();
    let mut sorted = keys.clone();
    sorted.sort();
    assert_eq!(keys, sorted);
}

#[test]
fn sarif_is_valid_2_1_0() {
    let run = run_in(
        &repo_root(),
        &["check", "--no-cache", "--format", "sarif", "demo"],
        None,
    );
    assert_eq!(run.code, 1, "stderr: {}", run.stderr);
    let sarif = json(&run.stdout);
    assert_eq!(sarif["version"], "2.1.0");
    let run0 = &sarif["runs"][0];
    assert_eq!(run0["columnKind"], "unicodeCodePoints");
    let rules = run0["tool"]["driver"]["rules"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    assert!(rules
        .iter()
        .any(|r| r["id"] == "sql-injection" && r["helpUri"].is_string()));
    let results = run0["results"].as_array().cloned().unwrap_or_default();
    assert!(!results.is_empty());
    for r in &results {
        assert!(r["ruleId"].is_string());
        assert!(
            matches!(r["level"].as_str(), Some("error" | "warning" | "note")),
            "{r}"
        );
        assert!(r["message"]["text"].is_string());
        let loc = &r["locations"][0]["physicalLocation"];
        assert!(loc["artifactLocation"]["uri"]
            .as_str()
            .unwrap_or("")
            .starts_with("demo/src/"));
        for key in ["startLine", "startColumn", "endLine", "endColumn"] {
            assert!(
                loc["region"][key].as_u64().unwrap_or(0) >= 1,
                "{key} in {r}"
            );
        }
        assert!(r["partialFingerprints"].is_object());
    }
    // Suppressed findings are listed with their suppression.
    assert!(results.iter().any(|r| r["suppressions"].is_array()));
}

#[test]
fn github_annotations() {
    let run = run_in(
        &repo_root(),
        &[
            "check",
            "--no-cache",
            "--format",
            "github",
            "demo/src/db.rs",
        ],
        None,
    );
    assert_eq!(run.code, 1);
    insta::assert_snapshot!(run.stdout);
}

#[test]
fn fix_applies_only_safe_fixes_and_converges() {
    let dir = demo_copy();
    let before =
        std::fs::read_to_string(dir.path().join("demo/src/handlers.rs")).unwrap_or_default();
    let run = run_in(dir.path(), &["check", "--fix", "demo"], None);
    assert_eq!(run.code, 1, "unsafe findings remain: {}", run.stderr);
    assert!(run.stdout.contains("Fixed 1 finding"), "{}", run.stdout);
    // The only safe fix in the demo removes the unused suppression.
    let clients =
        std::fs::read_to_string(dir.path().join("demo/src/clients.rs")).unwrap_or_default();
    assert!(!clients.contains("precept:allow(missing-timeout)"));
    let after =
        std::fs::read_to_string(dir.path().join("demo/src/handlers.rs")).unwrap_or_default();
    assert_eq!(
        before, after,
        "an unsafe fix was applied without --unsafe-fixes"
    );
    // A second run finds nothing left to fix safely.
    let again = run_in(dir.path(), &["check", "--fix", "demo"], None);
    assert!(!again.stdout.contains("Fixed"), "{}", again.stdout);
}

#[test]
fn unsafe_fixes_apply_and_converge() {
    let dir = demo_copy();
    let run = run_in(
        dir.path(),
        &["check", "--fix", "--unsafe-fixes", "demo"],
        None,
    );
    assert!(run.stdout.contains("Fixed"), "{}", run.stdout);
    let handlers =
        std::fs::read_to_string(dir.path().join("demo/src/handlers.rs")).unwrap_or_default();
    assert!(handlers.contains(".bind(search.customer)"), "{handlers}");
    assert!(handlers.contains("WHERE customer = $1"), "{handlers}");
    assert!(handlers.contains("fetch_all(&pool).await?"), "{handlers}");
    let clients =
        std::fs::read_to_string(dir.path().join("demo/src/clients.rs")).unwrap_or_default();
    assert!(
        clients.contains(".timeout(Duration::from_secs(30)).build()"),
        "{clients}"
    );
    // Converged: nothing fixable is left.
    let check = run_in(
        dir.path(),
        &["check", "--no-cache", "--format", "json", "demo"],
        None,
    );
    let findings = json(&check.stdout);
    let fixable: Vec<&Value> = findings
        .as_array()
        .map(|a| a.iter().filter(|f| !f["fix"].is_null()).collect())
        .unwrap_or_default();
    assert!(fixable.is_empty(), "fixable findings remain: {fixable:?}");
    let again = run_in(
        dir.path(),
        &["check", "--fix", "--unsafe-fixes", "demo"],
        None,
    );
    assert!(!again.stdout.contains("Fixed"), "{}", again.stdout);
}

#[test]
fn stdin_is_checked_as_the_named_file() {
    let src = "pub fn port(raw: &str) -> u16 {\n    raw.parse().unwrap()\n}\n";
    let dir = demo_copy();
    let run = run_in(
        dir.path(),
        &[
            "check",
            "--format",
            "json",
            "--stdin-filename",
            "demo/src/extra.rs",
        ],
        Some(src),
    );
    assert_eq!(run.code, 1, "{}", run.stderr);
    let findings = json(&run.stdout);
    assert_eq!(findings[0]["rule"], "unwrap-in-boundary");
    assert_eq!(findings[0]["path"], "demo/src/extra.rs");
    // As a test file, the same text is clean.
    let run = run_in(
        dir.path(),
        &["check", "--stdin-filename", "demo/tests/extra.rs"],
        Some(src),
    );
    assert_eq!(run.code, 0, "{}", run.stdout);
}

#[test]
fn exit_codes() {
    let root = repo_root();
    let missing = run_in(&root, &["check", "no/such/path"], None);
    assert_eq!(missing.code, 2);
    assert!(
        missing.stderr.contains("no/such/path"),
        "{}",
        missing.stderr
    );

    let zero = run_in(&root, &["check", "--no-cache", "--exit-zero", "demo"], None);
    assert_eq!(zero.code, 0);

    // Only warnings in this file: failing at `error` passes.
    let errors_only = run_in(
        &root,
        &[
            "check",
            "--no-cache",
            "--fail-level",
            "error",
            "demo/src/jobs.rs",
        ],
        None,
    );
    assert_eq!(errors_only.code, 0, "{}", errors_only.stdout);

    let unknown = run_in(&root, &["check", "--select", "no-such-rule", "demo"], None);
    assert_eq!(unknown.code, 2);
    assert!(unknown.stderr.contains("no-such-rule"));

    let selected = run_in(
        &root,
        &[
            "check",
            "--no-cache",
            "--select",
            "missing-timeout",
            "--format",
            "json",
            "demo",
        ],
        None,
    );
    let findings = json(&selected.stdout);
    assert!(findings
        .as_array()
        .is_some_and(|a| !a.is_empty() && a.iter().all(|f| f["rule"] == "missing-timeout")));
}

#[test]
fn invalid_config_is_a_clear_error() {
    let dir = demo_copy();
    std::fs::write(
        dir.path().join("demo/precept.toml"),
        "[rules]\nunwarp-in-boundary = \"error\"\n",
    )
    .unwrap_or(());
    let run = run_in(dir.path(), &["check", "demo"], None);
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("precept.toml:2:"), "{}", run.stderr);
    assert!(run.stderr.contains("unwarp-in-boundary"), "{}", run.stderr);
}

#[test]
fn bad_files_are_skipped_with_a_message() {
    let dir = demo_copy();
    let src = dir.path().join("demo/src");
    std::fs::write(src.join("latin1.rs"), [0x66u8, 0x6e, 0x20, 0xe9, 0xff]).unwrap_or(());
    std::fs::write(src.join("huge.rs"), "// x\n".repeat(500_000)).unwrap_or(());
    let run = run_in(
        dir.path(),
        &["check", "--no-cache", "--exit-zero", "demo"],
        None,
    );
    assert_eq!(run.code, 0);
    assert!(
        run.stderr.contains("latin1.rs: not valid UTF-8; skipped"),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("huge.rs: file is"), "{}", run.stderr);
    assert_eq!(
        run.stderr.matches("latin1.rs").count(),
        1,
        "reported once: {}",
        run.stderr
    );
    assert!(
        run.stdout.contains("sql-injection"),
        "the run went on: {}",
        run.stdout
    );
}

#[test]
fn deep_nesting_does_not_crash() {
    let dir = demo_copy();
    let deep = format!(
        "pub fn f() -> u8 {{ {}1{} }}\n",
        "(".repeat(50_000),
        ")".repeat(50_000)
    );
    std::fs::write(dir.path().join("demo/src/deep.rs"), deep).unwrap_or(());
    let blocks = format!(
        "pub fn g() {{ {} {} }}\n",
        "{".repeat(50_000),
        "}".repeat(50_000)
    );
    std::fs::write(dir.path().join("demo/src/blocks.rs"), blocks).unwrap_or(());
    let run = run_in(
        dir.path(),
        &["check", "--no-cache", "--exit-zero", "demo"],
        None,
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.stderr.contains("nests too deeply"), "{}", run.stderr);
}

#[test]
fn warm_cache_gives_the_same_report() {
    let dir = demo_copy();
    let cold = run_in(dir.path(), &["check", "--format", "json", "demo"], None);
    assert!(dir.path().join(".precept_cache/results.json").exists());
    assert!(dir.path().join(".precept_cache/.gitignore").exists());
    let warm = run_in(dir.path(), &["check", "--format", "json", "demo"], None);
    assert_eq!(cold.stdout, warm.stdout);
    assert_eq!(cold.code, warm.code);
}

#[test]
fn excluded_paths_are_skipped_unless_named() {
    let dir = demo_copy();
    let demo = dir.path().join("demo");
    std::fs::write(demo.join("precept.toml"), "exclude = [\"src/db.rs\"]\n").unwrap_or(());
    let walk = run_in(
        &demo,
        &["check", "--no-cache", "--format", "json", "."],
        None,
    );
    assert!(!walk.stdout.contains("src/db.rs"), "{}", walk.stdout);
    assert!(walk.stdout.contains("src/handlers.rs"), "{}", walk.stdout);
    let named = run_in(
        &demo,
        &["check", "--no-cache", "--format", "json", "src/db.rs"],
        None,
    );
    assert!(named.stdout.contains("src/db.rs"), "{}", named.stdout);
}

#[test]
fn rules_and_explain() {
    let root = repo_root();
    let rules = run_in(&root, &["rules"], None);
    assert_eq!(rules.code, 0);
    insta::assert_snapshot!(rules.stdout);
    let explain = run_in(&root, &["explain", "missing-timeout"], None);
    assert_eq!(explain.code, 0);
    assert!(explain.stdout.contains("## Why is this bad?"));
    assert!(explain.stdout.contains("Default level: warning"));
    let unknown = run_in(&root, &["explain", "nope"], None);
    assert_eq!(unknown.code, 2);
    assert!(unknown.stderr.contains("unknown rule `nope`"));
}

#[test]
fn config_command_shows_sources() {
    let run = run_in(&repo_root(), &["config", "demo/src/db.rs"], None);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.stdout.contains("precept.toml"), "{}", run.stdout);
    assert!(run.stdout.contains("postgres"), "{}", run.stdout);
}

#[test]
fn help_is_helpful() {
    let run = run_in(&repo_root(), &["check", "--help"], None);
    assert_eq!(run.code, 0);
    for flag in [
        "--fix",
        "--unsafe-fixes",
        "--format",
        "--select",
        "--stdin-filename",
        "--fail-level",
        "--no-cache",
    ] {
        assert!(run.stdout.contains(flag), "--help lacks {flag}");
    }
}

/// A scratch project with one suppression of every shape: dates far in the past
/// and future keep the expiry marks from changing as time passes.
fn suppressions_project() -> tempfile::TempDir {
    let dir = match tempfile::tempdir() {
        Ok(d) => d,
        Err(e) => panic!("cannot create a temporary directory: {e}"),
    };
    let files = [
        ("precept.toml", "exclude = [\"src/vendored/**\"]\n"),
        (
            "src/api.rs",
            concat!(
                "//! precept:allow(missing-timeout): inner doc comments are not suppressions\n",
                "\n",
                "/// precept:allow(unwrap-in-boundary): nor are outer ones\n",
                "pub fn port(raw: &str) -> u16 {\n",
                "    // precept:allow(unwrap-in-boundary, until=2999-12-31): validated at start-up\n",
                "    let port = raw.parse().unwrap();\n",
                "    let s = \"// precept:allow(sql-injection): a string, not a comment\";\n",
                "    // precept:allow(unwrap-in-boundary, until=2001-01-01): lapsed long ago\n",
                "    let again: u16 = raw.parse().unwrap();\n",
                "    let _ = s.len().checked_add(1).unwrap(); // precept:allow(unwrap-in-boundary, swallowed-error)\n",
                "    port + again\n",
                "}\n",
            ),
        ),
        (
            "src/legacy.rs",
            concat!(
                "// precept:allow-file(sql-injection, no-such-rule): legacy queries, rewritten in Q3\n",
                "// precept:allow-file(missing-timeout, until=someday): the client is replaced soon\n",
                "pub fn f() {}\n",
            ),
        ),
        (
            "src/vendored/lib.rs",
            "// precept:allow(unwrap-in-boundary): excluded by the configuration\npub fn g() {}\n",
        ),
        ("src/clean.rs", "pub fn h() {}\n"),
    ];
    for (path, text) in files {
        let path = dir.path().join(path);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).unwrap_or(());
        }
        std::fs::write(path, text).unwrap_or(());
    }
    dir
}

#[test]
fn suppressions_human_output() {
    let dir = suppressions_project();
    let run = run_in(dir.path(), &["suppressions"], None);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        !run.stdout.contains("vendored"),
        "excluded path listed: {}",
        run.stdout
    );
    insta::assert_snapshot!(run.stdout);

    // A file named explicitly is listed even though the configuration excludes it,
    // as `precept check` checks it.
    let named = run_in(dir.path(), &["suppressions", "src/vendored/lib.rs"], None);
    assert_eq!(named.code, 0, "{}", named.stderr);
    assert!(
        named.stdout.contains("src/vendored/lib.rs:1:1"),
        "{}",
        named.stdout
    );

    let clean = run_in(dir.path(), &["suppressions", "src/clean.rs"], None);
    assert_eq!(clean.code, 0);
    assert_eq!(clean.stdout, "No suppressions.\n");
}

#[test]
fn suppressions_json_output() {
    let dir = suppressions_project();
    let run = run_in(dir.path(), &["suppressions", "--format", "json"], None);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let doc = json(&run.stdout);
    let today = doc["today"].as_str().unwrap_or_default();
    assert_eq!(today.len(), 10, "{doc}");
    let entries = doc["suppressions"].as_array().cloned().unwrap_or_default();
    assert_eq!(entries.len(), 5, "{doc}");
    for e in &entries {
        assert!(
            !e["path"].as_str().unwrap_or("").contains("vendored"),
            "{e}"
        );
        for flag in ["expired", "missing_reason", "unknown_rule", "invalid_until"] {
            assert!(e[flag].is_boolean(), "`{flag}` in {e}");
        }
    }
    // Today's date changes daily; everything else, field order included, is fixed.
    let stable = run
        .stdout
        .replace(&format!("\"today\": \"{today}\""), "\"today\": \"[today]\"");
    insta::assert_snapshot!(stable);
}

#[test]
fn suppressions_marks_problems() {
    let dir = suppressions_project();
    let run = run_in(dir.path(), &["suppressions", "--format", "json"], None);
    let doc = json(&run.stdout);
    let entries = doc["suppressions"].as_array().cloned().unwrap_or_default();
    let at = |path: &str, line: u64| {
        entries
            .iter()
            .find(|e| e["path"] == path && e["line"] == line)
            .cloned()
            .unwrap_or_else(|| panic!("no suppression at {path}:{line} in {doc}"))
    };

    let future = at("src/api.rs", 5);
    assert_eq!(future["until"], "2999-12-31");
    assert_eq!(future["expired"], false);
    assert_eq!(future["target_line"], 6);

    let past = at("src/api.rs", 8);
    assert_eq!(past["expired"], true);
    assert_eq!(past["reason"], "lapsed long ago");

    let trailing = at("src/api.rs", 10);
    assert_eq!(
        trailing["rules"],
        serde_json::json!(["unwrap-in-boundary", "swallowed-error"])
    );
    assert_eq!(trailing["missing_reason"], true);
    assert_eq!(trailing["reason"], Value::Null);
    assert_eq!(trailing["target_line"], 10);

    let file = at("src/legacy.rs", 1);
    assert_eq!(file["kind"], "file");
    assert_eq!(file["target_line"], Value::Null);
    assert_eq!(file["unknown_rule"], true);
    assert_eq!(file["unknown_rules"], serde_json::json!(["no-such-rule"]));

    let bad_date = at("src/legacy.rs", 2);
    assert_eq!(bad_date["invalid_until"], true);
    assert_eq!(bad_date["expired"], false);

    let summary = &doc["summary"];
    assert_eq!(summary["suppressions"], 5);
    assert_eq!(summary["files"], 2);
    assert_eq!(summary["expired"], 1);
    assert_eq!(summary["missing_reason"], 1);
    assert_eq!(summary["unknown_rule"], 1);

    let human = run_in(dir.path(), &["suppressions"], None);
    for mark in ["[EXPIRED]", "[NO REASON]", "[UNKNOWN RULE no-such-rule]"] {
        assert_eq!(
            human.stdout.matches(mark).count(),
            1,
            "{mark} in {}",
            human.stdout
        );
    }
    assert!(
        human.stdout.ends_with(
            "5 suppressions in 2 files, 1 expired, 1 without a reason, 1 with an unknown rule\n"
        ),
        "{}",
        human.stdout
    );
}

#[test]
fn suppressions_errors_and_help() {
    let root = repo_root();
    let missing = run_in(&root, &["suppressions", "no/such/path"], None);
    assert_eq!(missing.code, 2);
    assert!(
        missing.stderr.contains("no/such/path"),
        "{}",
        missing.stderr
    );

    let demo = run_in(&root, &["suppressions", "demo"], None);
    assert_eq!(demo.code, 0, "{}", demo.stderr);
    assert!(
        demo.stdout.contains("demo/src/db.rs:34:5"),
        "{}",
        demo.stdout
    );

    // Unreadable files are reported once and skipped, as `precept check` does.
    let dir = suppressions_project();
    std::fs::write(dir.path().join("src/latin1.rs"), [0x2fu8, 0x2f, 0x20, 0xe9]).unwrap_or(());
    let skipped = run_in(dir.path(), &["suppressions"], None);
    assert_eq!(skipped.code, 0, "{}", skipped.stderr);
    assert!(
        skipped
            .stderr
            .contains("src/latin1.rs: not valid UTF-8; skipped"),
        "{}",
        skipped.stderr
    );
    assert!(
        skipped.stdout.contains("src/legacy.rs:1:1"),
        "{}",
        skipped.stdout
    );

    let help = run_in(&root, &["suppressions", "--help"], None);
    assert_eq!(help.code, 0);
    for text in [
        "--format",
        "--config",
        "Examples:",
        "precept suppressions src/",
    ] {
        assert!(help.stdout.contains(text), "--help lacks {text}");
    }
}
