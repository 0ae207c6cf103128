//! The single walk over a parsed item that feeds every rule.
//!
//! Rules do not traverse syntax trees themselves. [`Walker`] visits each item once,
//! keeps track of what surrounds the current node (enclosing function and whether
//! it is an API boundary, closures, test code, clippy `allow`s, the chain of parent
//! expressions) and calls each rule's hooks. Macro arguments that the catalog says
//! rules must see (`format!`, print and log macros, `assert!` …) are parsed up front
//! into a [`MacroArena`] so that they are walked like ordinary expressions.

use std::cell::OnceCell;
use std::collections::{HashMap, HashSet};
use std::ops::Range;
use std::panic::{catch_unwind, AssertUnwindSafe};

use proc_macro2::{Delimiter, Span, TokenStream, TokenTree};
use syn::spanned::Spanned;
use syn::visit::{self, Visit};

use crate::config::Config;
use crate::crate_facts::CrateFacts;
use crate::imports::{path_segments, resolve, ImportMap, Resolved};
use crate::project::FileRole;
use crate::rule::{Finding, Level, RuleMeta};

/// A rule: metadata plus hooks the walker calls. Every hook has an empty default.
pub trait Rule: Send + Sync + 'static {
    fn meta(&self) -> &'static RuleMeta;

    /// Called for every expression, including those parsed from macro arguments,
    /// before its children are visited.
    fn check_expr(&self, _cx: &Cx<'_, '_>, _expr: &syn::Expr, _out: &mut Sink<'_>) {}

    /// Called for every macro invocation (expression, statement or item position).
    fn check_macro(&self, _cx: &Cx<'_, '_>, _mac: &syn::Macro, _out: &mut Sink<'_>) {}

    /// Called for every item (top-level, in a module, or nested in a function),
    /// before its contents are visited.
    fn check_item(&self, _cx: &Cx<'_, '_>, _item: &syn::Item, _out: &mut Sink<'_>) {}

    /// Called for every statement of every block (function bodies, closures, loops,
    /// branches), before the statement's contents are visited.
    fn check_stmt(&self, _cx: &Cx<'_, '_>, _stmt: &syn::Stmt, _out: &mut Sink<'_>) {}

    /// Called for every `let` statement, before its initialiser is visited.
    fn check_local(&self, _cx: &Cx<'_, '_>, _local: &syn::Local, _out: &mut Sink<'_>) {}

    /// Called on entering a function or method, after its frame is pushed.
    fn check_fn(
        &self,
        _cx: &Cx<'_, '_>,
        _sig: &syn::Signature,
        _attrs: &[syn::Attribute],
        _out: &mut Sink<'_>,
    ) {
    }
}

/// Where a rule's findings go while one item is walked.
pub struct Sink<'a> {
    meta: &'static RuleMeta,
    findings: &'a mut Vec<Finding>,
}

impl Sink<'_> {
    /// Report a finding at the rule's default level. Returns it for adding a fix or
    /// lowering its level.
    pub fn report(&mut self, range: Range<usize>, message: impl Into<String>) -> &mut Finding {
        self.findings.push(Finding {
            rule: self.meta.id.to_owned(),
            level: self.meta.default_level,
            message: message.into(),
            range,
            fix: None,
            suppressed: false,
            baselined: false,
            unnecessary: false,
        });
        let last = self.findings.len() - 1;
        &mut self.findings[last]
    }
}

/// Facts about the whole file that rules may read. Anything here is part of the
/// cache key of every item of the file.
pub struct FileInfo<'a> {
    pub role: FileRole,
    /// The whole file is test code (its role, or an out-of-line `#[cfg(test)]` module).
    pub test_file: bool,
    /// The file is an out-of-line module declared without a plain `pub` somewhere on
    /// its way from the crate root.
    pub private_module: bool,
    pub crate_facts: &'a CrateFacts,
    pub config: &'a Config,
    /// Names of functions registered as request handlers anywhere in the file.
    pub routes: &'a HashSet<String>,
    /// Clippy lints allowed for the whole file by inner attributes.
    pub file_allows: &'a [String],
    /// The file imports something from `tonic`.
    pub imports_tonic: bool,
}

/// What surrounds an item that was split out of an inline `mod` or `impl` block.
#[derive(Clone, Debug, Default, Hash, PartialEq, Eq)]
pub struct Scope {
    pub in_test: bool,
    /// Clippy lints allowed by enclosing attributes.
    pub allows: Vec<String>,
    /// Set inside `impl Trait for Type` blocks.
    pub trait_impl: Option<TraitImpl>,
    /// Set inside an inherent `impl Type` block.
    pub inherent_impl: bool,
    /// Inside an inline `mod` that is not plain `pub` (private or `pub(crate)`).
    pub in_private_mod: bool,
}

/// The parts of an `impl Trait for Type` header that rules care about.
#[derive(Clone, Debug, Default, Hash, PartialEq, Eq)]
pub struct TraitImpl {
    pub trait_name: String,
    /// `#[tonic::async_trait]` on the block.
    pub tonic_async_trait: bool,
    /// A bare `#[async_trait]` on the block (a tonic service when the file imports tonic).
    pub async_trait: bool,
}

/// Why a function's failures escape to someone else.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BoundaryKind {
    /// A `pub` function or method in a library file.
    PublicApi,
    /// An HTTP request handler.
    Handler,
    /// A method of a tonic service implementation.
    RpcMethod,
    /// The body of a spawned task or thread.
    SpawnedTask,
}

