//! Configuration discovery on a real directory tree: the nearest config wins whole,
//! `precept.toml` beats Cargo.toml metadata in the same directory, `[package]` metadata
//! beats `[workspace]` metadata, and the cache reads each candidate file once.

#![allow(clippy::unwrap_used)] // A failed unwrap is a failed test.

use std::cell::RefCell;
use std::collections::HashMap;
use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use precept_rules::config::{
    self, Config, ConfigCache, ConfigSource, PACKAGE_TABLE, WORKSPACE_TABLE,
};
use precept_rules::{Level, Severity};

fn known(id: &str) -> bool {
    matches!(id, "unwrap-in-boundary" | "missing-timeout")
}

fn write(root: &Path, rel: &str, text: &str) -> PathBuf {
    let path = root.join(rel);
    if let Some(parent) = path.parent() {
        fs::create_dir_all(parent).unwrap();
    }
    fs::write(&path, text).unwrap();
    path
}

/// A workspace with configs at several levels:
///
/// ```text
/// Cargo.toml                 [workspace.metadata.precept] fail-level = "error"
/// crates/a/Cargo.toml        [package.metadata.precept] and [workspace.metadata.precept]
/// crates/b/Cargo.toml        no metadata
/// crates/b/precept.toml      fail-level = "hint"
/// crates/b/sub/Cargo.toml    [package.metadata.precept], beside a precept.toml
/// crates/b/sub/precept.toml  fail-level = "info"
/// crates/c/Cargo.toml        no metadata (root config applies)
/// ```
fn tree() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    write(
        root,
        "Cargo.toml",
        "[workspace]\nmembers = [\"crates/*\"]\n[workspace.metadata.precept]\nfail-level = \"error\"\n\
         exclude = [\"crates/c/generated/**\"]\n",
    );
    write(
        root,
        "crates/a/Cargo.toml",
        "[package]\nname = \"a\"\n[package.metadata.precept]\nfail-level = \"warning\"\n\
         [workspace.metadata.precept]\nfail-level = \"hint\"\n",
    );
    write(root, "crates/b/Cargo.toml", "[package]\nname = \"b\"\n");
    write(
        root,
        "crates/b/precept.toml",
        "fail-level = \"hint\"\n[rules]\nmissing-timeout = \"off\"\n",
    );
    write(
        root,
        "crates/b/sub/Cargo.toml",
        "[package]\nname = \"sub\"\n[package.metadata.precept]\nfail-level = \"error\"\n",
    );
    write(root, "crates/b/sub/precept.toml", "fail-level = \"info\"\n");
    write(root, "crates/c/Cargo.toml", "[package]\nname = \"c\"\n");
    dir
}

fn discover(file: &Path) -> Config {
    config::discover(file, &config::read_from_disk, &known).unwrap()
}

#[test]
fn nearest_config_wins_whole() {
    let dir = tree();
    let root = precept_rules::project::normalize_path(dir.path());

    let a = discover(&root.join("crates/a/src/lib.rs"));
    assert_eq!(
        a.source,
        ConfigSource::CargoMetadata {
            path: root.join("crates/a/Cargo.toml"),
            table: PACKAGE_TABLE
        }
    );
    assert_eq!(a.fail_level, Level::Warning);
    assert_eq!(a.dir, root.join("crates/a"));

    let b = discover(&root.join("crates/b/src/deep/mod.rs"));
    assert_eq!(
        b.source,
        ConfigSource::PreceptToml(root.join("crates/b/precept.toml"))
    );
    assert_eq!(b.fail_level, Level::Hint);
    assert_eq!(
        b.severity_for("missing-timeout", &root.join("crates/b/src/lib.rs")),
        Some(Severity::Off)
    );

    // precept.toml beats the Cargo.toml metadata in the same directory, and nothing
    // is merged from the configs further up.
    let sub = discover(&root.join("crates/b/sub/src/lib.rs"));
    assert_eq!(
        sub.source,
        ConfigSource::PreceptToml(root.join("crates/b/sub/precept.toml"))
    );
    assert_eq!(sub.fail_level, Level::Info);
    assert_eq!(
        sub.severity_for("missing-timeout", &root.join("crates/b/sub/src/lib.rs")),
        None
    );

    let c = discover(&root.join("crates/c/src/lib.rs"));
    assert_eq!(
        c.source,
        ConfigSource::CargoMetadata {
            path: root.join("Cargo.toml"),
            table: WORKSPACE_TABLE
        }
    );
    assert_eq!(c.fail_level, Level::Error);
    // Excludes are relative to the directory of the config that holds them.
    assert!(c.is_excluded(&root.join("crates/c/generated/x.rs")));
    assert!(!c.is_excluded(&root.join("crates/c/src/lib.rs")));
}

