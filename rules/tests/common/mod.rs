//! Helpers shared by the rule test suites: building a file context from a fixture
//! header and running the analysis the way the CLI does.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::sync::Arc;

use precept_rules::analysis::{Analysis, Analyzer, FileContext};
use precept_rules::config::Config;
use precept_rules::crate_facts::CrateFacts;
use precept_rules::project;
use precept_rules::suppress::Date;

/// Root that fixture paths pretend to live under.
pub const ROOT: &str = "/fixture";

/// The fixed "today" of all rule tests, so expiry tests do not rot.
pub const TODAY: Date = Date {
    year: 2026,
    month: 11,
    day: 22,
};

/// A fixture's header: `// fixture-path: src/x.rs`, `// fixture-deps: a@1[f1 f2], b@0.12`,
/// `// fixture-config:` lines that together form a precept.toml, `// fixture-bin` (the
/// crate has a `src/main.rs`), `// fixture-lib` (the crate has a library target,
/// implied by the path `src/lib.rs`) and `// fixture-private-module` (the file is
/// declared as a private module, `mod x;`).
#[derive(Debug, Default)]
pub struct Header {
    pub path: String,
    pub deps: Vec<(String, String, Vec<String>)>,
    pub config: String,
    pub has_main: bool,
    pub has_lib: bool,
    pub private_module: bool,
}

pub fn parse_header(text: &str) -> Header {
    let mut h = Header {
        path: "src/lib.rs".to_owned(),
        ..Header::default()
    };
    for line in text.lines().take_while(|l| l.starts_with("//")) {
        if let Some(p) = line.strip_prefix("// fixture-path:") {
            h.path = p.trim().to_owned();
        } else if let Some(d) = line.strip_prefix("// fixture-deps:") {
            for dep in d.split(',').map(str::trim).filter(|s| !s.is_empty()) {
                let (name_ver, features) = match dep.split_once('[') {
                    Some((nv, f)) => (
                        nv,
                        f.trim_end_matches(']')
                            .split_whitespace()
                            .map(str::to_owned)
                            .collect(),
                    ),
                    None => (dep, Vec::new()),
                };
                let (name, ver) = name_ver.split_once('@').unwrap_or((name_ver, "1"));
                h.deps.push((name.to_owned(), ver.to_owned(), features));
            }
        } else if let Some(c) = line.strip_prefix("// fixture-config:") {
            h.config.push_str(c.trim());
            h.config.push('\n');
        } else if line.starts_with("// fixture-bin") {
            h.has_main = true;
        } else if line.starts_with("// fixture-lib") {
            h.has_lib = true;
        } else if line.starts_with("// fixture-private-module") {
            h.private_module = true;
        }
    }
    h
}

/// Deps every fixture gets unless it names its own: what a typical service has.
pub fn default_deps() -> Vec<(String, String, Vec<String>)> {
    vec![
        ("tokio".into(), "1".into(), vec!["full".into()]),
        ("reqwest".into(), "0.12".into(), vec![]),
        (
            "sqlx".into(),
            "0.8".into(),
            vec!["postgres".into(), "runtime-tokio".into()],
        ),
        ("axum".into(), "0.8".into(), vec![]),
        ("tonic".into(), "0.12".into(), vec![]),
        ("tracing".into(), "0.1".into(), vec![]),
        ("serde".into(), "1".into(), vec!["derive".into()]),
    ]
}

pub fn manifest(deps: &[(String, String, Vec<String>)]) -> String {
    let mut m = String::from("[package]\nname = \"fixture\"\nversion = \"0.1.0\"\nedition = \"2021\"\n\n[dependencies]\n");
    for (name, ver, features) in deps {
        let feats: Vec<String> = features.iter().map(|f| format!("\"{f}\"")).collect();
        m.push_str(&format!(
            "{name} = {{ version = \"{ver}\", features = [{}] }}\n",
            feats.join(", ")
        ));
    }
    m
}

pub fn context(header: &Header) -> FileContext {
    let root = PathBuf::from(ROOT);
    let deps = if header.deps.is_empty() {
        default_deps()
    } else {
        header.deps.clone()
    };
    let manifest_path = root.join("Cargo.toml");
    let facts = match CrateFacts::parse(&manifest_path, &manifest(&deps), None, None) {
        Ok(f) => f,
        Err(e) => panic!("fixture manifest: {e}"),
    };
    let facts = CrateFacts {
        has_main: facts.has_main || header.has_main,
        has_lib: facts.has_lib || header.has_lib || header.path == "src/lib.rs",
        ..facts
    };
    let config = if header.config.is_empty() {
        Config::default_for(&root)
    } else {
        match Config::parse_precept_toml(
            &header.config,
            &root.join("precept.toml"),
            &precept_rules::registry::is_known,
        ) {
            Ok(c) => c,
            Err(e) => panic!("fixture config: {e}"),
        }
    };
    let path = root.join(&header.path);
    FileContext {
        role: project::file_role(&path, Some(Path::new(ROOT))),
        test_module: false,
        private_module: header.private_module,
        crate_facts: Arc::new(facts),
        config: Arc::new(config),
        today: TODAY,
        baseline: None,
        path,
    }
}

pub fn analyze(text: &str, ctx: &FileContext) -> Analysis {
    let text = text.to_owned();
    let ctx = ctx.clone();
    match precept_rules::analysis::with_stack(move || Analyzer::new().analyze(&text, &ctx)) {
        Some(a) => a,
        None => panic!("analysis thread failed"),
    }
}