impl BoundaryKind {
    pub fn describe(self) -> &'static str {
        match self {
            BoundaryKind::PublicApi => "a public API function",
            BoundaryKind::Handler => "a request handler",
            BoundaryKind::RpcMethod => "a gRPC service method",
            BoundaryKind::SpawnedTask => "a spawned task",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum FrameKind {
    Fn,
    Closure,
    AsyncBlock,
    /// A `const`/`static` initialiser or a lazy-initialisation closure.
    StaticInit,
}

struct Frame<'ast> {
    kind: FrameKind,
    /// Set for `Fn` frames.
    sig: Option<&'ast syn::Signature>,
    body: Option<&'ast syn::Block>,
    boundary: Option<BoundaryKind>,
    is_main: bool,
    is_async: bool,
    bindings: OnceCell<Vec<Binding<'ast>>>,
}

/// A `let name = init;` seen in the enclosing function.
struct Binding<'ast> {
    name: String,
    init: &'ast syn::Expr,
    offset: usize,
}

/// The context rules see at the current node.
pub struct Cx<'a, 'ast> {
    pub file: &'a FileInfo<'a>,
    pub scope: &'a Scope,
    imports: &'a ImportMap,
    /// Source text of the item being walked; offsets are relative to it.
    text: &'a str,
    frames: Vec<Frame<'ast>>,
    ancestors: Vec<&'ast syn::Expr>,
    allows: Vec<String>,
    test_depth: usize,
}

impl<'a, 'ast> Cx<'a, 'ast> {
    /// The source text of the item; ranges from [`Cx::range`] index into it.
    pub fn text(&self) -> &'a str {
        self.text
    }

    pub fn slice(&self, range: Range<usize>) -> &'a str {
        self.text.get(range).unwrap_or("")
    }

    /// Byte range of a span within the item.
    pub fn span_range(&self, span: Span) -> Range<usize> {
        span.byte_range()
    }

    /// Byte range of any syntax node.
    pub fn range(&self, node: &impl Spanned) -> Range<usize> {
        node.span().byte_range()
    }

    /// Inside a module that is not reachable from outside the crate: an inline
    /// `mod` that is not plain `pub`, or a file declared that way on its way from
    /// the crate root.
    pub fn in_private_module(&self) -> bool {
        self.scope.in_private_mod || self.file.private_module
    }

    /// True in test code: test files, `#[cfg(test)]` modules, `#[test]` functions.
    pub fn in_test(&self) -> bool {
        self.file.test_file || self.scope.in_test || self.test_depth > 0
    }

    /// True in test code, examples and build scripts: the default skip for rules.
    pub fn skip_by_default(&self) -> bool {
        self.in_test() || matches!(self.file.role, FileRole::Example | FileRole::BuildScript)
    }

    /// Whether `#[allow(clippy::<lint>)]` or `#[expect(..)]` covers the current node.
    pub fn clippy_allows(&self, lint: &str) -> bool {
        let hit = |l: &String| l == lint;
        self.allows.iter().any(hit)
            || self.scope.allows.iter().any(hit)
            || self.file.file_allows.iter().any(hit)
    }

    /// Resolve a path through the file's imports and the crate's dependencies.
    pub fn resolve(&self, path: &syn::Path) -> Resolved {
        let segments = path_segments(path);
        if path.leading_colon.is_some() {
            return Resolved {
                confident: true,
                segments: self.crate_root_name(&segments),
            };
        }
        let facts = self.file.crate_facts;
        resolve(&segments, self.imports, &|first: &str| match first {
            "std" | "core" | "alloc" => Some(first.to_owned()),
            other => facts.dep(other).map(|d| d.package.replace('-', "_")),
        })
    }

    fn crate_root_name(&self, segments: &[String]) -> Vec<String> {
        let mut out = segments.to_vec();
        if let Some(first) = out.first_mut() {
            if let Some(dep) = self.file.crate_facts.dep(first) {
                *first = dep.package.replace('-', "_");
            }
        }
        out
    }

    /// Resolve a path given as identifiers (`["Duration"]`).
    pub fn resolve_names(&self, names: &[&str]) -> Resolved {
        let segments: Vec<String> = names.iter().map(|s| (*s).to_owned()).collect();
        let facts = self.file.crate_facts;
        resolve(&segments, self.imports, &|first: &str| match first {
            "std" | "core" | "alloc" => Some(first.to_owned()),
            other => facts.dep(other).map(|d| d.package.replace('-', "_")),
        })
    }

    /// The type alias `name` defined in the current module (`type Result<T> = …;`),
    /// as the alias item's source text, when it is defined exactly once.
    pub fn type_alias(&self, name: &str) -> Option<&'a str> {
        self.imports.alias(name)
    }

    /// True when a bare name may be the prelude's: the module neither defines it as
    /// a type alias nor imports it, and has no glob import it could come from.
    pub fn is_prelude_name(&self, name: &str) -> bool {
        self.imports.get(name).is_none()
            && !self.imports.defines_alias(name)
            && !self.imports.has_globs()
    }

    /// Resolve the function of a call expression, when it is a path.
    pub fn resolve_call(&self, call: &syn::ExprCall) -> Option<Resolved> {
        match &*call.func {
            syn::Expr::Path(p) => Some(self.resolve(&p.path)),
            _ => None,
        }
    }

    /// Parent expressions, innermost first (the current expression excluded).
    pub fn ancestors(&self) -> impl Iterator<Item = &'ast syn::Expr> + '_ {
        self.ancestors.iter().rev().copied()
    }

    pub fn parent(&self) -> Option<&'ast syn::Expr> {
        self.ancestors.last().copied()
    }

    fn innermost_fn(&self) -> Option<&Frame<'ast>> {
        self.frames.iter().rev().find(|f| f.kind == FrameKind::Fn)
    }

    /// The signature of the nearest enclosing function or method.
    pub fn enclosing_fn(&self) -> Option<&'ast syn::Signature> {
        self.innermost_fn().and_then(|f| f.sig)
    }

    /// True when a closure or async block lies between the current node and the
    /// nearest enclosing function (so `?` and `return` mean something else here).
    pub fn in_closure(&self) -> bool {
        self.frames.last().is_some_and(|f| f.kind != FrameKind::Fn)
    }

    /// True inside a `const`/`static` initialiser or a lazy-initialisation closure.
    pub fn in_static_init(&self) -> bool {
        self.frames.iter().any(|f| f.kind == FrameKind::StaticInit)
    }

    /// The boundary the current code belongs to, if any: a spawned closure or async
    /// block, else the nearest enclosing function's own status.
    pub fn boundary(&self) -> Option<BoundaryKind> {
        for frame in self.frames.iter().rev() {
            match frame.kind {
                FrameKind::StaticInit => return None,
                FrameKind::Closure | FrameKind::AsyncBlock => {
                    if frame.boundary.is_some() {
                        return frame.boundary;
                    }
                }
                FrameKind::Fn => return frame.boundary,
            }
        }
        None
    }

    /// The enclosing function is `fn main`.
    pub fn in_main(&self) -> bool {
        self.innermost_fn().is_some_and(|f| f.is_main)
    }

    /// Inside async code: an `async fn` or an `async` block, and not inside a plain
    /// closure nested in it.
    pub fn in_async(&self) -> bool {
        match self.frames.last() {
            Some(frame) => match frame.kind {
                FrameKind::AsyncBlock => true,
                FrameKind::Closure | FrameKind::StaticInit => false,
                FrameKind::Fn => frame.is_async,
            },
            None => false,
        }
    }

    /// The body of the nearest enclosing function.
    pub fn fn_body(&self) -> Option<&'ast syn::Block> {
        self.innermost_fn().and_then(|f| f.body)
    }

    /// The initialiser of the latest `let <name> = …;` before `before` in the
    /// enclosing function.
    pub fn binding(&self, name: &str, before: usize) -> Option<&'ast syn::Expr> {
        let frame = self.innermost_fn()?;
        let bindings = frame.bindings.get_or_init(|| collect_bindings(frame.body));
        bindings
            .iter()
            .rev()
            .find(|b| b.name == name && b.offset < before)
            .map(|b| b.init)
    }

    /// Options of a rule from the configuration.
    pub fn options(&self, rule: &str) -> Option<&'a toml::Table> {
        self.file.config.rule_options(rule)
    }

    pub fn bool_option(&self, rule: &str, key: &str, default: bool) -> bool {
        self.options(rule)
            .and_then(|t| t.get(key))
            .and_then(toml::Value::as_bool)
            .unwrap_or(default)
    }
}

