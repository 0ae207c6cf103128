//! Where a file sits in its crate: its role (library, binary, test, example, build
//! script) and whether it is an out-of-line module compiled only under `cfg(test)`.
//!
//! Everything here works on paths and on the text of a few parent module files, never
//! on the file system directly: text comes through a `read` callback so that the
//! language server can supply unsaved editor buffers. The path helpers at the bottom
//! ([`normalize_path`], [`relative_slash_path`]) are shared with the configuration and
//! crate-facts modules so that all three agree on what "relative to a directory" means.

use std::fmt;
use std::io;
use std::path::{Component, Path, PathBuf};

/// What kind of target a file belongs to, from its place in the crate layout.
///
/// Rules treat [`FileRole::Other`] (a Rust file outside the conventional layout, such
/// as a file under `scripts/` or a target with a custom `path`) exactly like
/// [`FileRole::Lib`]: when in doubt precept checks the code as production code.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum FileRole {
    /// The rest of `src/`: library code.
    Lib,
    /// `src/main.rs` and everything under `src/bin/`.
    Bin,
    /// Anything under `tests/` or `benches/`.
    Test,
    /// Anything under `examples/`.
    Example,
    /// `build.rs` at the crate root.
    BuildScript,
    /// Outside the conventional layout; rules treat it like [`FileRole::Lib`].
    Other,
}

impl FileRole {
    /// The kebab-case name used in RULES.md and in output.
    pub fn as_str(self) -> &'static str {
        match self {
            FileRole::Lib => "lib",
            FileRole::Bin => "bin",
            FileRole::Test => "test",
            FileRole::Example => "example",
            FileRole::BuildScript => "build-script",
            FileRole::Other => "other",
        }
    }
}

