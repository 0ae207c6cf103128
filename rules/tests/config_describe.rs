//! Snapshots of `Config::describe`, the text behind `precept config`.

#![allow(clippy::unwrap_used)] // A failed unwrap is a failed test.

use std::collections::BTreeMap;
use std::path::Path;

use precept_rules::config::Config;
use precept_rules::{Level, Severity};

fn known(id: &str) -> bool {
    matches!(
        id,
        "unwrap-in-boundary" | "missing-timeout" | "sql-injection"
    )
}

#[test]
fn describe_defaults() {
    insta::assert_snapshot!(Config::default_for(Path::new("/work/project")).describe());
}

#[test]
fn describe_precept_toml() {
    let text = r#"# Team standards
fail-level = "error"
exclude = ["demo/**", "rules/tests/fixtures/**"]
max-file-size = 500_000
baseline = "precept-baseline.json"
docs-url = "https://docs.example.com/rules/"

[sql]
dialect = "postgres"

[rules]
unwrap-in-boundary = "error"
missing-timeout = { level = "warning", default-secs = 30 }

[rules.sql-injection]
allow-format = false

[[overrides]]
files = ["src/legacy/**"]
rules = { unwrap-in-boundary = "off" }

[[overrides]]
files = ["src/legacy/keep.rs", "tests/**"]
rules = { unwrap-in-boundary = "hint", missing-timeout = { level = "info" } }
"#;
    let config =
        Config::parse_precept_toml(text, Path::new("/work/project/precept.toml"), &known).unwrap();
    insta::assert_snapshot!(config.describe());
}

#[test]
fn describe_cargo_metadata_with_editor_settings() {
    let text = r#"[workspace]
members = ["crates/*"]

[workspace.metadata.precept]
fail-level = "info"

[workspace.metadata.precept.rules]
missing-timeout = "error"
"#;
    let config = Config::parse_cargo_toml(text, Path::new("/work/ws/Cargo.toml"), &known)
        .unwrap()
        .unwrap();
    let mut editor = BTreeMap::new();
    editor.insert("missing-timeout".to_owned(), Severity::Off);
    editor.insert("sql-injection".to_owned(), Severity::On(Level::Hint));
    insta::assert_snapshot!(config.with_severity_overrides(&editor).describe());
}