fn collect_bindings(body: Option<&syn::Block>) -> Vec<Binding<'_>> {
    struct Collect<'ast> {
        out: Vec<Binding<'ast>>,
    }
    impl<'ast> Visit<'ast> for Collect<'ast> {
        fn visit_local(&mut self, local: &'ast syn::Local) {
            if let (Some(name), Some(init)) = (pat_ident(&local.pat), &local.init) {
                self.out.push(Binding {
                    name,
                    init: &init.expr,
                    offset: local.let_token.span.byte_range().start,
                });
            }
            visit::visit_local(self, local);
        }
        fn visit_item(&mut self, _: &'ast syn::Item) {}
    }
    let mut c = Collect { out: Vec::new() };
    if let Some(body) = body {
        c.visit_block(body);
    }
    c.out
}

/// The identifier bound by a simple pattern (`x`, `mut x`, `x: T`).
pub fn pat_ident(pat: &syn::Pat) -> Option<String> {
    match pat {
        syn::Pat::Ident(p) => Some(p.ident.to_string()),
        syn::Pat::Type(t) => pat_ident(&t.pat),
        _ => None,
    }
}

/// Macro arguments parsed ahead of the walk, keyed by the macro's byte range.
#[derive(Default)]
pub struct MacroArena {
    parsed: Vec<Vec<syn::Expr>>,
    by_range: HashMap<(usize, usize), usize>,
}

/// Macros whose arguments are comma-separated expressions (format-like, assertions,
/// logging). Tracing's `field = %value` syntax is understood.
pub(crate) fn macro_args_kind(name: &str) -> Option<MacroArgs> {
    Some(match name {
        "format" | "print" | "println" | "eprint" | "eprintln" | "write" | "writeln" | "panic"
        | "assert" | "assert_eq" | "assert_ne" | "debug_assert" | "debug_assert_eq"
        | "debug_assert_ne" | "format_args" | "unreachable" | "todo" | "unimplemented" | "vec"
        | "dbg" | "concat" => MacroArgs::Plain,
        "trace" | "debug" | "info" | "warn" | "error" | "event" | "trace_span" | "debug_span"
        | "info_span" | "warn_span" | "error_span" | "span" | "log" => MacroArgs::Fields,
        _ => return None,
    })
}

