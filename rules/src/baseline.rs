//! Baselines: today's findings, recorded so that only new ones are reported.
//!
//! A team adopting precept on an existing codebase writes a baseline once
//! (`precept baseline`) and points `baseline = "<file>"` in its configuration at it.
//! From then on a finding that matches a baseline entry is hidden, and everything
//! else — new code, and old code that changed — is reported as usual.
//!
//! An entry is keyed by the file (relative to the baseline file's directory), the
//! rule, the path of the item the finding sits in (`handlers::<impl Api>::create`)
//! and a hash of the flagged code with whitespace collapsed. Line numbers are left
//! out on purpose: moving a function, or adding lines above it, keeps its entries
//! matching, while editing the flagged code, renaming the enclosing function or
//! renaming the file makes the finding new again. Entries are a multiset: two
//! identical findings in one item take two entries, and a third copy is new.
//!
//! Matching happens inside [`crate::analysis::Analyzer::analyze`] so that the
//! command line and the language server hide exactly the same findings. A matched
//! finding stays in the results with `suppressed` and `baselined` set, like a
//! finding silenced by a comment.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::hash::{hash_bytes, Hasher64};
use crate::lex::{Lexer, Token, TokenKind};
use crate::rule::Finding;
use crate::segment::{self, Segment, SegmentKind};

/// The version written to, and required in, `precept_baseline`.
pub const FORMAT_VERSION: u32 = 1;

/// The file name `precept baseline` writes when the configuration names none.
pub const DEFAULT_FILE_NAME: &str = "precept-baseline.json";

/// One recorded finding.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Entry {
    /// The file, relative to the baseline file's directory, with `/` separators.
    pub path: String,
    pub rule: String,
    /// The enclosing item's path inside the file; empty at the top level.
    pub item: String,
    /// Hash of the flagged code with whitespace collapsed (16 hex digits).
    pub snippet: String,
    /// The finding's message when it was recorded, for reviewers; not part of the key.
    pub message: String,
}

/// The file as stored.
#[derive(Debug, Serialize, Deserialize)]
struct Stored {
    precept_baseline: u32,
    findings: Vec<Entry>,
}

/// Why a baseline could not be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BaselineError {
    #[error("{path}: cannot read the baseline: {message}")]
    Read { path: PathBuf, message: String },
    #[error(
        "{path}: the baseline file does not exist; run `precept baseline` to write it, or remove `baseline` from the configuration"
    )]
    Missing { path: PathBuf },
    #[error("{path}: not a precept baseline: {message}")]
    Invalid { path: PathBuf, message: String },
    #[error(
        "{path}: baseline format {found} is not supported (expected {FORMAT_VERSION}); write it again with `precept baseline`"
    )]
    Version { path: PathBuf, found: u32 },
}

/// What an entry is matched on, within one file.
type Key = (String, String, u64);

/// A parsed baseline file.
#[derive(Debug, Default)]
pub struct Baseline {
    /// Directory of the baseline file; entry paths are relative to it.
    dir: PathBuf,
    files: HashMap<String, Arc<FileBaseline>>,
    entries: Vec<Entry>,
}

/// The entries of one file.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct FileBaseline {
    counts: HashMap<Key, usize>,
    /// Rules with at least one entry.
    rules: HashSet<String>,
    digest: u64,
}

impl FileBaseline {
    /// Digest of the entries, for cache keys.
    pub fn digest(&self) -> u64 {
        self.digest
    }

    /// How many entries the file has.
    pub fn len(&self) -> usize {
        self.counts.values().sum()
    }

    pub fn is_empty(&self) -> bool {
        self.counts.is_empty()
    }
}

