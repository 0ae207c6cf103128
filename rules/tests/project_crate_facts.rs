//! Crate facts discovered on a real directory tree: the nearest `[package]`, its
//! workspace root (including `package.workspace` and `workspace.exclude`), Cargo.lock,
//! `src/main.rs`, and the per-manifest cache.

#![allow(clippy::unwrap_used)] // A failed unwrap is a failed test.

use std::cell::RefCell;
use std::collections::HashMap;
use std::fs;
use std::path::{Path, PathBuf};

use precept_rules::crate_facts::{self, CrateFacts, CrateFactsCache};
use precept_rules::project::normalize_path;

fn write(root: &Path, rel: &str, text: &str) {
    let path = root.join(rel);
    if let Some(parent) = path.parent() {
        fs::create_dir_all(parent).unwrap();
    }
    fs::write(&path, text).unwrap();
}

const LOCK: &str = r#"
version = 4
[[package]]
name = "api"
version = "0.1.0"
dependencies = ["reqwest", "tokio"]
[[package]]
name = "reqwest"
version = "0.12.9"
source = "registry+https://github.com/rust-lang/crates.io-index"
[[package]]
name = "tokio"
version = "1.41.1"
source = "registry+https://github.com/rust-lang/crates.io-index"
"#;

/// ```text
/// Cargo.toml              [workspace] with [workspace.dependencies], exclude = ["standalone"]
/// Cargo.lock
/// crates/api/Cargo.toml   workspace = true deps, src/main.rs
/// crates/lib/Cargo.toml   plain library, [[bin]] absent
/// crates/lib/src/nested/Cargo.toml   (none: files under src belong to lib)
/// standalone/Cargo.toml   excluded from the workspace, own Cargo.lock
/// elsewhere/pkg/Cargo.toml  package.workspace = "../../"
/// ```
fn tree() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let root = normalize_path(dir.path());
    write(
        &root,
        "Cargo.toml",
        "[workspace]\nmembers = [\"crates/*\"]\nexclude = [\"standalone\"]\n\
         [workspace.dependencies]\ntokio = { version = \"1\", features = [\"rt\"] }\n\
         reqwest = { version = \"0.12\", default-features = false }\n",
    );
    write(&root, "Cargo.lock", LOCK);
    write(
        &root,
        "crates/api/Cargo.toml",
        "[package]\nname = \"api\"\nversion = \"0.1.0\"\n[dependencies]\n\
         tokio = { workspace = true, features = [\"time\"] }\nreqwest.workspace = true\n",
    );
    write(&root, "crates/api/src/main.rs", "fn main() {}\n");
    write(&root, "crates/api/src/routes/users.rs", "");
    write(
        &root,
        "crates/lib/Cargo.toml",
        "[package]\nname = \"lib\"\n[dependencies]\nserde = \"1.0.200\"\n",
    );
    write(&root, "crates/lib/src/lib.rs", "");
    write(
        &root,
        "standalone/Cargo.toml",
        "[package]\nname = \"standalone\"\nversion = \"0.2.0\"\n[dependencies]\ntokio = \"1.30\"\n",
    );
    write(
        &root,
        "standalone/Cargo.lock",
        "[[package]]\nname = \"standalone\"\nversion = \"0.2.0\"\ndependencies = [\"tokio\"]\n\
         [[package]]\nname = \"tokio\"\nversion = \"1.30.5\"\nsource = \"registry+x\"\n",
    );
    write(
        &root,
        "elsewhere/pkg/Cargo.toml",
        "[package]\nname = \"pkg\"\nworkspace = \"../..\"\n[dependencies]\ntokio = { workspace = true }\n",
    );
    (dir, root)
}

/// Reads from disk inside the tree only, counting reads.
struct Reader {
    root: PathBuf,
    reads: RefCell<HashMap<PathBuf, usize>>,
}

impl Reader {
    fn read(&self, path: &Path) -> std::io::Result<Option<String>> {
        *self
            .reads
            .borrow_mut()
            .entry(path.to_path_buf())
            .or_default() += 1;
        if path.starts_with(&self.root) {
            precept_rules::config::read_from_disk(path)
        } else {
            Ok(None)
        }
    }
}

fn discover(root: &Path, rel: &str) -> CrateFacts {
    let reader = Reader {
        root: root.to_path_buf(),
        reads: RefCell::default(),
    };
    crate_facts::discover(&root.join(rel), &|p| reader.read(p)).unwrap()
}

