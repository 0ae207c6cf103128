//! Analysis of one file, cached per item: the incremental core.
//!
//! A file is split into items ([`crate::segment`]); each item is parsed on its own
//! and checked by every rule in one walk. Two caches make re-analysis after an edit
//! cheap:
//!
//! * item facts (imports, type aliases, routes, header scopes), keyed by the item's
//!   text alone;
//! * item findings, keyed by the item's text *and* everything outside it that rules
//!   read (file role, crate facts, configuration, the module's imports and type
//!   aliases, the file's routes, the enclosing `mod`/`impl` headers).
//!
//! Comments never reach syn, so `commented-out-code` runs over the segmenter's
//! comments once per file, with its own cache keyed by the text of each comment
//! block, before suppressions are applied.
//!
//! Findings are stored relative to their item and shifted into place, so an edit
//! that moves an item does not re-check it. The result is by construction what a
//! fresh [`Analyzer`] would compute for the same text; a property test holds the
//! cache to that.

use std::collections::{HashMap, HashSet};
use std::hash::{Hash, Hasher};
use std::ops::Range;
use std::path::PathBuf;
use std::sync::Arc;

use crate::baseline::FileBaseline;
use crate::config::Config;
use crate::crate_facts::CrateFacts;
use crate::hash::{combine, hash_bytes, Hasher64};
use crate::imports::ImportMap;
use crate::project::FileRole;
use crate::rule::{Finding, Severity};
use crate::rules::maintainability::commented_out_code;
use crate::segment::{self, ContainerKind, Segment, SegmentKind};
use crate::suppress::{self, Date};
use crate::walk::{
    self, FileInfo, MacroArena, MacroCollector, RulePanic, Scope, TraitImpl, Walker,
};

/// Items nested deeper than this (brackets, prefix operators, generics, as the lexer
/// counts them) are not parsed: syn recurses per level and a stack overflow would
/// abort the process. Real code stays far below it.
pub const MAX_NESTING: usize = 256;

/// Stack size for threads that run analyses. Parsing and walking recurse; with
/// [`MAX_NESTING`] this leaves a wide margin even in debug builds.
pub const STACK_SIZE: usize = 64 * 1024 * 1024;

/// Everything known about a file apart from its text.
#[derive(Clone, Debug)]
pub struct FileContext {
    /// The file's path, used for configuration overrides and messages.
    pub path: PathBuf,
    pub role: FileRole,
    /// The file is an out-of-line module declared under `#[cfg(test)]`.
    pub test_module: bool,
    /// The file is an out-of-line module reached through a declaration that is not
    /// plain `pub` (`mod x;`, `pub(crate) mod x;`): its `pub` items stay in the crate
    /// unless re-exported.
    pub private_module: bool,
    pub crate_facts: Arc<CrateFacts>,
    pub config: Arc<Config>,
    /// Today's date, for suppression expiry.
    pub today: Date,
    /// The configured baseline's entries for this file: matching findings are hidden.
    pub baseline: Option<Arc<FileBaseline>>,
}

impl FileContext {
    /// A context for ad-hoc analysis (tests, benchmarks): a library file with no
    /// crate facts and the default configuration.
    pub fn for_path(path: impl Into<PathBuf>) -> FileContext {
        let path = path.into();
        let role = crate::project::file_role(&path, None);
        let dir = path.parent().map(PathBuf::from).unwrap_or_default();
        FileContext {
            role,
            test_module: false,
            private_module: false,
            crate_facts: Arc::new(CrateFacts::none()),
            config: Arc::new(Config::default_for(&dir)),
            today: Date::today(),
            baseline: None,
            path,
        }
    }

    fn test_file(&self) -> bool {
        self.test_module || matches!(self.role, FileRole::Test)
    }

    fn digest(&self) -> u64 {
        let mut h = Hasher64::default();
        format!("{:?}", self.role).hash(&mut h);
        self.test_file().hash(&mut h);
        self.private_module.hash(&mut h);
        self.crate_facts.digest().hash(&mut h);
        self.config.digest().hash(&mut h);
        h.finish()
    }
}

