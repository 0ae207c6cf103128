//! File roles and out-of-line `#[cfg(test)]` modules on a real crate layout, read from
//! disk the way the CLI does.

#![allow(clippy::unwrap_used)] // A failed unwrap is a failed test.

use std::fs;
use std::path::Path;

use precept_rules::config::read_from_disk;
use precept_rules::project::{
    file_role, is_test_module_file, module_facts, normalize_path, FileRole,
};

fn write(root: &Path, rel: &str, text: &str) {
    let path = root.join(rel);
    if let Some(parent) = path.parent() {
        fs::create_dir_all(parent).unwrap();
    }
    fs::write(&path, text).unwrap();
}

#[test]
fn cfg_test_module_tree_on_disk() {
    let dir = tempfile::tempdir().unwrap();
    let root = normalize_path(dir.path());
    write(&root, "Cargo.toml", "[package]\nname = \"svc\"\n");
    write(
        &root,
        "src/lib.rs",
        "//! Service.\npub mod api;\npub mod store;\n",
    );
    // foo.rs style: src/api.rs declares the test module, which has a child.
    write(
        &root,
        "src/api.rs",
        "pub fn handler() {}\n\n#[cfg(test)]\n#[path = \"api/tests.rs\"]\nmod tests;\nmod util;\n",
    );
    write(
        &root,
        "src/api/tests.rs",
        "mod fixtures;\n#[test]\nfn t() {}\n",
    );
    write(&root, "src/api/tests/fixtures.rs", "");
    write(&root, "src/api/util.rs", "pub fn helper() {}\n");
    // mod.rs style, with a visibility and a doc comment in between.
    write(
        &root,
        "src/store/mod.rs",
        "/// Tests.\n#[cfg(test)]\npub(crate) mod tests;\npub mod pg;\n",
    );
    write(&root, "src/store/tests/mod.rs", "mod pg_tests;\n");
    write(&root, "src/store/tests/pg_tests.rs", "");
    write(&root, "src/store/pg.rs", "");

    let manifest = Some(root.as_path());
    let check = |rel: &str| is_test_module_file(&root.join(rel), manifest, &read_from_disk);
    assert!(check("src/api/tests.rs"));
    assert!(check("src/api/tests/fixtures.rs"));
    assert!(!check("src/api/util.rs"));
    assert!(!check("src/api.rs"));
    assert!(check("src/store/tests/mod.rs"));
    assert!(check("src/store/tests/pg_tests.rs"));
    assert!(!check("src/store/pg.rs"));
    assert!(!check("src/lib.rs"));
    assert!(!check("src/missing/deep.rs"));

    // Unsaved buffers win over the disk: removing the attribute in the editor makes
    // the module production code at once.
    let edited = root.join("src/api.rs");
    let read = |p: &Path| {
        if p == edited {
            Ok(Some("mod tests;\n".to_owned()))
        } else {
            read_from_disk(p)
        }
    };
    assert!(!is_test_module_file(
        &root.join("src/api/tests/fixtures.rs"),
        manifest,
        &read
    ));
}

#[test]
fn private_module_chains_on_disk() {
    let dir = tempfile::tempdir().unwrap();
    let root = normalize_path(dir.path());
    write(&root, "Cargo.toml", "[package]\nname = \"lib\"\n");
    write(
        &root,
        "src/lib.rs",
        "pub mod api;\nmod runtime;\npub(crate) mod store;\npub mod nested {\n    mod inner;\n    pub mod open;\n}\n",
    );
    write(&root, "src/api.rs", "pub mod v1;\nmod helpers;\n");
    write(&root, "src/api/v1.rs", "");
    write(&root, "src/api/helpers.rs", "");
    write(&root, "src/runtime.rs", "pub mod deep;\n");
    write(&root, "src/runtime/deep.rs", "");
    write(&root, "src/store.rs", "");
    write(&root, "src/nested/inner.rs", "");
    write(&root, "src/nested/open.rs", "");

    let manifest = Some(root.as_path());
    let private = |rel: &str| module_facts(&root.join(rel), manifest, &read_from_disk).private;
    assert!(!private("src/lib.rs"));
    assert!(!private("src/api.rs"));
    assert!(!private("src/api/v1.rs"));
    assert!(private("src/api/helpers.rs"));
    assert!(private("src/runtime.rs"));
    assert!(private("src/runtime/deep.rs"));
    assert!(private("src/store.rs"));
    assert!(private("src/nested/inner.rs"));
    assert!(!private("src/nested/open.rs"));
    // Not declared anywhere: nothing is known.
    assert!(!private("src/orphan.rs"));
}

#[test]
fn file_roles_for_a_table_of_paths() {
    let manifest = Path::new("/srv/app");
    let table = [
        ("src/lib.rs", FileRole::Lib),
        ("src/handlers/users.rs", FileRole::Lib),
        ("src/main.rs", FileRole::Bin),
        ("src/bin/migrate.rs", FileRole::Bin),
        ("src/bin/admin/main.rs", FileRole::Bin),
        ("tests/api.rs", FileRole::Test),
        ("tests/common/mod.rs", FileRole::Test),
        ("benches/throughput.rs", FileRole::Test),
        ("examples/client.rs", FileRole::Example),
        ("build.rs", FileRole::BuildScript),
        ("xtask/gen.rs", FileRole::Other),
    ];
    for (rel, want) in table {
        assert_eq!(
            file_role(&manifest.join(rel), Some(manifest)),
            want,
            "{rel}"
        );
        assert_eq!(want.as_str(), want.to_string());
    }
}