#[derive(Clone, Copy)]
pub(crate) enum MacroArgs {
    Plain,
    Fields,
}

impl MacroArena {
    /// Parse the arguments of every known macro among `roots` (collected from an
    /// item with [`MacroCollector`]), including macros nested inside those arguments.
    pub fn build(roots: Vec<syn::Macro>) -> MacroArena {
        let mut arena = MacroArena::default();
        let mut queue: std::collections::VecDeque<syn::Macro> = roots.into();
        while let Some(mac) = queue.pop_front() {
            let Some(kind) = mac
                .path
                .segments
                .last()
                .and_then(|s| macro_args_kind(&s.ident.to_string()))
            else {
                continue;
            };
            let key = macro_key(&mac);
            if arena.by_range.contains_key(&key) {
                continue;
            }
            let exprs = parse_macro_args(mac.tokens.clone(), kind);
            // Arguments may hold further macros (`info!("{}", format!(..))`).
            let mut nested = Vec::new();
            let mut collect = MacroCollector { found: &mut nested };
            for e in &exprs {
                collect.visit_expr(e);
            }
            queue.extend(nested);
            arena.by_range.insert(key, arena.parsed.len());
            arena.parsed.push(exprs);
        }
        arena
    }

    fn get(&self, mac: &syn::Macro) -> Option<&[syn::Expr]> {
        self.by_range
            .get(&macro_key(mac))
            .and_then(|&i| self.parsed.get(i))
            .map(Vec::as_slice)
    }
}

/// Collects macro invocations without descending into nested items.
pub struct MacroCollector<'m> {
    pub found: &'m mut Vec<syn::Macro>,
}

impl<'ast> Visit<'ast> for MacroCollector<'_> {
    fn visit_macro(&mut self, mac: &'ast syn::Macro) {
        self.found.push(mac.clone());
    }
}

fn macro_key(mac: &syn::Macro) -> (usize, usize) {
    let start = mac.path.span().byte_range().start;
    let end = mac.delimiter.span().close().byte_range().end;
    (start, end)
}

/// Split a macro's tokens at top-level commas (and `;` for `vec![x; n]`) and parse
/// each piece as an expression, skipping tracing field names and sigils.
fn parse_macro_args(tokens: TokenStream, kind: MacroArgs) -> Vec<syn::Expr> {
    split_top_level(tokens)
        .into_iter()
        .filter_map(|piece| {
            let tokens = match kind {
                MacroArgs::Plain => piece,
                MacroArgs::Fields => LogArg::parse(piece).value,
            };
            if tokens.is_empty() {
                return None;
            }
            syn::parse2::<syn::Expr>(tokens.into_iter().collect()).ok()
        })
        .collect()
}

/// A macro's tokens split at top-level commas and semicolons; empty pieces dropped.
fn split_top_level(tokens: TokenStream) -> Vec<Vec<TokenTree>> {
    let mut out = Vec::new();
    let mut piece: Vec<TokenTree> = Vec::new();
    for tt in tokens {
        match &tt {
            TokenTree::Punct(p) if (p.as_char() == ',' || p.as_char() == ';') => {
                if !piece.is_empty() {
                    out.push(std::mem::take(&mut piece));
                }
            }
            _ => piece.push(tt),
        }
    }
    if !piece.is_empty() {
        out.push(piece);
    }
    out
}

/// One top-level argument of a `tracing` or `log` macro with its prefixes taken
/// apart: `target: "x"`, `user.id = %id`, `?err`, `{ a = 1 }`, or a plain expression
/// such as the message or a format argument.
pub(crate) struct LogArg {
    /// The argument as written.
    pub tokens: Vec<TokenTree>,
    /// `target`, `parent` or `name` in `target: "x"`.
    pub key: Option<String>,
    /// The field name of `user.id = value` (or a format string's `name = value`).
    pub field: Option<Vec<TokenTree>>,
    /// `%` or `?` before the value.
    pub sigil: Option<char>,
    /// A braced field set, `{ a = 1 }`.
    pub field_set: bool,
    /// What is left once the prefixes are removed (empty for a field set).
    pub value: Vec<TokenTree>,
}

impl LogArg {
    fn parse(tokens: Vec<TokenTree>) -> LogArg {
        let mut piece = tokens.clone();
        let mut key = None;
        let mut field = None;
        let mut sigil = None;
        let mut field_set = false;
        // `target: "x"`, `parent: &span`, `name: "n"`.
        if let [TokenTree::Ident(k), TokenTree::Punct(p), ..] = piece.as_slice() {
            if p.as_char() == ':' && !is_path_sep(&piece, 1) {
                key = Some(k.to_string());
                piece.drain(..2);
            }
        }
        // `a.b.c = value` (but not `==`).
        if let Some(eq) = field_assignment(&piece) {
            let name: Vec<TokenTree> = piece.drain(..=eq).collect();
            field = Some(name[..eq].to_vec());
        }
        // `%value`, `?value`.
        if let Some(TokenTree::Punct(p)) = piece.first() {
            if p.as_char() == '%' || p.as_char() == '?' {
                sigil = Some(p.as_char());
                piece.remove(0);
            }
        }
        // A braced or bracketed group alone is a field set, not an expression.
        if let [TokenTree::Group(g)] = piece.as_slice() {
            if g.delimiter() == Delimiter::Brace {
                field_set = true;
                piece.clear();
            }
        }
        LogArg {
            tokens,
            key,
            field,
            sigil,
            field_set,
            value: piece,
        }
    }