/// The result of analysing a file.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Analysis {
    /// Findings with final levels, sorted by position then rule. Findings silenced
    /// by a suppression comment are included with `suppressed = true`.
    pub findings: Vec<Finding>,
    /// Items that did not parse; they have no findings.
    pub unparsed: Vec<Range<usize>>,
    /// Items skipped because they nest too deeply to parse safely.
    pub too_deep: Vec<Range<usize>>,
    /// Rules that panicked, with the item they were checking.
    pub panics: Vec<(Range<usize>, RulePanic)>,
    /// How many findings the baseline hid (they are in `findings`, suppressed).
    pub baselined: usize,
    pub stats: Stats,
}

impl Analysis {
    /// Findings that are not suppressed.
    pub fn active(&self) -> impl Iterator<Item = &Finding> {
        self.findings.iter().filter(|f| !f.suppressed)
    }
}

/// How much work an analysis did, for tests and benchmarks.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Stats {
    pub items: usize,
    pub parsed: usize,
    pub checked: usize,
}

/// The parsed form of one segment.
enum Parsed {
    Item(Box<syn::Item>),
    ImplItem(Box<syn::ImplItem>),
    File(Box<syn::File>),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
enum LeafKind {
    InnerAttr,
    Item,
    ImplItem,
}

/// A segment to parse and check, with its place in the container tree.
struct Leaf {
    range: Range<usize>,
    kind: LeafKind,
    /// Index into `Flat::modules` of the module the item lives in.
    module: usize,
    /// Index into `Flat::headers` of the nearest enclosing header, if any.
    parent: Option<usize>,
}

struct Header {
    range: Range<usize>,
    /// Where the container ends (after its closing `}` when it has one).
    end: usize,
    kind: ContainerKind,
    parent: Option<usize>,
    /// For a `mod` header, the module it opens.
    module: usize,
}

struct Module {
    parent: Option<usize>,
}

#[derive(Default)]
struct Flat {
    leaves: Vec<Leaf>,
    headers: Vec<Header>,
    modules: Vec<Module>,
}

fn flatten(
    segments: &[Segment],
    module: usize,
    parent: Option<usize>,
    in_impl: bool,
    flat: &mut Flat,
) {
    for seg in segments {
        match &seg.kind {
            SegmentKind::InnerAttr => flat.leaves.push(Leaf {
                range: seg.range.clone(),
                kind: LeafKind::InnerAttr,
                module,
                parent,
            }),
            SegmentKind::Item => flat.leaves.push(Leaf {
                range: seg.range.clone(),
                kind: if in_impl {
                    LeafKind::ImplItem
                } else {
                    LeafKind::Item
                },
                module,
                parent,
            }),
            SegmentKind::Container(c) => {
                let inner_module = match c.kind {
                    ContainerKind::Mod => {
                        flat.modules.push(Module {
                            parent: Some(module),
                        });
                        flat.modules.len() - 1
                    }
                    ContainerKind::Impl => module,
                };
                flat.headers.push(Header {
                    range: c.header.clone(),
                    end: seg.range.end.max(c.close.end),
                    kind: c.kind,
                    parent,
                    module: inner_module,
                });
                let h = flat.headers.len() - 1;
                flatten(
                    &c.children,
                    inner_module,
                    Some(h),
                    matches!(c.kind, ContainerKind::Impl),
                    flat,
                );
            }
        }
    }
}

/// What an item contributes to file-level facts. Depends on the item text only.
#[derive(Clone, Debug, Default)]
struct ItemFacts {
    parsed: bool,
    too_deep: bool,
    /// Names the item brings into its module: a `use`, or a type alias.
    imports: ImportMap,
    /// `use super::*;` in this item.
    glob_super: bool,
    routes: Vec<String>,
    inner_allows: Vec<String>,
    /// `#![cfg(test)]`: the module is test code.
    inner_test: bool,
}

/// What a container header contributes to the scope of its children.
#[derive(Clone, Debug, Default)]
struct HeaderFacts {
    parsed: bool,
    in_test: bool,
    allows: Vec<String>,
    trait_impl: Option<TraitImpl>,
    inherent_impl: bool,
    /// A `mod` header without a plain `pub`: nothing inside leaves the crate unless
    /// re-exported.
    private_mod: bool,
}

#[derive(Clone)]
struct Checked {
    findings: Arc<Vec<Finding>>,
    panics: Arc<Vec<RulePanic>>,
    status: Status,
}

/// Whether an item could be checked.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Status {
    Checked,
    Unparsed,
    TooDeep,
}