impl fmt::Display for FileRole {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The role of `file` in its crate.
///
/// The path is taken relative to `manifest_dir` (the directory of the crate's
/// `Cargo.toml`): `tests/**` and `benches/**` are [`FileRole::Test`], `examples/**` is
/// [`FileRole::Example`], `build.rs` is [`FileRole::BuildScript`], `src/main.rs` and
/// `src/bin/**` are [`FileRole::Bin`], the rest of `src/**` is [`FileRole::Lib`], and
/// anything else is [`FileRole::Other`] (which rules treat like `Lib`).
///
/// Without a manifest directory, or when the file is not under it, the crate root is
/// guessed from the path: the innermost `src` component if there is one (so
/// `src/tests/x.rs` stays library code), otherwise the innermost `tests`, `benches` or
/// `examples` component; a lone `build.rs` is a build script.
pub fn file_role(file: &Path, manifest_dir: Option<&Path>) -> FileRole {
    let file = normalize_path(file);
    if let Some(dir) = manifest_dir {
        if let Some(rel) = relative_components(&file, &normalize_path(dir)) {
            return role_from_relative(&rel);
        }
    }
    let parts = path_names(&file);
    match guess_layout_root(&parts) {
        Some(start) => role_from_relative(&parts[start..]),
        None if parts.last().map(String::as_str) == Some("build.rs") => FileRole::BuildScript,
        None => FileRole::Other,
    }
}

/// Role of a path given as names relative to the crate root.
fn role_from_relative(rel: &[String]) -> FileRole {
    let first = rel.first().map(String::as_str);
    match first {
        Some("tests") | Some("benches") if rel.len() > 1 => FileRole::Test,
        Some("examples") if rel.len() > 1 => FileRole::Example,
        Some("build.rs") if rel.len() == 1 => FileRole::BuildScript,
        Some("src") if rel.len() > 1 => {
            let second = rel[1].as_str();
            if (second == "main.rs" && rel.len() == 2) || (second == "bin" && rel.len() > 2) {
                FileRole::Bin
            } else {
                FileRole::Lib
            }
        }
        _ => FileRole::Other,
    }
}

/// Index of the component that starts the conventional layout when the manifest
/// directory is unknown.
fn guess_layout_root(parts: &[String]) -> Option<usize> {
    // The last component is the file itself, never a layout directory.
    let dirs = parts.len().saturating_sub(1);
    let innermost = |names: &[&str]| {
        (0..dirs)
            .rev()
            .find(|&i| names.contains(&parts[i].as_str()))
    };
    innermost(&["src"]).or_else(|| innermost(&["tests", "benches", "examples"]))
}

/// Whether `file` is an out-of-line module that is only compiled for tests: some module
/// declaration on the chain from the crate root (`src/lib.rs`, `src/main.rs`,
/// `src/bin/<name>/main.rs`) down to the file is `#[cfg(test)]` (also
/// `#[cfg(all(test, ..))]`), directly or through an enclosing inline module, or a
/// parent module file starts with `#![cfg(test)]`.
///
/// Only files under the crate's `src/` are considered (files under `tests/` are test
/// code by role already). `#[path]` attributes and modules declared by macros are not
/// followed. The parents are read through `read`; a missing or unreadable parent, or a
/// chain that cannot be followed, gives `false`. The file's own text is not read: an
/// inner `#![cfg(test)]` in the file itself is the caller's business.
///
/// Each call reads the files on the chain again; callers checking many files should
/// give a memoising `read`.
pub fn is_test_module_file(
    file: &Path,
    manifest_dir: Option<&Path>,
    read: &dyn Fn(&Path) -> io::Result<Option<String>>,
) -> bool {
    module_facts(file, manifest_dir, read).test
}

/// What the module declarations from the crate root down to `file` say about it:
/// whether it is test code (see [`is_test_module_file`]) and whether some step is
/// not plain `pub`. Chains that cannot be followed say nothing (both `false`).
pub fn module_facts(
    file: &Path,
    manifest_dir: Option<&Path>,
    read: &dyn Fn(&Path) -> io::Result<Option<String>>,
) -> ModuleFacts {
    let file = normalize_path(file);
    let in_manifest = manifest_dir.and_then(|dir| {
        let dir = normalize_path(dir);
        relative_components(&file, &dir).map(|rel| (dir, rel))
    });
    let (src_dir, rel) = match in_manifest {
        Some((dir, rel)) => {
            if rel.first().map(String::as_str) != Some("src") {
                return ModuleFacts::default();
            }
            (dir.join("src"), rel[1..].to_vec())
        }
        None => {
            let parts = path_names(&file);
            let dirs = parts.len().saturating_sub(1);
            let Some(i) = (0..dirs).rev().find(|&i| parts[i] == "src") else {
                return ModuleFacts::default();
            };
            let mut src_dir = file.clone();
            for _ in i + 1..parts.len() {
                src_dir.pop();
            }
            (src_dir, parts[i + 1..].to_vec())
        }
    };
    let Some((base, roots, segments)) = module_path(&src_dir, &rel) else {
        return ModuleFacts::default();
    };
    let chains: Vec<ModuleFacts> = roots
        .iter()
        .filter_map(|root| module_chain(&base, root, &segments, read))
        .collect();
    ModuleFacts {
        test: chains.iter().any(|c| c.test),
        private: chains.iter().any(|c| c.private),
    }
}

/// Splits a path relative to `src/` into the directory module files are found under,
/// the crate root files that may declare the first segment, and the module path.
/// Returns `None` for crate roots and for paths that are not Rust modules.
fn module_path(src_dir: &Path, rel: &[String]) -> Option<(PathBuf, Vec<PathBuf>, Vec<String>)> {
    let (file_name, dirs) = rel.split_last()?;
    let stem = file_name.strip_suffix(".rs")?;
    let mut segments: Vec<String> = dirs.to_vec();
    if stem != "mod" {
        segments.push(stem.to_owned());
    }
    if dirs.first().map(String::as_str) == Some("bin") {
        // `src/bin/<name>.rs` and `src/bin/<name>/main.rs` are crate roots; the
        // modules of the latter live beside it in `src/bin/<name>/`.
        if dirs.len() < 2 || (dirs.len() == 2 && stem == "main") {
            return None;
        }
        let base = src_dir.join("bin").join(&dirs[1]);
        let root = base.join("main.rs");
        return Some((base, vec![root], segments.split_off(2)));
    }
    if dirs.is_empty() && matches!(stem, "lib" | "main") {
        return None;
    }
    if segments.is_empty() {
        // `src/mod.rs` is not a module of anything.
        return None;
    }
    let roots = vec![src_dir.join("lib.rs"), src_dir.join("main.rs")];
    Some((src_dir.to_path_buf(), roots, segments))
}

/// What the declarations leading to a module file say about it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ModuleFacts {
    /// Some step is declared under `cfg(test)`: the file is test code.
    pub test: bool,
    /// Some step is declared without a plain `pub` (private or `pub(crate)`): the
    /// file's `pub` items do not leave the crate unless something re-exports them.
    pub private: bool,
}