#[test]
fn workspace_member_with_lock_and_main() {
    let (_dir, root) = tree();
    let facts = discover(&root, "crates/api/src/routes/users.rs");
    assert_eq!(
        facts.manifest_dir.as_deref(),
        Some(root.join("crates/api").as_path())
    );
    assert_eq!(facts.package_name.as_deref(), Some("api"));
    assert!(facts.has_main);
    let tokio = facts.dep("tokio").unwrap();
    assert_eq!(tokio.version_req.as_deref(), Some("1"));
    assert_eq!(tokio.locked_version.as_deref(), Some("1.41.1"));
    assert!(facts.has_feature("tokio", "rt") && facts.has_feature("tokio", "time"));
    assert_eq!(facts.version("reqwest"), Some((0, 12)));
    assert!(!facts.dep("reqwest").unwrap().default_features);
}

#[test]
fn library_without_main() {
    let (_dir, root) = tree();
    let facts = discover(&root, "crates/lib/src/lib.rs");
    assert_eq!(facts.package_name.as_deref(), Some("lib"));
    assert!(!facts.has_main);
    // Not in the lock: the requirement gives the version.
    assert_eq!(
        facts.dep("serde").and_then(|d| d.locked_version.clone()),
        None
    );
    assert_eq!(facts.version("serde"), Some((1, 0)));
}

#[test]
fn excluded_package_uses_its_own_lock() {
    let (_dir, root) = tree();
    let facts = discover(&root, "standalone/src/main.rs");
    assert_eq!(facts.package_name.as_deref(), Some("standalone"));
    assert_eq!(
        facts.dep("tokio").and_then(|d| d.locked_version.as_deref()),
        Some("1.30.5")
    );
    assert!(!facts.has_main, "src/main.rs was not created");
}

#[test]
fn explicit_workspace_path() {
    let (_dir, root) = tree();
    let facts = discover(&root, "elsewhere/pkg/src/lib.rs");
    let tokio = facts.dep("tokio").unwrap();
    assert_eq!(tokio.version_req.as_deref(), Some("1"));
    assert!(facts.has_feature("tokio", "rt"));
}

#[test]
fn outside_any_package() {
    let (_dir, root) = tree();
    assert_eq!(discover(&root, "scripts/gen.rs"), CrateFacts::none());
    // The virtual workspace manifest is not a package.
    assert_eq!(discover(&root, "tools.rs"), CrateFacts::none());
}

#[test]
fn broken_manifest_is_an_error_with_its_line() {
    let (_dir, root) = tree();
    write(
        &root,
        "crates/lib/Cargo.toml",
        "[package]\nname = \"lib\"\n[dependencies\nserde = \"1\"\n",
    );
    let reader = Reader {
        root: root.clone(),
        reads: RefCell::default(),
    };
    let err = crate_facts::discover(&root.join("crates/lib/src/lib.rs"), &|p| reader.read(p))
        .unwrap_err();
    assert_eq!(err.path, root.join("crates/lib/Cargo.toml"));
    assert_eq!(err.line, 3);
    assert!(err.to_string().contains("Cargo.toml:3:"), "{err}");
}

#[test]
fn cache_reads_each_file_once_and_invalidates() {
    let (_dir, root) = tree();
    let reader = Reader {
        root: root.clone(),
        reads: RefCell::default(),
    };
    let read = |p: &Path| reader.read(p);
    let cache = CrateFactsCache::new();
    for i in 0..2_000 {
        let krate = ["api", "lib"][i % 2];
        let file = root.join(format!("crates/{krate}/src/m{}/f{i}.rs", i % 5));
        let facts = cache.discover(&file, &read).unwrap();
        assert_eq!(facts.package_name.as_deref(), Some(krate));
    }
    let counts = reader.reads.borrow().clone();
    assert!(counts.values().all(|&n| n == 1), "{counts:?}");

    // A lock file change reaches the members that read it.
    let first = cache
        .discover(&root.join("crates/api/src/main.rs"), &read)
        .unwrap();
    assert_eq!(first.version("tokio"), Some((1, 41)));
    write(&root, "Cargo.lock", &LOCK.replace("1.41.1", "1.43.0"));
    cache.invalidate(&root.join("Cargo.lock"));
    let second = cache
        .discover(&root.join("crates/api/src/main.rs"), &read)
        .unwrap();
    assert_eq!(second.version("tokio"), Some((1, 43)));
    assert_ne!(first.digest(), second.digest());
}