/// Analyses files, reusing per-item work from its previous calls. One analyzer per
/// open document keeps the caches small; the CLI uses a fresh one per file.
pub struct Analyzer {
    /// Threads to check a large batch of new items on (the first analysis of a big
    /// file). The CLI already works file-parallel and keeps this at 1.
    threads: usize,
    facts: HashMap<u64, Arc<ItemFacts>>,
    headers: HashMap<u64, Arc<HeaderFacts>>,
    checked: HashMap<u64, Checked>,
    comment_runs: commented_out_code::RunCache,
}

impl Default for Analyzer {
    fn default() -> Self {
        Analyzer {
            threads: 1,
            facts: HashMap::new(),
            headers: HashMap::new(),
            checked: HashMap::new(),
            comment_runs: commented_out_code::RunCache::default(),
        }
    }
}

/// Below this many new items, one thread checks them all: starting threads would
/// cost more than it saves.
const PARALLEL_MIN: usize = 64;

impl Analyzer {
    pub fn new() -> Self {
        Self::default()
    }

    /// An analyzer that checks large batches of new items on up to `threads`
    /// threads (each with [`STACK_SIZE`] of stack).
    pub fn with_threads(threads: usize) -> Self {
        Analyzer {
            threads: threads.max(1),
            ..Self::default()
        }
    }

    /// Analyse `text`. Must run on a thread with at least [`STACK_SIZE`] of stack
    /// (see [`with_stack`]); offsets in the result are byte offsets into `text`.
    pub fn analyze(&mut self, text: &str, ctx: &FileContext) -> Analysis {
        let analysis = self.analyze_inner(text, ctx);
        // Every syntax tree of this call is gone: release proc-macro2's span map.
        proc_macro2::extra::invalidate_current_thread_spans();
        analysis
    }