impl Baseline {
    /// Parse the baseline stored at `path` (`text` is its content).
    pub fn parse(text: &str, path: &Path) -> Result<Baseline, BaselineError> {
        let stored: Stored = serde_json::from_str(text).map_err(|e| BaselineError::Invalid {
            path: path.to_path_buf(),
            message: e.to_string(),
        })?;
        if stored.precept_baseline != FORMAT_VERSION {
            return Err(BaselineError::Version {
                path: path.to_path_buf(),
                found: stored.precept_baseline,
            });
        }
        let mut grouped: BTreeMap<String, Vec<Entry>> = BTreeMap::new();
        for entry in &stored.findings {
            grouped
                .entry(entry.path.clone())
                .or_default()
                .push(entry.clone());
        }
        let files = grouped
            .into_iter()
            .map(|(file, mut entries)| {
                entries.sort();
                let mut h = Hasher64::default();
                let mut counts: HashMap<Key, usize> = HashMap::new();
                for e in &entries {
                    std::hash::Hash::hash(&(&e.rule, &e.item, &e.snippet), &mut h);
                    // An entry whose hash is not hex can never match; keep it out.
                    if let Ok(snippet) = u64::from_str_radix(&e.snippet, 16) {
                        *counts
                            .entry((e.rule.clone(), e.item.clone(), snippet))
                            .or_default() += 1;
                    }
                }
                let digest = std::hash::Hasher::finish(&h);
                let rules = counts.keys().map(|(rule, _, _)| rule.clone()).collect();
                (
                    file,
                    Arc::new(FileBaseline {
                        counts,
                        rules,
                        digest,
                    }),
                )
            })
            .collect();
        Ok(Baseline {
            dir: path.parent().map(Path::to_path_buf).unwrap_or_default(),
            files,
            entries: stored.findings,
        })
    }

    /// The entries recorded for `file` (an absolute path), if any.
    pub fn for_file(&self, file: &Path) -> Option<Arc<FileBaseline>> {
        let rel = relative_path(&self.dir, file)?;
        self.files.get(&rel).cloned()
    }

    /// Every entry, as stored.
    pub fn entries(&self) -> impl Iterator<Item = &Entry> {
        self.entries.iter()
    }

    /// Files with entries, relative to the baseline's directory.
    pub fn files(&self) -> impl Iterator<Item = &str> {
        self.files.keys().map(String::as_str)
    }
}

/// How `file` is recorded in a baseline stored in `dir`: relative, with `/`
/// separators, `.` and `..` resolved; `None` outside `dir`.
pub fn relative_path(dir: &Path, file: &Path) -> Option<String> {
    crate::project::relative_slash_path(file, dir).filter(|rel| !rel.is_empty())
}

/// Entries for the active findings of one file (`path` as it should be recorded).
pub fn entries(text: &str, findings: &[Finding], path: &str) -> Vec<Entry> {
    let (body, bom) = crate::source::strip_bom(text);
    let seg = segment::segment(body);
    findings
        .iter()
        .filter(|f| !f.suppressed)
        .map(|f| {
            let (item, snippet) = key_parts(text, &seg.segments, bom, f);
            Entry {
                path: path.to_owned(),
                rule: f.rule.clone(),
                item,
                snippet: format!("{snippet:016x}"),
                message: f.message.clone(),
            }
        })
        .collect()
}

/// The baseline file's text for `entries`: sorted, pretty-printed, one entry per
/// finding.
pub fn render(mut entries: Vec<Entry>) -> String {
    entries.sort();
    let stored = Stored {
        precept_baseline: FORMAT_VERSION,
        findings: entries,
    };
    let mut text = serde_json::to_string_pretty(&stored).unwrap_or_default();
    text.push('\n');
    text
}