/// Follows the module declarations from `root` down to `segments`. `None` when the
/// chain cannot be followed; stops at the first test-only step.
fn module_chain(
    base: &Path,
    root: &Path,
    segments: &[String],
    read: &dyn Fn(&Path) -> io::Result<Option<String>>,
) -> Option<ModuleFacts> {
    let Ok(Some(mut text)) = read(root) else {
        return None;
    };
    let mut facts = ModuleFacts::default();
    // Index of the first segment whose module is the current file's root module.
    let mut file_start = 0;
    for (i, name) in segments.iter().enumerate() {
        let decl = find_module_decl(&text, &segments[file_start..i], name)?;
        facts.private |= !decl.public;
        if decl.test {
            facts.test = true;
            return Some(facts);
        }
        if i + 1 == segments.len() {
            // The file itself is declared here, without cfg(test). An inline module of
            // the same name would not be the file, but it cannot be both anyway.
            return Some(facts);
        }
        if decl.inline {
            continue;
        }
        // The next declaration lives in this module's own file.
        let dir = segments[..=i]
            .iter()
            .fold(base.to_path_buf(), |p, s| p.join(s));
        let flat = dir.with_extension("rs");
        let nested = dir.join("mod.rs");
        text = match read(&flat) {
            Ok(Some(t)) => t,
            _ => match read(&nested) {
                Ok(Some(t)) => t,
                _ => return None,
            },
        };
        file_start = i + 1;
    }
    None
}

/// A module declaration found by [`find_module_decl`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct ModDecl {
    /// `mod name { .. }` rather than `mod name;`.
    inline: bool,
    /// Declared under cfg(test), directly, through an enclosing inline module, or
    /// because the file opens with `#![cfg(test)]`.
    test: bool,
    /// Declared with a plain `pub` (the enclosing inline modules are not considered).
    public: bool,
}

/// What a `{` opened, so that the matching `}` can restore the scan state.
enum Frame {
    /// An inline module: its name and whether it (or an ancestor) is test-only.
    Module { name: String, test: bool },
    /// Anything else (function bodies, impls, struct bodies, macro bodies); module
    /// declarations inside are not followed.
    Other,
}

/// Finds the declaration of module `name` inside the inline modules `inline_path` of a
/// file, with a token scan that skips comments, strings, raw strings and character
/// literals. It never recurses on the input's nesting and does constant work per
/// token (beyond comparing the short `inline_path`), so no input can overflow the
/// stack or take quadratic time, and it never panics on malformed code.
fn find_module_decl(text: &str, inline_path: &[String], name: &str) -> Option<ModDecl> {
    let tokens = tokenize(text);
    let mut frames: Vec<Frame> = Vec::new();
    // Counters kept alongside `frames` so that each token costs O(1).
    let mut other_depth = 0usize;
    let mut test_depth = 0usize;
    let mut file_is_test = false;
    // Set by a `#[cfg(test)]`-like outer attribute until the item it belongs to.
    let mut pending_test = false;
    // Set by a plain `pub` (not `pub(crate)`) until the item it belongs to.
    let mut pending_pub = false;
    let mut i = 0;
    while i < tokens.len() {
        let at_module_level = other_depth == 0;
        match &tokens[i] {
            Tok::Punct('#') => {
                let inner = matches!(tokens.get(i + 1), Some(Tok::Punct('!')));
                let open = if inner { i + 2 } else { i + 1 };
                if !matches!(tokens.get(open), Some(Tok::Open('['))) {
                    i += 1;
                    continue;
                }
                let close = matching_close(&tokens, open);
                let is_test = attr_is_cfg_test(tokens.get(open + 1..close).unwrap_or(&[]));
                if at_module_level && is_test {
                    if !inner {
                        pending_test = true;
                    } else if let Some(Frame::Module { test, .. }) = frames.last_mut() {
                        if !*test {
                            *test = true;
                            test_depth += 1;
                        }
                    } else {
                        file_is_test = true;
                    }
                }
                i = close + 1;
                continue;
            }
            Tok::Ident(word) if word == "pub" => {
                // Visibility keeps the pending attributes; skip `(crate)` etc.
                i += 1;
                pending_pub = true;
                if matches!(tokens.get(i), Some(Tok::Open('('))) {
                    pending_pub = false;
                    i = matching_close(&tokens, i) + 1;
                }
                continue;
            }
            Tok::Ident(word) if word == "mod" && at_module_level => {
                let Some(Tok::Ident(found)) = tokens.get(i + 1) else {
                    pending_test = false;
                    pending_pub = false;
                    i += 1;
                    continue;
                };
                let found = found.strip_prefix("r#").unwrap_or(found);
                let test = pending_test || test_depth > 0 || file_is_test;
                let public = pending_pub;
                let inline = match tokens.get(i + 2) {
                    Some(Tok::Punct(';')) => false,
                    Some(Tok::Open('{')) => true,
                    _ => {
                        pending_test = false;
                        pending_pub = false;
                        i += 2;
                        continue;
                    }
                };
                let here = frames.len() == inline_path.len()
                    && frames
                        .iter()
                        .zip(inline_path)
                        .all(|(f, want)| matches!(f, Frame::Module { name, .. } if name == want));
                if here && found == name {
                    return Some(ModDecl {
                        inline,
                        test,
                        public,
                    });
                }
                if inline {
                    if test {
                        test_depth += 1;
                    }
                    frames.push(Frame::Module {
                        name: found.to_owned(),
                        test,
                    });
                }
                pending_test = false;
                pending_pub = false;
                i += 3;
                continue;
            }
            Tok::Open('{') => {
                other_depth += 1;
                frames.push(Frame::Other);
            }
            Tok::Close('}') => match frames.pop() {
                Some(Frame::Other) => other_depth = other_depth.saturating_sub(1),
                Some(Frame::Module { test: true, .. }) => test_depth = test_depth.saturating_sub(1),
                _ => {}
            },
            _ => {}
        }
        pending_test = false;
        pending_pub = false;
        i += 1;
    }
    None
}