    /// Byte range of the argument as written.
    pub fn range(&self) -> Range<usize> {
        let start = self
            .tokens
            .first()
            .map_or(0, |t| t.span().byte_range().start);
        let end = self
            .tokens
            .last()
            .map_or(start, |t| t.span().byte_range().end);
        start..end
    }
}

/// The top-level arguments of a `tracing` or `log` macro, parsed the way the walker
/// parses them for every rule.
pub(crate) fn log_args(tokens: TokenStream) -> Vec<LogArg> {
    split_top_level(tokens)
        .into_iter()
        .map(LogArg::parse)
        .collect()
}

fn is_path_sep(piece: &[TokenTree], i: usize) -> bool {
    matches!(piece.get(i + 1), Some(TokenTree::Punct(p)) if p.as_char() == ':')
        || matches!(piece.get(i.wrapping_sub(1)), Some(TokenTree::Punct(p)) if p.as_char() == ':')
}

/// Index of the `=` in a leading `ident(.ident)* =` field name (tracing's
/// `user.id = %id`), if any; `==` is not a field.
pub(crate) fn field_assignment(piece: &[TokenTree]) -> Option<usize> {
    let mut i = 0;
    loop {
        match piece.get(i) {
            Some(TokenTree::Ident(_)) | Some(TokenTree::Literal(_)) => i += 1,
            _ => return None,
        }
        match piece.get(i) {
            Some(TokenTree::Punct(p)) if p.as_char() == '.' => i += 1,
            Some(TokenTree::Punct(p)) if p.as_char() == '=' => {
                let next_is_eq =
                    matches!(piece.get(i + 1), Some(TokenTree::Punct(q)) if q.as_char() == '=');
                return if next_is_eq { None } else { Some(i) };
            }
            _ => return None,
        }
    }
}

/// A rule panicked while checking an item.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RulePanic {
    pub rule: &'static str,
    pub message: String,
}

/// Walks one item and dispatches to the rules.
pub struct Walker<'a, 'ast> {
    cx: Cx<'a, 'ast>,
    rules: &'a [&'static dyn Rule],
    arena: &'ast MacroArena,
    /// Findings per rule index.
    findings: Vec<Vec<Finding>>,
    failed: Vec<Option<String>>,
}