    fn analyze_inner(&mut self, full_text: &str, ctx: &FileContext) -> Analysis {
        let (text, bom) = crate::source::strip_bom(full_text);
        let seg = segment::segment(text);
        let mut flat = Flat::default();
        flat.modules.push(Module { parent: None });
        flatten(&seg.segments, 0, None, false, &mut flat);

        let mut stats = Stats {
            items: flat.leaves.len(),
            ..Stats::default()
        };
        let mut used_facts = HashSet::new();
        let mut used_headers = HashSet::new();
        let mut used_checked = HashSet::new();

        // Phase 1: what each item contributes to file-level facts (cached by text).
        // Only `use` items, type aliases, inner attributes and items that mention
        // routing are parsed here; everything else is parsed once, in phase 2.
        let mut leaf_facts = Vec::with_capacity(flat.leaves.len());
        let mut leaf_keys = Vec::with_capacity(flat.leaves.len());
        for leaf in &flat.leaves {
            let item_text = &text[leaf.range.clone()];
            let key = combine(&[hash_bytes(item_text.as_bytes()), leaf.kind as u64]);
            leaf_keys.push(key);
            used_facts.insert(key);
            let facts = match self.facts.get(&key) {
                Some(f) => f.clone(),
                None => {
                    let (facts, parsed) = item_facts(item_text, leaf.kind);
                    stats.parsed += usize::from(parsed);
                    let facts = Arc::new(facts);
                    self.facts.insert(key, facts.clone());
                    facts
                }
            };
            leaf_facts.push(facts);
        }
        let mut header_facts = Vec::with_capacity(flat.headers.len());
        for header in &flat.headers {
            let header_text = &text[header.range.clone()];
            let key = hash_bytes(header_text.as_bytes());
            used_headers.insert(key);
            let facts = self
                .headers
                .entry(key)
                .or_insert_with(|| Arc::new(parse_header(header_text, header.kind)))
                .clone();
            header_facts.push(facts);
        }

        // File-level facts.
        let mut module_imports: Vec<ImportMap> = vec![ImportMap::new(); flat.modules.len()];
        let mut module_glob_super = vec![false; flat.modules.len()];
        let mut routes = HashSet::new();
        let mut file_allows = Vec::new();
        let mut file_is_test = false;
        for (leaf, facts) in flat.leaves.iter().zip(&leaf_facts) {
            module_imports[leaf.module].extend_from(&facts.imports);
            module_glob_super[leaf.module] |= facts.glob_super;
            routes.extend(facts.routes.iter().cloned());
            if leaf.module == 0 && leaf.kind == LeafKind::InnerAttr {
                file_allows.extend(facts.inner_allows.iter().cloned());
                file_is_test |= facts.inner_test;
            }
        }
        // `use super::*;` brings the parent module's names in (the common test-module
        // idiom); modules are numbered parents first, so one pass suffices.
        for m in 1..flat.modules.len() {
            if module_glob_super[m] {
                if let Some(parent) = flat.modules[m].parent {
                    let mut merged = module_imports[parent].clone();
                    merged.extend_from(&module_imports[m]);
                    module_imports[m] = merged;
                }
            }
        }
        let imports_tonic = module_imports.iter().any(|m| m.imports_from("tonic"));
        let module_digests: Vec<u64> = module_imports.iter().map(ImportMap::digest).collect();
        let mut sorted_routes: Vec<&String> = routes.iter().collect();
        sorted_routes.sort();
        let file_digest = {
            let mut h = Hasher64::default();
            ctx.digest().hash(&mut h);
            sorted_routes.hash(&mut h);
            file_allows.hash(&mut h);
            imports_tonic.hash(&mut h);
            file_is_test.hash(&mut h);
            h.finish()
        };
        let info = FileInfo {
            role: ctx.role,
            test_file: ctx.test_file() || file_is_test,
            private_module: ctx.private_module,
            crate_facts: &ctx.crate_facts,
            config: &ctx.config,
            routes: &routes,
            file_allows: &file_allows,
            imports_tonic,
        };
        // Phase 2: findings of every item (cached by text and context).
        let mut keys: Vec<Option<u64>> = Vec::with_capacity(flat.leaves.len());
        let mut scopes: Vec<(Scope, bool)> = Vec::with_capacity(flat.leaves.len());
        let mut todo: Vec<usize> = Vec::new();
        for (i, leaf) in flat.leaves.iter().enumerate() {
            let scope = scope_of(leaf.parent, &flat.headers, &header_facts);
            let key = (leaf.kind != LeafKind::InnerAttr && scope.1).then(|| {
                let mut h = Hasher64::default();
                leaf_keys[i].hash(&mut h);
                scope.0.hash(&mut h);
                module_digests[leaf.module].hash(&mut h);
                file_digest.hash(&mut h);
                h.finish()
            });
            if let Some(key) = key {
                used_checked.insert(key);
                if !self.checked.contains_key(&key) {
                    todo.push(i);
                }
            }
            keys.push(key);
            scopes.push(scope);
        }
        let job = CheckJob {
            text,
            flat: &flat,
            scopes: &scopes,
            imports: &module_imports,
            info: &info,
        };
        let fresh = job.run(&todo, self.threads);
        stats.parsed += fresh.len();
        stats.checked += fresh.len();
        for (i, checked) in fresh {
            if let Some(key) = keys[i] {
                self.checked.insert(key, checked);
            }
        }

        let mut findings = Vec::new();
        let mut unparsed = Vec::new();
        let mut too_deep = Vec::new();
        let mut panics = Vec::new();
        for (i, leaf) in flat.leaves.iter().enumerate() {
            let abs = leaf.range.start + bom..leaf.range.end + bom;
            let facts = &leaf_facts[i];
            if facts.too_deep {
                too_deep.push(abs);
                continue;
            }
            if leaf.kind == LeafKind::InnerAttr {
                if !facts.parsed {
                    unparsed.push(abs);
                }
                continue;
            }
            let Some(checked) = keys[i].and_then(|k| self.checked.get(&k)) else {
                // The enclosing `mod`/`impl` header does not parse.
                unparsed.push(abs);
                continue;
            };
            match checked.status {
                Status::Checked => {}
                Status::Unparsed => {
                    unparsed.push(abs);
                    continue;
                }
                Status::TooDeep => {
                    too_deep.push(abs);
                    continue;
                }
            }
            let offset = leaf.range.start + bom;
            findings.extend(checked.findings.iter().map(|f| f.clone().shifted(offset)));
            panics.extend(checked.panics.iter().map(|p| (abs.clone(), p.clone())));
        }

        // Forget items that are no longer in the text so memory stays flat.
        self.facts.retain(|k, _| used_facts.contains(k));
        self.headers.retain(|k, _| used_headers.contains(k));
        self.checked.retain(|k, _| used_checked.contains(k));

        let comments: Vec<Range<usize>> = seg
            .comments
            .iter()
            .map(|c| c.start + bom..c.end + bom)
            .collect();
        let mut blocked = unparsed.clone();
        blocked.extend(too_deep.iter().cloned());
        if wants_comment_check(&info, ctx) {
            // Comments in test code and in items that do not parse are left alone.
            // Offsets here are into the text without its BOM, like the segments'.
            let mut skip = test_regions(text, &flat, &scopes, &header_facts);
            skip.extend(blocked.iter().map(|b| b.start - bom..b.end - bom));
            let found = commented_out_code::find_in_comments(
                text,
                &seg.comments,
                &skip,
                &mut self.comment_runs,
            );
            findings.extend(found.into_iter().map(|f| f.shifted(bom)));
        }
        let mut findings = suppress::apply(full_text, &comments, findings, &blocked, ctx);
        findings.sort_by(|a, b| {
            (a.range.start, a.range.end, &a.rule, &a.message).cmp(&(
                b.range.start,
                b.range.end,
                &b.rule,
                &b.message,
            ))
        });
        findings.dedup();
        let baselined = match &ctx.baseline {
            Some(baseline) => {
                crate::baseline::apply(full_text, &seg.segments, bom, &mut findings, baseline)
            }
            None => 0,
        };
        Analysis {
            findings,
            baselined,
            unparsed,
            too_deep,
            panics,
            stats,
        }
    }
}