/// Index of the token closing the group opened at `open`, or the last index when the
/// group is never closed.
fn matching_close(tokens: &[Tok], open: usize) -> usize {
    let mut depth = 0usize;
    for (j, tok) in tokens.iter().enumerate().skip(open) {
        match tok {
            Tok::Open(_) => depth += 1,
            Tok::Close(_) => {
                depth = depth.saturating_sub(1);
                if depth == 0 {
                    return j;
                }
            }
            _ => {}
        }
    }
    tokens.len().saturating_sub(1).max(open)
}

/// Whether the tokens inside `#[...]` are a `cfg` whose predicate can only hold when
/// compiling tests.
fn attr_is_cfg_test(attr: &[Tok]) -> bool {
    match (attr.first(), attr.get(1)) {
        (Some(Tok::Ident(cfg)), Some(Tok::Open('('))) if cfg == "cfg" => {
            let end = matching_close(attr, 1);
            let inner = attr.get(2..end).unwrap_or(&[]);
            cfg_implies_test(inner, 0)
        }
        _ => false,
    }
}

/// Evaluates whether a cfg predicate implies `test`. `all(..)` needs one such
/// operand, `any(..)` needs all of them, `not(..)` never does. The depth bound keeps
/// absurd nesting from costing stack.
fn cfg_implies_test(pred: &[Tok], depth: usize) -> bool {
    if depth > 32 {
        return false;
    }
    match (pred.first(), pred.get(1)) {
        (Some(Tok::Ident(word)), None) => word == "test",
        (Some(Tok::Ident(op)), Some(Tok::Open('('))) => {
            let end = matching_close(pred, 1);
            let args = split_args(pred.get(2..end).unwrap_or(&[]));
            match op.as_str() {
                "all" => args.iter().any(|a| cfg_implies_test(a, depth + 1)),
                "any" => !args.is_empty() && args.iter().all(|a| cfg_implies_test(a, depth + 1)),
                _ => false,
            }
        }
        _ => false,
    }
}

/// Splits a token list at top-level commas.
fn split_args(tokens: &[Tok]) -> Vec<&[Tok]> {
    let mut args = Vec::new();
    let mut depth = 0usize;
    let mut start = 0;
    for (j, tok) in tokens.iter().enumerate() {
        match tok {
            Tok::Open(_) => depth += 1,
            Tok::Close(_) => depth = depth.saturating_sub(1),
            Tok::Punct(',') if depth == 0 => {
                args.push(&tokens[start..j]);
                start = j + 1;
            }
            _ => {}
        }
    }
    if start < tokens.len() {
        args.push(&tokens[start..]);
    }
    args
}

/// The coarse tokens the module scan needs. Literals and lifetimes are dropped.
#[derive(Debug, PartialEq, Eq)]
enum Tok {
    Ident(String),
    Punct(char),
    Open(char),
    Close(char),
    Literal,
}