impl<'a, 'ast> Walker<'a, 'ast> {
    pub fn new(
        file: &'a FileInfo<'a>,
        scope: &'a Scope,
        imports: &'a ImportMap,
        text: &'a str,
        rules: &'a [&'static dyn Rule],
        arena: &'ast MacroArena,
    ) -> Self {
        Walker {
            cx: Cx {
                file,
                scope,
                imports,
                text,
                frames: Vec::new(),
                ancestors: Vec::new(),
                allows: Vec::new(),
                test_depth: 0,
            },
            rules,
            arena,
            findings: rules.iter().map(|_| Vec::new()).collect(),
            failed: rules.iter().map(|_| None).collect(),
        }
    }

    /// Findings of the rules that did not panic, and the panics.
    pub fn finish(self) -> (Vec<Finding>, Vec<RulePanic>) {
        let mut findings = Vec::new();
        let mut panics = Vec::new();
        for ((rule, found), failed) in self.rules.iter().zip(self.findings).zip(self.failed) {
            match failed {
                Some(message) => panics.push(RulePanic {
                    rule: rule.meta().id,
                    message,
                }),
                None => findings.extend(found),
            }
        }
        (findings, panics)
    }

    fn dispatch(&mut self, call: impl Fn(&dyn Rule, &Cx<'a, 'ast>, &mut Sink<'_>)) {
        for (i, rule) in self.rules.iter().enumerate() {
            if self.failed[i].is_some() {
                continue;
            }
            let mut sink = Sink {
                meta: rule.meta(),
                findings: &mut self.findings[i],
            };
            let cx = &self.cx;
            let result = catch_unwind(AssertUnwindSafe(|| call(*rule, cx, &mut sink)));
            if let Err(payload) = result {
                let message = payload
                    .downcast_ref::<&str>()
                    .map(|s| (*s).to_owned())
                    .or_else(|| payload.downcast_ref::<String>().cloned())
                    .unwrap_or_else(|| "unknown panic".to_owned());
                tracing::error!(rule = rule.meta().id, %message, "rule panicked; its findings for this item are dropped");
                self.failed[i] = Some(message);
            }
        }
    }

    /// Process attributes of a node: test markers and clippy allows. Returns how
    /// many allows were pushed and whether a test marker was found.
    fn enter_attrs(&mut self, attrs: &[syn::Attribute]) -> (usize, bool) {
        let mut pushed = 0;
        let mut test = false;
        for attr in attrs {
            if is_test_attr(attr) {
                test = true;
            }
            for lint in clippy_lints_in(attr) {
                self.cx.allows.push(lint);
                pushed += 1;
            }
        }
        if test {
            self.cx.test_depth += 1;
        }
        (pushed, test)
    }

    fn leave_attrs(&mut self, (pushed, test): (usize, bool)) {
        let keep = self.cx.allows.len().saturating_sub(pushed);
        self.cx.allows.truncate(keep);
        if test {
            self.cx.test_depth -= 1;
        }
    }

    fn walk_fn(
        &mut self,
        attrs: &'ast [syn::Attribute],
        vis: Option<&'ast syn::Visibility>,
        sig: &'ast syn::Signature,
        body: &'ast syn::Block,
        is_method: bool,
    ) {
        let saved = self.enter_attrs(attrs);
        let boundary = self.fn_boundary(attrs, vis, sig, is_method);
        self.cx.frames.push(Frame {
            kind: FrameKind::Fn,
            sig: Some(sig),
            body: Some(body),
            boundary,
            is_main: sig.ident == "main" && !is_method,
            is_async: sig.asyncness.is_some(),
            bindings: OnceCell::new(),
        });
        self.dispatch(|rule, cx, out| rule.check_fn(cx, sig, attrs, out));
        self.visit_signature(sig);
        self.visit_block(body);
        self.cx.frames.pop();
        self.leave_attrs(saved);
    }

    fn fn_boundary(
        &self,
        attrs: &[syn::Attribute],
        vis: Option<&syn::Visibility>,
        sig: &syn::Signature,
        is_method: bool,
    ) -> Option<BoundaryKind> {
        let name = sig.ident.to_string();
        if name == "main" && !is_method {
            return None;
        }
        // Functions nested inside other functions are private helpers.
        let nested = self.cx.frames.iter().any(|f| f.kind == FrameKind::Fn);
        if sig.asyncness.is_some() && !nested {
            if attrs.iter().any(is_route_attr) {
                return Some(BoundaryKind::Handler);
            }
            if sig.inputs.iter().any(|arg| self.is_extractor_arg(arg)) {
                return Some(BoundaryKind::Handler);
            }
            if !is_method && self.cx.file.routes.contains(&name) {
                return Some(BoundaryKind::Handler);
            }
        }
        if is_method {
            if let Some(t) = &self.cx.scope.trait_impl {
                if t.tonic_async_trait || (t.async_trait && self.cx.file.imports_tonic) {
                    return Some(BoundaryKind::RpcMethod);
                }
            }
        }
        let public = matches!(vis, Some(syn::Visibility::Public(_)));
        let lib = matches!(self.cx.file.role, FileRole::Lib | FileRole::Other);
        if public && lib && !nested && self.cx.scope.trait_impl.is_none() {
            return Some(BoundaryKind::PublicApi);
        }
        None
    }

    fn is_extractor_arg(&self, arg: &syn::FnArg) -> bool {
        let syn::FnArg::Typed(pt) = arg else {
            return false;
        };
        let syn::Type::Path(tp) = &*pt.ty else {
            return false;
        };
        let Some(last) = tp.path.segments.last() else {
            return false;
        };
        let name = last.ident.to_string();
        if !matches!(
            name.as_str(),
            "Json"
                | "Path"
                | "Query"
                | "State"
                | "Form"
                | "Extension"
                | "HttpRequest"
                | "Multipart"
        ) {
            return false;
        }
        let resolved = self.cx.resolve(&tp.path);
        matches!(
            resolved.krate(),
            Some("axum" | "actix_web" | "warp" | "rocket" | "axum_extra")
        )
    }

    fn closure_frame_kind(&self, is_async_block: bool) -> (FrameKind, Option<BoundaryKind>) {
        let base = if is_async_block {
            FrameKind::AsyncBlock
        } else {
            FrameKind::Closure
        };
        let Some(parent) = self.cx.parent() else {
            return (base, None);
        };
        match parent {
            syn::Expr::Call(call) => {
                let Some(resolved) = self.cx.resolve_call(call) else {
                    return (base, None);
                };
                if is_spawn_path(&resolved) {
                    return (base, Some(BoundaryKind::SpawnedTask));
                }
                if is_lazy_init_path(&resolved) {
                    return (FrameKind::StaticInit, None);
                }
                (base, None)
            }
            syn::Expr::MethodCall(mc) => {
                let m = mc.method.to_string();
                if matches!(
                    m.as_str(),
                    "get_or_init" | "get_or_try_init" | "call_once" | "call_once_force"
                ) {
                    return (FrameKind::StaticInit, None);
                }
                (base, None)
            }
            _ => (base, None),
        }
    }
}

fn is_spawn_path(r: &Resolved) -> bool {
    r.is(&["tokio", "spawn"])
        || r.is(&["tokio", "task", "spawn"])
        || r.is(&["tokio", "task", "spawn_blocking"])
        || r.is(&["tokio", "task", "spawn_local"])
        || r.is(&["std", "thread", "spawn"])
}

fn is_lazy_init_path(r: &Resolved) -> bool {
    let segs: Vec<&str> = r.segments.iter().map(String::as_str).collect();
    matches!(
        segs.as_slice(),
        [.., "LazyLock" | "LazyCell" | "Lazy", "new"]
            | [.., "OnceLock" | "OnceCell", "get_or_init"]
    )
}

/// `#[test]`, `#[tokio::test]`, `#[any::path::test]`, `#[cfg(test)]`.
pub fn is_test_attr(attr: &syn::Attribute) -> bool {
    let path = attr.path();
    if path.segments.last().is_some_and(|s| s.ident == "test") {
        return true;
    }
    if path.is_ident("cfg") {
        return cfg_is_test(attr);
    }
    false
}

