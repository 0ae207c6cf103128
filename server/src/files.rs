//! Which files the front ends look at, and how they read them: `precept check`,
//! `baseline`, `suppressions` and the language server's workspace scan all walk
//! and read through here, so they agree on what is checked.

use std::path::{Path, PathBuf};

use precept_rules::config::ConfigError;
use precept_rules::workspace::Resolver;

/// Rust files under the roots, honouring .gitignore and config excludes. Files
/// named explicitly are always included.
pub fn collect_files(
    roots: &[PathBuf],
    resolver: &Resolver,
    on_walk_error: &mut dyn FnMut(String),
) -> Result<Vec<PathBuf>, ConfigError> {
    let mut files = Vec::new();
    for root in roots {
        if root.is_file() {
            files.push(root.clone());
            continue;
        }
        // A file is skipped when the configuration of the directory being walked,
        // or its own, excludes it: `precept check .` leaves out what the root
        // config excludes even where a nested config does not.
        let root_config = resolver.config_for_dir(&precept_rules::workspace::absolute(root))?;
        let walker = ignore::WalkBuilder::new(root)
            .hidden(true)
            .git_ignore(true)
            .git_global(false)
            .require_git(false)
            .filter_entry(|e| e.file_name() != "target" && e.file_name() != ".precept_cache")
            .build();
        for entry in walker {
            let entry = match entry {
                Ok(e) => e,
                Err(e) => {
                    on_walk_error(e.to_string());
                    continue;
                }
            };
            let path = entry.path();
            if !entry.file_type().is_some_and(|t| t.is_file())
                || path.extension().is_none_or(|e| e != "rs")
            {
                continue;
            }
            let abs = precept_rules::workspace::absolute(path);
            let config = resolver.config_for(&abs)?;
            if config.is_excluded(&abs) || root_config.is_excluded(&abs) {
                continue;
            }
            files.push(path.to_path_buf());
        }
    }
    files.sort();
    files.dedup();
    Ok(files)
}

/// Marked `@generated` in its first lines: not checked, like rustfmt leaves it.
pub fn is_generated(text: &str) -> bool {
    text.lines()
        .take(10)
        .any(|l| l.trim_start().starts_with("//") && l.contains("@generated"))
}

/// A file's text, or why it cannot be checked: unreadable, over `limit` bytes
/// (`max-file-size`) or not UTF-8.
pub fn read_source(path: &Path, limit: u64) -> Result<String, String> {
    let meta = std::fs::metadata(path).map_err(|e| format!("cannot read: {e}"))?;
    if meta.len() > limit {
        return Err(format!(
            "file is {} bytes, over the {limit}-byte limit (max-file-size)",
            meta.len()
        ));
    }
    let bytes = std::fs::read(path).map_err(|e| format!("cannot read: {e}"))?;
    String::from_utf8(bytes).map_err(|_| "not valid UTF-8".to_owned())
}