/// A forgiving Rust tokenizer: unterminated comments and strings run to the end of the
/// text instead of failing.
fn tokenize(text: &str) -> Vec<Tok> {
    let bytes = text.as_bytes();
    let mut tokens = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        match b {
            b'/' if bytes.get(i + 1) == Some(&b'/') => {
                i = memchr::memchr(b'\n', &bytes[i..]).map_or(bytes.len(), |n| i + n + 1);
            }
            b'/' if bytes.get(i + 1) == Some(&b'*') => i = skip_block_comment(bytes, i),
            b'"' => {
                i = skip_quoted(bytes, i + 1, b'"');
                tokens.push(Tok::Literal);
            }
            b'\'' => {
                i = skip_char_or_lifetime(text, i);
                tokens.push(Tok::Literal);
            }
            b'(' | b'[' | b'{' => {
                tokens.push(Tok::Open(b as char));
                i += 1;
            }
            b')' | b']' | b'}' => {
                tokens.push(Tok::Close(b as char));
                i += 1;
            }
            _ if b.is_ascii_digit() => {
                i += 1;
                while i < bytes.len() && (bytes[i].is_ascii_alphanumeric() || bytes[i] == b'_') {
                    i += 1;
                }
                tokens.push(Tok::Literal);
            }
            _ if b == b'_' || b.is_ascii_alphabetic() || b >= 0x80 => {
                let start = i;
                i = skip_ident(text, i);
                let word = &text[start..i];
                if let Some(end) = literal_after_prefix(bytes, word, i) {
                    i = end;
                    tokens.push(Tok::Literal);
                } else if word == "r"
                    && bytes.get(i) == Some(&b'#')
                    && bytes.get(i + 1).is_some_and(|c| is_ident_start(*c))
                {
                    // A raw identifier such as `r#type`.
                    let rest = skip_ident(text, i + 1);
                    tokens.push(Tok::Ident(format!("r#{}", &text[i + 1..rest])));
                    i = rest;
                } else if word.is_empty() {
                    // Non-identifier Unicode (stray punctuation); skip one character.
                    i += text[i..].chars().next().map_or(1, char::len_utf8);
                } else {
                    tokens.push(Tok::Ident(word.to_owned()));
                }
            }
            _ if b.is_ascii_whitespace() => i += 1,
            _ => {
                tokens.push(Tok::Punct(b as char));
                i += 1;
            }
        }
    }
    tokens
}

fn is_ident_start(b: u8) -> bool {
    b == b'_' || b.is_ascii_alphabetic() || b >= 0x80
}

/// End of the identifier starting at `start` (ASCII and Unicode alphanumerics).
fn skip_ident(text: &str, start: usize) -> usize {
    let mut end = start;
    for (offset, c) in text[start..].char_indices() {
        if c == '_' || c.is_alphanumeric() {
            end = start + offset + c.len_utf8();
        } else {
            break;
        }
    }
    end
}

/// When `word` is a string-literal prefix (`b`, `c`, `r`, `br`, `cr`) directly
/// followed by the literal, returns the end of the literal.
fn literal_after_prefix(bytes: &[u8], word: &str, at: usize) -> Option<usize> {
    match (word, bytes.get(at)) {
        ("b" | "c", Some(b'"')) => Some(skip_quoted(bytes, at + 1, b'"')),
        ("b", Some(b'\'')) => Some(skip_quoted(bytes, at + 1, b'\'')),
        ("r" | "br" | "cr", Some(b'"' | b'#')) => {
            let hashes = bytes[at..].iter().take_while(|&&c| c == b'#').count();
            if bytes.get(at + hashes) != Some(&b'"') {
                return None;
            }
            let mut j = at + hashes + 1;
            while j < bytes.len() {
                if bytes[j] == b'"'
                    && bytes[j + 1..]
                        .iter()
                        .take(hashes)
                        .filter(|&&c| c == b'#')
                        .count()
                        == hashes
                {
                    return Some(j + 1 + hashes);
                }
                j += 1;
            }
            Some(bytes.len())
        }
        _ => None,
    }
}

/// Skips a quoted literal whose body starts at `start`, honouring backslash escapes.
fn skip_quoted(bytes: &[u8], start: usize, quote: u8) -> usize {
    let mut j = start;
    while j < bytes.len() {
        match bytes[j] {
            b'\\' => j += 2,
            c if c == quote => return j + 1,
            _ => j += 1,
        }
    }
    bytes.len()
}

/// Skips `'x'`, `'\n'`, `'\u{..}'` or a lifetime / label starting at the quote.
fn skip_char_or_lifetime(text: &str, quote: usize) -> usize {
    let bytes = text.as_bytes();
    let rest = &text[quote + 1..];
    let mut chars = rest.chars();
    match chars.next() {
        None => bytes.len(),
        Some('\\') => {
            // An escaped char literal (`'\''`, `'\u{..}'`): the closing quote comes
            // after the backslash and the escaped character, within a few bytes.
            let limit = (quote + 16).min(bytes.len());
            (quote + 3..limit)
                .find(|&j| bytes[j] == b'\'')
                .map_or(quote + 2, |j| j + 1)
        }
        Some(c) => {
            if chars.next() == Some('\'') {
                quote + 1 + c.len_utf8() + 1
            } else {
                // A lifetime or loop label: the quote and the identifier.
                skip_ident(text, quote + 1).max(quote + 1)
            }
        }
    }
}