/// Hide the active findings that `baseline` records, consuming one entry per
/// finding in file order. `segments` is the segmentation of `text` without its
/// byte order mark (`bom` bytes long). Returns how many were hidden.
pub(crate) fn apply(
    text: &str,
    segments: &[Segment],
    bom: usize,
    findings: &mut [Finding],
    baseline: &FileBaseline,
) -> usize {
    // Entries consumed so far; findings of rules with no entries cost nothing.
    let mut used: HashMap<Key, usize> = HashMap::new();
    let mut hidden = 0;
    for f in findings.iter_mut() {
        if f.suppressed || !baseline.rules.contains(&f.rule) {
            continue;
        }
        let (item, snippet) = key_parts(text, segments, bom, f);
        let key = (f.rule.clone(), item, snippet);
        let recorded = baseline.counts.get(&key).copied().unwrap_or(0);
        let taken = used.entry(key).or_default();
        if *taken < recorded {
            *taken += 1;
            f.suppressed = true;
            f.baselined = true;
            hidden += 1;
        }
    }
    hidden
}

/// The item path and snippet hash of a finding.
fn key_parts(text: &str, segments: &[Segment], bom: usize, f: &Finding) -> (String, u64) {
    let body = &text[bom.min(text.len())..];
    let at = f.range.start.saturating_sub(bom);
    (
        item_path(body, segments, at),
        hash_bytes(normalized_snippet(text, &f.range).as_bytes()),
    )
}