fn cfg_is_test(attr: &syn::Attribute) -> bool {
    let syn::Meta::List(list) = &attr.meta else {
        return false;
    };
    // `cfg(test)` and `cfg(all(test, ..))`; `cfg(not(test))` is not test code.
    let tokens: Vec<TokenTree> = list.tokens.clone().into_iter().collect();
    match tokens.as_slice() {
        [TokenTree::Ident(i)] => i == "test",
        [TokenTree::Ident(all), TokenTree::Group(g)] if all == "all" => g
            .stream()
            .into_iter()
            .any(|t| matches!(t, TokenTree::Ident(i) if i == "test")),
        _ => false,
    }
}

fn is_route_attr(attr: &syn::Attribute) -> bool {
    attr.path().segments.last().is_some_and(|s| {
        matches!(
            s.ident.to_string().as_str(),
            "get" | "post" | "put" | "delete" | "patch" | "head" | "options" | "route" | "routes"
        )
    })
}

/// Clippy lints named by `#[allow(clippy::x)]` / `#[expect(clippy::x)]`
/// (and the inner forms), without the `clippy::` prefix.
pub fn clippy_lints_in(attr: &syn::Attribute) -> Vec<String> {
    let path = attr.path();
    if !(path.is_ident("allow") || path.is_ident("expect")) {
        return Vec::new();
    }
    let syn::Meta::List(list) = &attr.meta else {
        return Vec::new();
    };
    let mut out = Vec::new();
    let tokens: Vec<TokenTree> = list.tokens.clone().into_iter().collect();
    let mut i = 0;
    while i < tokens.len() {
        if let TokenTree::Ident(first) = &tokens[i] {
            if first == "clippy" {
                if let (
                    Some(TokenTree::Punct(a)),
                    Some(TokenTree::Punct(b)),
                    Some(TokenTree::Ident(lint)),
                ) = (tokens.get(i + 1), tokens.get(i + 2), tokens.get(i + 3))
                {
                    if a.as_char() == ':' && b.as_char() == ':' {
                        out.push(lint.to_string());
                        i += 4;
                        continue;
                    }
                }
            }
        }
        i += 1;
    }
    out
}

impl<'ast> Visit<'ast> for Walker<'_, 'ast> {
    /// Attributes are not code: their values (`#[doc = "…"]`, which is what doc
    /// comments become, `#[path = "…"]`) are not expressions for rules to check.
    /// Rules that care about attributes read them from the item or signature.
    fn visit_attribute(&mut self, _: &'ast syn::Attribute) {}

    fn visit_item_fn(&mut self, f: &'ast syn::ItemFn) {
        self.walk_fn(&f.attrs, Some(&f.vis), &f.sig, &f.block, false);
    }

    fn visit_impl_item_fn(&mut self, f: &'ast syn::ImplItemFn) {
        self.walk_fn(&f.attrs, Some(&f.vis), &f.sig, &f.block, true);
    }

    fn visit_trait_item_fn(&mut self, f: &'ast syn::TraitItemFn) {
        if let Some(body) = &f.default {
            self.walk_fn(&f.attrs, None, &f.sig, body, true);
        }
    }

    fn visit_item_impl(&mut self, i: &'ast syn::ItemImpl) {
        // An impl that was not split into its own segment (e.g. inside a function):
        // treat its methods as non-boundary helpers unless public.
        let saved = self.enter_attrs(&i.attrs);
        visit::visit_item_impl(self, i);
        self.leave_attrs(saved);
    }

    fn visit_item_mod(&mut self, m: &'ast syn::ItemMod) {
        let saved = self.enter_attrs(&m.attrs);
        visit::visit_item_mod(self, m);
        self.leave_attrs(saved);
    }

    fn visit_item_const(&mut self, c: &'ast syn::ItemConst) {
        self.walk_static(&c.attrs, &c.expr);
    }

    fn visit_item_static(&mut self, s: &'ast syn::ItemStatic) {
        self.walk_static(&s.attrs, &s.expr);
    }

    fn visit_impl_item_const(&mut self, c: &'ast syn::ImplItemConst) {
        self.walk_static(&c.attrs, &c.expr);
    }

    fn visit_item_struct(&mut self, s: &'ast syn::ItemStruct) {
        let saved = self.enter_attrs(&s.attrs);
        visit::visit_item_struct(self, s);
        self.leave_attrs(saved);
    }

    fn visit_stmt(&mut self, stmt: &'ast syn::Stmt) {
        self.dispatch(|rule, cx, out| rule.check_stmt(cx, stmt, out));
        visit::visit_stmt(self, stmt);
    }

    fn visit_local(&mut self, l: &'ast syn::Local) {
        let saved = self.enter_attrs(&l.attrs);
        self.dispatch(|rule, cx, out| rule.check_local(cx, l, out));
        visit::visit_local(self, l);
        self.leave_attrs(saved);
    }

    fn visit_expr(&mut self, e: &'ast syn::Expr) {
        self.dispatch(|rule, cx, out| rule.check_expr(cx, e, out));
        match e {
            syn::Expr::Closure(c) => {
                let (kind, boundary) = self.closure_frame_kind(false);
                self.push_frame(kind, boundary, c.asyncness.is_some());
                self.cx.ancestors.push(e);
                visit::visit_expr_closure(self, c);
                self.cx.ancestors.pop();
                self.cx.frames.pop();
            }
            syn::Expr::Async(a) => {
                let (kind, boundary) = self.closure_frame_kind(true);
                self.push_frame(kind, boundary, true);
                self.cx.ancestors.push(e);
                visit::visit_expr_async(self, a);
                self.cx.ancestors.pop();
                self.cx.frames.pop();
            }
            _ => {
                let attrs = expr_attrs(e);
                let saved = self.enter_attrs(attrs);
                self.cx.ancestors.push(e);
                visit::visit_expr(self, e);
                self.cx.ancestors.pop();
                self.leave_attrs(saved);
            }
        }
    }

    fn visit_macro(&mut self, mac: &'ast syn::Macro) {
        self.dispatch(|rule, cx, out| rule.check_macro(cx, mac, out));
        let arena = self.arena;
        if let Some(args) = arena.get(mac) {
            for arg in args {
                self.visit_expr(arg);
            }
        }
    }

    fn visit_item(&mut self, item: &'ast syn::Item) {
        // Nested items (a `fn` inside a function) start a fresh context, except for
        // test markers and allows, which are inherited.
        let ancestors = std::mem::take(&mut self.cx.ancestors);
        self.dispatch(|rule, cx, out| rule.check_item(cx, item, out));
        visit::visit_item(self, item);
        self.cx.ancestors = ancestors;
    }
}

impl<'ast> Walker<'_, 'ast> {
    fn push_frame(&mut self, kind: FrameKind, boundary: Option<BoundaryKind>, is_async: bool) {
        self.cx.frames.push(Frame {
            kind,
            sig: None,
            body: None,
            boundary,
            is_main: false,
            is_async,
            bindings: OnceCell::new(),
        });
    }