/// Skips a (nested) block comment starting at `start`.
fn skip_block_comment(bytes: &[u8], start: usize) -> usize {
    let mut depth = 0usize;
    let mut j = start;
    while j + 1 < bytes.len() {
        match (bytes[j], bytes[j + 1]) {
            (b'/', b'*') => {
                depth += 1;
                j += 2;
            }
            (b'*', b'/') => {
                depth = depth.saturating_sub(1);
                j += 2;
                if depth == 0 {
                    return j;
                }
            }
            _ => j += 1,
        }
    }
    bytes.len()
}

/// An absolute, lexically normalised version of `path`: relative paths are joined to
/// the current directory, `.` components are dropped and `..` pops a component.
/// Symbolic links are not resolved (the file may not exist yet: unsaved buffers), so
/// two spellings of one file through a link stay different.
pub fn normalize_path(path: &Path) -> PathBuf {
    let joined;
    let path = if path.is_absolute() {
        path
    } else {
        match std::env::current_dir() {
            Ok(cwd) => {
                joined = cwd.join(path);
                &joined
            }
            Err(_) => path,
        }
    };
    let mut out = PathBuf::new();
    for component in path.components() {
        match component {
            Component::CurDir => {}
            Component::ParentDir => {
                if !out.pop() {
                    out.push(component);
                }
            }
            other => out.push(other),
        }
    }
    out
}

/// `file` relative to `dir` with `/` separators, after normalising both; `None` when
/// the file is not inside the directory. The directory itself gives `""`.
pub fn relative_slash_path(file: &Path, dir: &Path) -> Option<String> {
    relative_components(&normalize_path(file), &normalize_path(dir)).map(|parts| parts.join("/"))
}

/// Components of an already normalised `file` below an already normalised `dir`.
fn relative_components(file: &Path, dir: &Path) -> Option<Vec<String>> {
    let rel = file.strip_prefix(dir).ok()?;
    Some(
        rel.components()
            .map(|c| c.as_os_str().to_string_lossy().into_owned())
            .collect(),
    )
}