/// Whether `commented-out-code` runs on this file: it is not off here, and the file
/// is not test code, an example or a build script.
fn wants_comment_check(info: &FileInfo<'_>, ctx: &FileContext) -> bool {
    let off = matches!(
        ctx.config
            .severity_for(commented_out_code::META.id, &ctx.path),
        Some(Severity::Off)
    );
    !off && !info.test_file && !matches!(info.role, FileRole::Example | FileRole::BuildScript)
}

/// Ranges of test code inside a file: items in test scopes or
/// with a test attribute, and whole `#[cfg(test)]` modules.
fn test_regions(
    text: &str,
    flat: &Flat,
    scopes: &[(Scope, bool)],
    header_facts: &[Arc<HeaderFacts>],
) -> Vec<Range<usize>> {
    let mut out = Vec::new();
    for (leaf, (scope, _)) in flat.leaves.iter().zip(scopes) {
        if scope.in_test || has_test_attr(&text[leaf.range.clone()]) {
            out.push(leaf.range.clone());
        }
    }
    for (h, header) in flat.headers.iter().enumerate() {
        if scope_of(Some(h), &flat.headers, header_facts).0.in_test {
            out.push(header.range.start..header.end);
        }
    }
    out
}

/// The item's outer attributes include a test marker, judged as the walker judges
/// it ([`crate::walk::is_test_attr`]: `#[test]`, `#[tokio::test]`, `#[cfg(test)]`,
/// not `#[cfg(not(test))]`). Only attributes that mention `test` are parsed.
fn has_test_attr(item: &str) -> bool {
    use crate::lex::{Lexer, TokenKind};
    let bytes = item.as_bytes();
    let mut depth = 0usize;
    let mut mentions_test = false;
    let mut end = 0;
    for tok in Lexer::new(item) {
        if tok.kind.is_comment() {
            continue;
        }
        match tok.kind {
            TokenKind::Punct(b'#') if depth == 0 => {}
            TokenKind::Punct(b'[') => depth += 1,
            TokenKind::Punct(b']') => {
                depth = depth.saturating_sub(1);
                end = tok.end;
            }
            TokenKind::Ident if depth > 0 => mentions_test |= &bytes[tok.start..tok.end] == b"test",
            _ if depth > 0 => {}
            _ => break,
        }
    }
    if !mentions_test {
        return false;
    }
    let attrs = syn::parse::Parser::parse_str(syn::Attribute::parse_outer, &item[..end]);
    attrs.is_ok_and(|attrs| attrs.iter().any(crate::walk::is_test_attr))
}