    fn walk_static(&mut self, attrs: &'ast [syn::Attribute], expr: &'ast syn::Expr) {
        let saved = self.enter_attrs(attrs);
        self.push_frame(FrameKind::StaticInit, None, false);
        self.visit_expr(expr);
        self.cx.frames.pop();
        self.leave_attrs(saved);
    }
}

fn expr_attrs(e: &syn::Expr) -> &[syn::Attribute] {
    match e {
        syn::Expr::MethodCall(x) => &x.attrs,
        syn::Expr::Call(x) => &x.attrs,
        syn::Expr::Block(x) => &x.attrs,
        syn::Expr::Macro(x) => &x.attrs,
        syn::Expr::Match(x) => &x.attrs,
        _ => &[],
    }
}

/// Level helper for rules that report some shapes below their default level.
pub fn lower(finding: &mut Finding, level: Level) {
    finding.level = level;
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rule::{Category, FixAvailability};

    static PANICS: RuleMeta = RuleMeta {
        id: "test-panics",
        category: Category::Reliability,
        default_level: Level::Warning,
        standard: "",
        summary: "",
        fix: FixAvailability::None,
        clippy_lints: &[],
        source: "",
    };
    static COUNTS: RuleMeta = RuleMeta {
        id: "test-counts",
        ..PANICS
    };

    struct Panics;
    impl Rule for Panics {
        fn meta(&self) -> &'static RuleMeta {
            &PANICS
        }
        fn check_expr(&self, _: &Cx<'_, '_>, expr: &syn::Expr, out: &mut Sink<'_>) {
            if let syn::Expr::MethodCall(m) = expr {
                out.report(0..1, "before the panic");
                if m.method == "boom" {
                    panic!("rule bug");
                }
            }
        }
    }

    struct Counts;
    impl Rule for Counts {
        fn meta(&self) -> &'static RuleMeta {
            &COUNTS
        }
        fn check_expr(&self, _: &Cx<'_, '_>, expr: &syn::Expr, out: &mut Sink<'_>) {
            if matches!(expr, syn::Expr::MethodCall(_)) {
                out.report(0..1, "method call");
            }
        }
    }

    #[test]
    fn a_panicking_rule_costs_only_its_own_findings() {
        let item: syn::Item = match syn::parse_str("fn f() { a.ok(); b.boom(); c.ok(); }") {
            Ok(i) => i,
            Err(e) => panic!("{e}"),
        };
        let facts = CrateFacts::none();
        let config = Config::default_for(std::path::Path::new("/"));
        let routes = HashSet::new();
        let info = FileInfo {
            role: FileRole::Lib,
            test_file: false,
            private_module: false,
            crate_facts: &facts,
            config: &config,
            routes: &routes,
            file_allows: &[],
            imports_tonic: false,
        };
        let scope = Scope::default();
        let imports = ImportMap::new();
        let rules: &[&'static dyn Rule] = &[&Panics, &Counts];
        let arena = MacroArena::default();
        // Keep the expected panic's message out of the test output.
        let hook = std::panic::take_hook();
        std::panic::set_hook(Box::new(|_| {}));
        let mut walker = Walker::new(&info, &scope, &imports, "", rules, &arena);
        walker.visit_item(&item);
        let (findings, panics) = walker.finish();
        std::panic::set_hook(hook);
        assert_eq!(panics.len(), 1);
        assert_eq!(panics[0].rule, "test-panics");
        assert_eq!(panics[0].message, "rule bug");
        assert!(findings.iter().all(|f| f.rule == "test-counts"));
        assert_eq!(findings.len(), 3);
    }
}