/// The names of a path's normal components (no root or prefix).
fn path_names(path: &Path) -> Vec<String> {
    path.components()
        .filter_map(|c| match c {
            Component::Normal(name) => Some(name.to_string_lossy().into_owned()),
            _ => None,
        })
        .collect()
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // A failed unwrap is a failed test.
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn roles(manifest: Option<&str>, cases: &[(&str, FileRole)]) {
        for (path, want) in cases {
            assert_eq!(
                file_role(Path::new(path), manifest.map(Path::new)),
                *want,
                "{path} with {manifest:?}"
            );
        }
    }

    #[test]
    fn roles_relative_to_manifest_dir() {
        roles(
            Some("/p/crate"),
            &[
                ("/p/crate/src/lib.rs", FileRole::Lib),
                ("/p/crate/src/a/b.rs", FileRole::Lib),
                ("/p/crate/src/tests/x.rs", FileRole::Lib),
                ("/p/crate/src/main.rs", FileRole::Bin),
                ("/p/crate/src/bin/tool.rs", FileRole::Bin),
                ("/p/crate/src/bin/tool/util.rs", FileRole::Bin),
                ("/p/crate/src/a/main.rs", FileRole::Lib),
                ("/p/crate/tests/it.rs", FileRole::Test),
                ("/p/crate/tests/common/mod.rs", FileRole::Test),
                ("/p/crate/benches/speed.rs", FileRole::Test),
                ("/p/crate/examples/demo.rs", FileRole::Example),
                ("/p/crate/examples/demo/main.rs", FileRole::Example),
                ("/p/crate/build.rs", FileRole::BuildScript),
                ("/p/crate/src/build.rs", FileRole::Lib),
                ("/p/crate/scripts/gen.rs", FileRole::Other),
                ("/p/crate/./src/../tests/x.rs", FileRole::Test),
                // Outside the manifest dir: guessed from the path.
                ("/elsewhere/src/main.rs", FileRole::Bin),
            ],
        );
    }

    #[test]
    fn roles_guessed_without_manifest() {
        roles(
            None,
            &[
                ("/home/u/src/proj/src/main.rs", FileRole::Bin),
                ("/home/u/proj/src/tests/helpers.rs", FileRole::Lib),
                ("/proj/tests/fixtures/src/lib.rs", FileRole::Lib),
                ("/proj/tests/it.rs", FileRole::Test),
                ("/proj/benches/b.rs", FileRole::Test),
                ("/proj/examples/e.rs", FileRole::Example),
                ("/proj/build.rs", FileRole::BuildScript),
                ("/proj/src/bin/x.rs", FileRole::Bin),
                ("/proj/other.rs", FileRole::Other),
                ("src", FileRole::Other),
            ],
        );
    }

    fn reader(files: &[(&str, &str)]) -> impl Fn(&Path) -> io::Result<Option<String>> {
        let map: HashMap<PathBuf, String> = files
            .iter()
            .map(|(p, t)| (PathBuf::from(p), (*t).to_owned()))
            .collect();
        move |p: &Path| Ok(map.get(p).cloned())
    }

    #[test]
    fn scan_finds_declarations_and_skips_noise() {
        let text = r##"
            // mod fake;
            /* #[cfg(test)] mod fake2; /* nested */ mod fake3; */
            const S: &str = "mod fake4;";
            const R: &str = r#"mod "fake5";"#;
            const C: char = '{';
            const Q: char = '\'';
            const B: u8 = b'}';
            fn f<'a>(x: &'a str) -> &'a str { mod not_here; x }
            #[cfg(test)]
            #[allow(dead_code)]
            pub(crate) mod tests;
            #[cfg(not(test))] mod prod;
            #[cfg(all(test, feature = "x"))] mod both;
            #[cfg(any(test, feature = "x"))] mod either;
            mod r#async;
            #[cfg(test)]
            mod inline {
                mod deep;
                #[cfg(feature = "y")] mod deeper { mod deepest; }
            }
            mod plain { mod child; }
        "##;
        let path = |p: &str| -> Vec<String> {
            p.split("::")
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
                .collect()
        };
        let decl = |p: &str, name: &str| {
            find_module_decl(text, &path(p), name).map(|d| (d.inline, d.test))
        };
        let found = |inline, test| Some((inline, test));
        for fake in ["fake", "fake2", "fake3", "fake4", "fake5", "not_here"] {
            assert_eq!(decl("", fake), None, "{fake}");
        }
        assert_eq!(decl("", "tests"), found(false, true));
        assert_eq!(decl("", "prod"), found(false, false));
        assert_eq!(decl("", "both"), found(false, true));
        assert_eq!(decl("", "either"), found(false, false));
        assert_eq!(decl("", "async"), found(false, false));
        assert_eq!(decl("", "inline"), found(true, true));
        assert_eq!(decl("inline", "deep"), found(false, true));
        assert_eq!(decl("", "deep"), None);
        assert_eq!(decl("inline", "deeper"), found(true, true));
        assert_eq!(decl("inline::deeper", "deepest"), found(false, true));
        assert_eq!(decl("", "plain"), found(true, false));
        assert_eq!(decl("plain", "child"), found(false, false));
        assert_eq!(
            find_module_decl("//! doc\n#![cfg(test)]\nmod a;", &[], "a")
                .map(|d| (d.inline, d.test)),
            found(false, true)
        );
        assert_eq!(
            find_module_decl("mod m {\n#![cfg(test)]\nmod a;\n}", &path("m"), "a")
                .map(|d| (d.inline, d.test)),
            found(false, true)
        );
    }

    #[test]
    fn scanner_sees_plain_pub() {
        let public = |text: &str| find_module_decl(text, &[], "a").map(|d| d.public);
        assert_eq!(public("pub mod a;"), Some(true));
        assert_eq!(
            public("/// Doc.\n#[cfg(feature = \"x\")]\npub mod a { }"),
            Some(true)
        );
        assert_eq!(public("mod a;"), Some(false));
        assert_eq!(public("pub(crate) mod a;"), Some(false));
        assert_eq!(public("pub(in crate::x) mod a;"), Some(false));
        // A `pub` belongs to the item it precedes.
        assert_eq!(public("pub fn f() {}\nmod a;"), Some(false));
        assert_eq!(public("pub use x::y;\nmod a;"), Some(false));
    }

    #[test]
    fn test_module_tree() {
        let read = reader(&[
            (
                "/c/src/lib.rs",
                "mod foo;\nmod bar;\n#[cfg(test)]\nmod testutil;\npub mod api;\n",
            ),
            // foo.rs style, test module two levels down.
            (
                "/c/src/foo.rs",
                "pub fn f() {}\n#[cfg(test)]\nmod tests;\nmod sibling;\n",
            ),
            ("/c/src/foo/tests.rs", "mod helpers;\n"),
            ("/c/src/foo/sibling.rs", "mod leaf;\n"),
            // mod.rs style.
            (
                "/c/src/bar/mod.rs",
                "#[cfg(test)] pub(crate) mod checks;\npub mod real;\n",
            ),
            ("/c/src/testutil/mod.rs", "pub mod fixtures;\n"),
            (
                "/c/src/api.rs",
                "mod inner {\n    #[cfg(test)]\n    mod t;\n}\n",
            ),
        ]);
        let cases = [
            ("/c/src/foo/tests.rs", true),
            ("/c/src/foo/tests/helpers.rs", true),
            ("/c/src/foo/sibling.rs", false),
            ("/c/src/foo/sibling/leaf.rs", false),
            ("/c/src/bar/checks.rs", true),
            ("/c/src/bar/checks/mod.rs", true),
            ("/c/src/bar/real.rs", false),
            ("/c/src/testutil/mod.rs", true),
            ("/c/src/testutil/fixtures.rs", true),
            ("/c/src/api/inner/t.rs", true),
            ("/c/src/lib.rs", false),
            ("/c/src/foo.rs", false),
            ("/c/src/undeclared.rs", false),
            ("/c/tests/it.rs", false),
        ];
        for (file, want) in cases {
            assert_eq!(
                is_test_module_file(Path::new(file), Some(Path::new("/c")), &read),
                want,
                "{file}"
            );
            // Guessing the crate root from `src` gives the same answers here.
            if file.starts_with("/c/src") {
                assert_eq!(
                    is_test_module_file(Path::new(file), None, &read),
                    want,
                    "{file} (guessed)"
                );
            }
        }
    }

    #[test]
    fn test_module_in_bin_and_main() {
        let read = reader(&[
            ("/c/src/main.rs", "#[cfg(test)] mod tests;\nmod cli;\n"),
            ("/c/src/bin/tool/main.rs", "#[cfg(test)] mod t;\n"),
            ("/c/src/cli.rs", "#![cfg(test)]\nmod x;\n"),
        ]);
        let m = Some(Path::new("/c"));
        assert!(is_test_module_file(Path::new("/c/src/tests.rs"), m, &read));
        assert!(is_test_module_file(
            Path::new("/c/src/bin/tool/t.rs"),
            m,
            &read
        ));
        assert!(!is_test_module_file(
            Path::new("/c/src/bin/tool/main.rs"),
            m,
            &read
        ));
        assert!(!is_test_module_file(
            Path::new("/c/src/bin/tool.rs"),
            m,
            &read
        ));
        assert!(!is_test_module_file(Path::new("/c/src/cli.rs"), m, &read));
        assert!(is_test_module_file(Path::new("/c/src/cli/x.rs"), m, &read));
    }

    #[test]
    fn scanner_survives_garbage() {
        for text in [
            "",
            "#",
            "#!",
            "#[",
            "#[cfg(",
            "mod",
            "mod a",
            "'",
            "'\\",
            "r#",
            "r#\"",
            "b'",
            "/*",
            "\"",
            "pub(",
            "}}}}",
            "{{{{ mod a; }",
            "é mod ü;",
            "'é'",
            "br##\"x\"#",
            "mod 1;",
            "#!#[",
            "'\\u{",
            "r##\"",
            "pub(crate",
        ] {
            let _ = find_module_decl(text, &[], "a");
        }
        // Deep nesting costs neither stack nor quadratic time.
        let deep = format!("{}mod a;", "mod a {".repeat(200_000));
        assert_eq!(
            find_module_decl(&deep, &[], "a"),
            Some(ModDecl {
                inline: true,
                test: false,
                public: false
            })
        );
        assert_eq!(find_module_decl(&deep, &["b".to_owned()], "a"), None);
        let braces = format!("{}mod a;", "{".repeat(200_000));
        assert_eq!(find_module_decl(&braces, &[], "a"), None);
        let deep_cfg = format!(
            "#[cfg({}test{})] mod a;",
            "all(".repeat(10_000),
            ")".repeat(10_000)
        );
        assert_eq!(
            find_module_decl(&deep_cfg, &[], "a"),
            Some(ModDecl {
                inline: false,
                test: false,
                public: false
            })
        );
    }

    proptest::proptest! {
        #[test]
        fn scanner_never_panics(text in "(mod|pub|cfg|test|all|#|!|\\[|\\]|\\(|\\)|\\{|\\}|;|'|\"|r#|b'|/\\*|\\*/|//|\\\\|\n| |a|é|🦀){0,60}") {
            let _ = find_module_decl(&text, &[], "a");
            let _ = find_module_decl(&text, &["mod".to_owned()], "test");
        }

        #[test]
        fn scanner_never_panics_on_any_string(text in proptest::prelude::any::<String>()) {
            let _ = find_module_decl(&text, &[], "a");
        }
    }

    #[test]
    fn relative_paths() {
        assert_eq!(
            relative_slash_path(Path::new("/a/b/c.rs"), Path::new("/a")).as_deref(),
            Some("b/c.rs")
        );
        assert_eq!(
            relative_slash_path(Path::new("/a/b/../c.rs"), Path::new("/a/./")).as_deref(),
            Some("c.rs")
        );
        assert_eq!(
            relative_slash_path(Path::new("/x/c.rs"), Path::new("/a")),
            None
        );
        assert_eq!(
            relative_slash_path(Path::new("/a"), Path::new("/a")).as_deref(),
            Some("")
        );
    }
}