/// Run `f` on a fresh thread with [`STACK_SIZE`] of stack and return its result.
/// Returns `None` if the thread could not be spawned or `f` panicked.
pub fn with_stack<R: Send>(f: impl FnOnce() -> R + Send) -> Option<R> {
    std::thread::scope(|s| {
        let handle = std::thread::Builder::new()
            .name("precept-analysis".into())
            .stack_size(STACK_SIZE)
            .spawn_scoped(s, f);
        match handle {
            Ok(h) => h.join().ok(),
            Err(e) => {
                tracing::error!(error = %e, "could not start an analysis thread");
                None
            }
        }
    })
}

/// Analyse a whole file from scratch, on a large-stack thread.
pub fn analyze(text: &str, ctx: &FileContext) -> Analysis {
    with_stack(|| Analyzer::new().analyze(text, ctx)).unwrap_or_default()
}

fn scope_of(
    parent: Option<usize>,
    headers: &[Header],
    facts: &[Arc<HeaderFacts>],
) -> (Scope, bool) {
    let mut scope = Scope::default();
    let mut ok = true;
    let mut cur = parent;
    let mut nearest_impl_seen = false;
    while let Some(h) = cur {
        let f = &facts[h];
        ok &= f.parsed;
        scope.in_test |= f.in_test;
        scope.allows.extend(f.allows.iter().cloned());
        scope.in_private_mod |= f.private_mod;
        if !nearest_impl_seen && matches!(headers[h].kind, ContainerKind::Impl) {
            nearest_impl_seen = true;
            scope.trait_impl = f.trait_impl.clone();
            scope.inherent_impl = f.inherent_impl;
        }
        cur = headers[h].parent;
    }
    scope.allows.sort();
    scope.allows.dedup();
    let _ = headers.first().map(|h| h.module);
    (scope, ok)
}

/// Parse one segment. Callers check [`MAX_NESTING`] first.
fn parse_leaf(text: &str, kind: LeafKind) -> Option<Parsed> {
    match kind {
        LeafKind::InnerAttr => syn::parse_str::<syn::File>(text)
            .ok()
            .map(|f| Parsed::File(Box::new(f))),
        LeafKind::Item => syn::parse_str::<syn::Item>(text)
            .ok()
            .map(|i| Parsed::Item(Box::new(i))),
        LeafKind::ImplItem => syn::parse_str::<syn::ImplItem>(text)
            .ok()
            .map(|i| Parsed::ImplItem(Box::new(i))),
    }
}