/// The flagged text with whitespace runs collapsed to one space and the ends
/// trimmed, so re-indenting, re-wrapping or a CRLF conversion changes nothing.
pub fn normalized_snippet(text: &str, range: &Range<usize>) -> String {
    let start = floor_boundary(text, range.start);
    let end = floor_boundary(text, range.end.max(start));
    text[start..end]
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

fn floor_boundary(text: &str, mut i: usize) -> usize {
    i = i.min(text.len());
    while !text.is_char_boundary(i) {
        i -= 1;
    }
    i
}

/// The path of the innermost item containing byte `at`: module and impl blocks,
/// then the item itself, joined with `::` (`api::<impl Handler for Api>::create`).
pub fn item_path(text: &str, segments: &[Segment], at: usize) -> String {
    let mut parts = Vec::new();
    let mut level = segments;
    // Segments are in file order and do not overlap: binary search each level.
    while let Some(seg) = level
        .get(level.partition_point(|s| s.range.end <= at))
        .filter(|s| s.range.start <= at)
    {
        let label_end = match &seg.kind {
            SegmentKind::Container(c) => c.header.end,
            _ => seg.range.end,
        };
        if let Some(label) = text.get(seg.range.start..label_end).and_then(item_label) {
            parts.push(label);
        }
        match &seg.kind {
            SegmentKind::Container(c) => level = &c.children,
            _ => break,
        }
    }
    parts.join("::")
}

/// A short name for the item whose text starts `text`: its name for named items,
/// `<impl ..>` for impl blocks, `name!` for macro invocations, `use` for imports.
fn item_label(text: &str) -> Option<String> {
    let tokens: Vec<Token> = Lexer::new(text)
        .filter(|t| !t.kind.is_comment())
        .take(256)
        .collect();
    let word = |t: &Token| text.get(t.start..t.end).unwrap_or_default();
    let mut i = 0;
    // Attributes, visibility and qualifiers.
    loop {
        let t = tokens.get(i)?;
        match (t.kind, word(t)) {
            (TokenKind::Punct(b'#'), _) => i = skip_group(&tokens, i + 1, b'[', b']')?,
            (TokenKind::Ident, "pub") => {
                i += 1;
                if tokens.get(i).is_some_and(|t| t.punct() == b'(') {
                    i = skip_group(&tokens, i, b'(', b')')?;
                }
            }
            (TokenKind::Ident, "async" | "unsafe" | "default" | "extern") => i += 1,
            (TokenKind::Ident, "const")
                if tokens
                    .get(i + 1)
                    .is_some_and(|n| matches!(word(n), "fn" | "unsafe" | "async" | "extern")) =>
            {
                i += 1
            }
            (TokenKind::Str, _) => i += 1,
            _ => break,
        }
    }
    let kw = tokens.get(i)?;
    let next = tokens.get(i + 1);
    match word(kw) {
        "fn" | "struct" | "enum" | "union" | "trait" | "type" | "mod" | "const" => next
            .filter(|n| n.kind == TokenKind::Ident)
            .map(|n| word(n).to_owned()),
        "static" => {
            let name = if next.is_some_and(|n| word(n) == "mut") {
                tokens.get(i + 2)
            } else {
                next
            };
            name.map(|n| word(n).to_owned())
        }
        "impl" => {
            // Up to the body or the where clause, whitespace collapsed.
            let end = tokens[i..]
                .iter()
                .find(|t| t.punct() == b'{' || word(t) == "where")
                .map_or(text.len(), |t| t.start);
            let head = text.get(kw.start..end)?;
            Some(format!(
                "<{}>",
                head.split_whitespace().collect::<Vec<_>>().join(" ")
            ))
        }
        "macro_rules" => tokens.get(i + 2).map(|n| format!("{}!", word(n))),
        "use" => Some("use".to_owned()),
        w if kw.kind == TokenKind::Ident && next.is_some_and(|n| n.punct() == b'!') => {
            Some(format!("{w}!"))
        }
        w => Some(w.to_owned()),
    }
}

/// The index just past the group that opens at `tokens[i]` with `open`.
fn skip_group(tokens: &[Token], i: usize, open: u8, close: u8) -> Option<usize> {
    if tokens.get(i)?.punct() != open {
        return None;
    }
    let mut depth = 0usize;
    for (j, t) in tokens.iter().enumerate().skip(i) {
        if t.punct() == open {
            depth += 1;
        } else if t.punct() == close {
            depth -= 1;
            if depth == 0 {
                return Some(j + 1);
            }
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn path_at(text: &str, needle: &str) -> String {
        let seg = segment::segment(text);
        let at = text
            .find(needle)
            .unwrap_or_else(|| panic!("{needle} not in text"));
        item_path(text, &seg.segments, at)
    }

    #[test]
    fn item_paths_name_modules_impls_and_items() {
        let text = "use a::b;\n\
            /// Docs.\n#[derive(Debug)]\npub(crate) struct S { x: u8 }\n\
            mod api {\n    impl<T: Clone> Handler for Api<T> where T: Send {\n        pub async fn create(&self) { x.unwrap(); }\n    }\n    const LIMIT: u8 = 1;\n}\n\
            pub const unsafe fn raw() {}\n\
            static mut COUNT: u8 = 0;\n\
            lazy_static! { static ref X: u8 = 1; }\n\
            macro_rules! m { () => {} }\n";
        assert_eq!(path_at(text, "a::b"), "use");
        assert_eq!(path_at(text, "x: u8"), "S");
        assert_eq!(
            path_at(text, "x.unwrap"),
            "api::<impl<T: Clone> Handler for Api<T>>::create"
        );
        assert_eq!(path_at(text, "LIMIT"), "api::LIMIT");
        assert_eq!(path_at(text, "raw"), "raw");
        assert_eq!(path_at(text, "COUNT"), "COUNT");
        assert_eq!(path_at(text, "ref X"), "lazy_static!");
        assert_eq!(path_at(text, "() =>"), "m!");
    }

    #[test]
    fn offsets_between_items_belong_to_the_enclosing_block() {
        let text = "mod a {\n    // note\n    fn f() {}\n}\n// top\n";
        assert_eq!(path_at(text, "// note"), "a");
        assert_eq!(path_at(text, "// top"), "");
    }

    #[test]
    fn snippets_ignore_layout() {
        let text = "a.  unwrap(\r\n  )";
        assert_eq!(normalized_snippet(text, &(0..text.len())), "a. unwrap( )");
        // A range that splits a character widens to whole characters.
        assert_eq!(normalized_snippet("é", &(1..2)), "é");
    }

    #[test]
    fn relative_paths_use_forward_slashes() {
        let dir = Path::new("/p");
        assert_eq!(
            relative_path(dir, Path::new("/p/src/a.rs")).as_deref(),
            Some("src/a.rs")
        );
        assert_eq!(relative_path(dir, Path::new("/q/a.rs")), None);
        // `..` is resolved, not dropped.
        assert_eq!(
            relative_path(dir, Path::new("/p/src/../lib/a.rs")).as_deref(),
            Some("lib/a.rs")
        );
        assert_eq!(relative_path(dir, Path::new("/p/../q/a.rs")), None);
        assert_eq!(
            relative_path(Path::new("/p/src/.."), Path::new("/p/a.rs")).as_deref(),
            Some("a.rs")
        );
    }

    /// Analyse `text` as `/p/src/a.rs` with `baseline` in force; the active rules.
    fn active(text: &str, baseline: Option<&Baseline>) -> Vec<String> {
        let mut ctx = crate::analysis::FileContext::for_path("/p/src/a.rs");
        ctx.baseline = baseline.and_then(|b| b.for_file(Path::new("/p/src/a.rs")));
        crate::analysis::analyze(text, &ctx)
            .active()
            .map(|f| f.rule.clone())
            .collect()
    }

    fn baseline_of(text: &str) -> Baseline {
        let ctx = crate::analysis::FileContext::for_path("/p/src/a.rs");
        let analysis = crate::analysis::analyze(text, &ctx);
        let json = render(entries(text, &analysis.findings, "src/a.rs"));
        match Baseline::parse(&json, Path::new("/p/precept-baseline.json")) {
            Ok(b) => b,
            Err(e) => panic!("{e}\n{json}"),
        }
    }

    const CLIENTS: &str = "use reqwest::Client;\n\
        pub fn a() -> Client {\n    Client::new()\n}\n\
        pub fn b() {\n    let _ = Client::new();\n    let _ = Client::new();\n}\n";

    #[test]
    fn recorded_findings_stay_hidden_when_code_moves() {
        assert_eq!(active(CLIENTS, None).len(), 3);
        let baseline = baseline_of(CLIENTS);
        assert_eq!(active(CLIENTS, Some(&baseline)), Vec::<String>::new());
        // `b` first, `a` last, lines added above, different indentation.
        let moved = "// header\n\nuse reqwest::Client;\n\
            pub fn b() {\n        let _ = Client::new();\n  let _ = Client::new();\n}\n\n\
            pub fn a() -> Client {\n    Client::new()\n}\n";
        assert_eq!(active(moved, Some(&baseline)), Vec::<String>::new());
    }

    #[test]
    fn changed_renamed_or_extra_findings_are_new() {
        let baseline = baseline_of(CLIENTS);
        let changed = CLIENTS.replacen(
            "    Client::new()\n}",
            "    Client::builder().build().unwrap_or_default()\n}",
            1,
        );
        assert_eq!(active(&changed, Some(&baseline)), ["missing-timeout"]);
        let renamed = CLIENTS.replace("pub fn a()", "pub fn make()");
        assert_eq!(active(&renamed, Some(&baseline)), ["missing-timeout"]);
        let third = CLIENTS.replace(
            "    let _ = Client::new();\n}",
            "    let _ = Client::new();\n    let _ = Client::new();\n}",
        );
        assert_eq!(active(&third, Some(&baseline)), ["missing-timeout"]);
        // Another file's entries do not apply.
        assert!(baseline.for_file(Path::new("/p/src/b.rs")).is_none());
    }

    #[test]
    fn rejects_other_formats() {
        let path = Path::new("/p/b.json");
        assert!(matches!(
            Baseline::parse("{\"precept_baseline\": 9, \"findings\": []}", path),
            Err(BaselineError::Version { found: 9, .. })
        ));
        assert!(matches!(
            Baseline::parse("[]", path),
            Err(BaselineError::Invalid { .. })
        ));
    }
}
