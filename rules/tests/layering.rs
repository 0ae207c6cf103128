//! The dependency arrow: `precept-rules` knows nothing of LSP, async runtimes,
//! terminals or workspace walking. This test reads the real dependency graph.

use std::process::Command;

const FORBIDDEN: &[&str] = &[
    "tower",
    "tower-lsp-server",
    "tower-lsp",
    "ls-types",
    "lsp-types",
    "tokio",
    "ropey",
    "clap",
    "annotate-snippets",
    "anstream",
    "ignore",
    "rayon",
];

#[test]
fn rules_crate_has_no_front_end_dependencies() {
    let output = Command::new(env!("CARGO"))
        .args([
            "tree",
            "-p",
            "precept-rules",
            "-e",
            "normal",
            "--prefix",
            "none",
            "--offline",
        ])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output();
    let output = match output {
        Ok(o) if o.status.success() => o,
        Ok(o) => panic!("cargo tree failed: {}", String::from_utf8_lossy(&o.stderr)),
        Err(e) => panic!("cannot run cargo tree: {e}"),
    };
    let tree = String::from_utf8_lossy(&output.stdout);
    let crates: Vec<&str> = tree
        .lines()
        .filter_map(|l| l.split_whitespace().next())
        .collect();
    assert!(
        crates.contains(&"syn"),
        "unexpected cargo tree output:\n{tree}"
    );
    for bad in FORBIDDEN {
        assert!(
            !crates.contains(bad),
            "precept-rules depends on `{bad}`:\n{tree}"
        );
    }
}