/// Facts of one item, and whether it was parsed to get them.
fn item_facts(text: &str, kind: LeafKind) -> (ItemFacts, bool) {
    let keyword = leading_keyword(text);
    let alias = kind == LeafKind::Item && keyword == Some(b"type".as_slice());
    let is_use = keyword == Some(b"use".as_slice());
    if kind != LeafKind::InnerAttr && !is_use && !alias && !mentions_routing(text) {
        // Nothing file-level can come out of it; phase 2 parses it.
        return (
            ItemFacts {
                parsed: true,
                ..ItemFacts::default()
            },
            false,
        );
    }
    if crate::lex::nesting_depth(text) > MAX_NESTING {
        return (
            ItemFacts {
                too_deep: true,
                ..ItemFacts::default()
            },
            false,
        );
    }
    let Some(parsed) = parse_leaf(text, kind) else {
        return (ItemFacts::default(), true);
    };
    let mut facts = ItemFacts {
        parsed: true,
        ..ItemFacts::default()
    };
    match &parsed {
        Parsed::File(f) => {
            for attr in &f.attrs {
                facts.inner_allows.extend(walk::clippy_lints_in(attr));
                facts.inner_test |= walk::is_test_attr(attr);
            }
        }
        Parsed::Item(item) => {
            if let syn::Item::Use(u) = &**item {
                facts.imports.add_use(&u.tree);
                facts.glob_super = is_glob_super(&u.tree);
            }
            if let syn::Item::Type(t) = &**item {
                let mut bare = t.clone();
                bare.attrs.clear();
                facts.imports.add_alias(
                    t.ident.to_string(),
                    quote::ToTokens::to_token_stream(&bare).to_string(),
                );
            }
            facts.routes = crate::routes::handler_names(item);
        }
        Parsed::ImplItem(item) => {
            facts.routes = crate::routes::handler_names_in_impl_item(item);
        }
    }
    (facts, true)
}

/// The first word of an item after its attributes, doc comments and visibility.
fn leading_keyword(text: &str) -> Option<&[u8]> {
    use crate::lex::{Lexer, TokenKind};
    let bytes = text.as_bytes();
    let mut depth = 0usize;
    for tok in Lexer::new(text) {
        if tok.kind.is_comment() {
            continue;
        }
        match tok.kind {
            TokenKind::Punct(b'[' | b'(') => depth += 1,
            TokenKind::Punct(b']' | b')') => depth = depth.saturating_sub(1),
            _ if depth > 0 => {}
            TokenKind::Punct(b'#') => {}
            TokenKind::Ident => {
                let word = &bytes[tok.start..tok.end];
                // `pub(crate)` and `pub(in path)` are skipped as a bracketed group.
                if word != b"pub" {
                    return Some(word);
                }
            }
            _ => return None,
        }
    }
    None
}

/// Text that may register request handlers (`.route(..)`, `.to(..)`).
fn mentions_routing(text: &str) -> bool {
    memchr::memmem::find(text.as_bytes(), b"route").is_some()
        || memchr::memmem::find(text.as_bytes(), b".to(").is_some()
}

/// What phase 2 needs to check items, shared by the threads that do it.
struct CheckJob<'a> {
    text: &'a str,
    flat: &'a Flat,
    scopes: &'a [(Scope, bool)],
    imports: &'a [ImportMap],
    info: &'a FileInfo<'a>,
}

impl CheckJob<'_> {
    /// Parse and check the leaves `todo`, on up to `threads` threads.
    fn run(&self, todo: &[usize], threads: usize) -> Vec<(usize, Checked)> {
        if threads <= 1 || todo.len() < PARALLEL_MIN {
            return todo.iter().map(|&i| (i, self.check(i))).collect();
        }
        let chunk = todo.len().div_ceil(threads);
        std::thread::scope(|s| {
            let handles: Vec<_> = todo
                .chunks(chunk)
                .map(|part| {
                    std::thread::Builder::new()
                        .stack_size(STACK_SIZE)
                        .spawn_scoped(s, move || {
                            let out: Vec<(usize, Checked)> =
                                part.iter().map(|&i| (i, self.check(i))).collect();
                            // This thread's syntax trees are gone: release its span map.
                            proc_macro2::extra::invalidate_current_thread_spans();
                            out
                        })
                })
                .collect();
            let mut out = Vec::with_capacity(todo.len());
            for (h, part) in handles.into_iter().zip(todo.chunks(chunk)) {
                match h.map(|h| h.join()) {
                    Ok(Ok(done)) => out.extend(done),
                    // A thread that could not start or died: do its share here.
                    _ => out.extend(part.iter().map(|&i| (i, self.check(i)))),
                }
            }
            out
        })
    }

    fn check(&self, i: usize) -> Checked {
        let leaf = &self.flat.leaves[i];
        let item_text = &self.text[leaf.range.clone()];
        let empty = |status| Checked {
            findings: Arc::default(),
            panics: Arc::default(),
            status,
        };
        if crate::lex::nesting_depth(item_text) > MAX_NESTING {
            tracing::warn!(
                bytes = item_text.len(),
                "item nests too deeply to parse safely; skipped"
            );
            return empty(Status::TooDeep);
        }
        let Some(parsed) = parse_leaf(item_text, leaf.kind) else {
            return empty(Status::Unparsed);
        };
        let rules = crate::registry::walk_rules();
        let (found, panics) = check_parsed(
            &parsed,
            self.info,
            &self.scopes[i].0,
            &self.imports[leaf.module],
            item_text,
            rules,
        );
        Checked {
            findings: Arc::new(found),
            panics: Arc::new(panics),
            status: Status::Checked,
        }
    }
}