#[test]
fn defaults_apply_from_the_nearest_manifest() {
    let dir = tempfile::tempdir().unwrap();
    let root = precept_rules::project::normalize_path(dir.path());
    write(&root, "proj/Cargo.toml", "[package]\nname = \"p\"\n");
    // The walk goes up to the file system root; hide whatever lies above the temp dir.
    let only_tmp = |path: &Path| {
        if path.starts_with(&root) {
            config::read_from_disk(path)
        } else {
            Ok(None)
        }
    };
    let config = config::discover(&root.join("proj/src/bin/tool.rs"), &only_tmp, &known).unwrap();
    assert_eq!(config.source, ConfigSource::Default);
    assert_eq!(config.dir, root.join("proj"));
    assert_eq!(config.fail_level, Level::Warning);

    // No manifest anywhere: defaults apply from the file's directory.
    let loose = config::discover(&root.join("scripts/x.rs"), &only_tmp, &known).unwrap();
    assert_eq!(loose.source, ConfigSource::Default);
    assert_eq!(loose.dir, root.join("scripts"));
}

#[test]
fn errors_name_the_file_and_line() {
    let dir = tree();
    let root = precept_rules::project::normalize_path(dir.path());
    write(
        &root,
        "crates/b/precept.toml",
        "fail-level = \"hint\"\n\n[rules]\nunwarp-in-boundary = \"error\"\n",
    );
    let err = config::discover(
        &root.join("crates/b/src/lib.rs"),
        &config::read_from_disk,
        &known,
    )
    .unwrap_err();
    assert_eq!(err.path, root.join("crates/b/precept.toml"));
    assert_eq!((err.line, err.column), (4, 1));
    assert_eq!(
        err.to_string(),
        format!(
            "{}:4:1: unknown rule `unwarp-in-boundary` in [rules]",
            root.join("crates/b/precept.toml").display()
        )
    );

    // A broken manifest on the way up is an error too, not a silent fallback.
    write(&root, "crates/c/Cargo.toml", "[package\nname = \"c\"\n");
    let err = config::discover(
        &root.join("crates/c/src/lib.rs"),
        &config::read_from_disk,
        &known,
    )
    .unwrap_err();
    assert_eq!(
        (err.path.clone(), err.line),
        (root.join("crates/c/Cargo.toml"), 1)
    );
    assert!(err.message.starts_with("invalid TOML: "), "{}", err.message);

    let unreadable =
        |_: &Path| -> io::Result<Option<String>> { Err(io::Error::other("disk on fire")) };
    let err = config::discover(&root.join("x.rs"), &unreadable, &known).unwrap_err();
    assert_eq!(err.path, root.join("precept.toml"));
    assert_eq!(err.message, "cannot read the file: disk on fire");
}

#[test]
fn unsaved_buffers_come_through_read() {
    let dir = tree();
    let root = precept_rules::project::normalize_path(dir.path());
    let buffer_path = root.join("crates/c/precept.toml");
    let read = |path: &Path| {
        if path == buffer_path {
            Ok(Some("fail-level = \"info\"\n".to_owned()))
        } else {
            config::read_from_disk(path)
        }
    };
    let config = config::discover(&root.join("crates/c/src/lib.rs"), &read, &known).unwrap();
    assert_eq!(
        config.source,
        ConfigSource::PreceptToml(buffer_path.clone())
    );
    assert_eq!(config.fail_level, Level::Info);
}

#[test]
fn cache_reads_each_candidate_once() {
    let dir = tree();
    let root = precept_rules::project::normalize_path(dir.path());
    let reads: RefCell<HashMap<PathBuf, usize>> = RefCell::new(HashMap::new());
    let read = |path: &Path| {
        *reads.borrow_mut().entry(path.to_path_buf()).or_default() += 1;
        if path.starts_with(&root) {
            config::read_from_disk(path)
        } else {
            Ok(None)
        }
    };
    let cache = ConfigCache::new();
    for i in 0..10_000 {
        let crate_dir = ["a", "b", "b/sub", "c"][i % 4];
        let file = root.join(format!("crates/{crate_dir}/src/m{}/f{i}.rs", i % 7));
        let config = cache.discover(&file, &read, &known).unwrap();
        if i % 50 == 0 {
            assert_eq!(*config, discover(&file), "{}", file.display());
        }
    }
    let reads = reads.into_inner();
    assert!(reads.values().all(|&n| n == 1), "{reads:?}");

    // After an edit, invalidation makes the change visible.
    write(&root, "crates/c/precept.toml", "fail-level = \"hint\"\n");
    let cache_read = |path: &Path| {
        if path.starts_with(&root) {
            config::read_from_disk(path)
        } else {
            Ok(None)
        }
    };
    let file = root.join("crates/c/src/lib.rs");
    assert_eq!(
        cache
            .discover(&file, &cache_read, &known)
            .unwrap()
            .fail_level,
        Level::Error
    );
    cache.invalidate(&root.join("crates/c/precept.toml"));
    assert_eq!(
        cache
            .discover(&file, &cache_read, &known)
            .unwrap()
            .fail_level,
        Level::Hint
    );
    // Other directories keep their entries.
    assert_eq!(
        cache
            .discover(&root.join("crates/a/src/lib.rs"), &cache_read, &known)
            .unwrap()
            .fail_level,
        Level::Warning
    );
}