fn is_glob_super(tree: &syn::UseTree) -> bool {
    matches!(tree, syn::UseTree::Path(p) if p.ident == "super" && matches!(&*p.tree, syn::UseTree::Glob(_)))
}

fn parse_header(text: &str, kind: ContainerKind) -> HeaderFacts {
    if crate::lex::nesting_depth(text) > MAX_NESTING {
        return HeaderFacts::default();
    }
    let mut source = String::with_capacity(text.len() + 1);
    source.push_str(text);
    source.push('}');
    let Ok(item) = syn::parse_str::<syn::Item>(&source) else {
        return HeaderFacts::default();
    };
    let mut facts = HeaderFacts {
        parsed: true,
        ..HeaderFacts::default()
    };
    let attrs = match (&item, kind) {
        (syn::Item::Mod(m), ContainerKind::Mod) => {
            facts.private_mod = !matches!(m.vis, syn::Visibility::Public(_));
            &m.attrs
        }
        (syn::Item::Impl(i), ContainerKind::Impl) => {
            match &i.trait_ {
                Some((_, path, _)) => {
                    let has = |name: &str| {
                        i.attrs
                            .iter()
                            .any(|a| a.path().segments.last().is_some_and(|s| s.ident == name))
                    };
                    let tonic = i.attrs.iter().any(|a| {
                        let segs: Vec<String> = a
                            .path()
                            .segments
                            .iter()
                            .map(|s| s.ident.to_string())
                            .collect();
                        segs == ["tonic", "async_trait"]
                    });
                    facts.trait_impl = Some(TraitImpl {
                        trait_name: path
                            .segments
                            .last()
                            .map(|s| s.ident.to_string())
                            .unwrap_or_default(),
                        tonic_async_trait: tonic,
                        async_trait: has("async_trait"),
                    });
                }
                None => facts.inherent_impl = true,
            }
            &i.attrs
        }
        _ => return HeaderFacts::default(),
    };
    for attr in attrs {
        facts.in_test |= walk::is_test_attr(attr);
        facts.allows.extend(walk::clippy_lints_in(attr));
    }
    facts
}

fn check_parsed(
    parsed: &Parsed,
    info: &FileInfo<'_>,
    scope: &Scope,
    imports: &ImportMap,
    text: &str,
    rules: &[&'static dyn walk::Rule],
) -> (Vec<Finding>, Vec<RulePanic>) {
    use syn::visit::Visit;
    let mut roots = Vec::new();
    {
        let mut collect = MacroCollector { found: &mut roots };
        match parsed {
            Parsed::Item(i) => collect.visit_item(i),
            Parsed::ImplItem(i) => collect.visit_impl_item(i),
            Parsed::File(f) => collect.visit_file(f),
        }
    }
    let arena = MacroArena::build(roots);
    let mut walker = Walker::new(info, scope, imports, text, rules, &arena);
    match parsed {
        Parsed::Item(i) => walker.visit_item(i),
        Parsed::ImplItem(i) => walker.visit_impl_item(i),
        Parsed::File(f) => walker.visit_file(f),
    }
    walker.finish()
}
