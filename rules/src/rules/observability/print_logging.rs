//! ## What it does
//! Flags output written with the print macros where a log record belongs:
//!
//! - `println!`, `print!`, `eprintln!` and `eprint!` in library code;
//! - the same macros in a binary (`src/main.rs`, `src/bin/**`) of a crate that
//!   depends on `tracing` or `log`, except in the body of `fn main` itself
//!   (closures and async blocks written there included, functions it calls not),
//!   where start-up output written before the logger is installed is accepted;
//! - `dbg!` everywhere except test code (examples and build scripts included).
//!
//! Modules of a crate that builds only a binary (a `src/main.rs` and no library
//! target) count as part of that binary. A binary without a logging dependency is
//! left alone: its printed text is its user interface. So is the binary of a
//! command-line program, meaning a crate that depends on an argument parser
//! (`clap`, `structopt`, `argh`, `pico-args`, `lexopt`, `bpaf`, `gumdrop`): its
//! subcommands print their results and errors for the person who ran them. So is a
//! function that flushes stdout or stderr: it talks to a terminal on purpose (a
//! prompt, a progress line). Build scripts talk to Cargo through
//! `println!("cargo:…")`, so only their `dbg!` calls are flagged.
//!
//! ## Levels
//! A print macro is a `warning` where the text can only be a log record: in a
//! request handler, a gRPC service method or the body of a spawned task or thread.
//! Everywhere else it is reported at `info`. Outside those places, printed text is
//! as often a library's or a tool's terminal output (a table, a prompt, a start-up
//! banner) as a log line, and without types the two look the same. `dbg!` is
//! always a `warning`.
//!
//! `#[allow(clippy::print_stdout)]`, `#[allow(clippy::print_stderr)]` and
//! `#[allow(clippy::dbg_macro)]` silence the matching macros.
//!
//! ## Why is this bad?
//! Text printed to stdout or stderr bypasses the logging pipeline: it has no level,
//! no timestamp, no span context (request id, trace id) and no fields, so it cannot
//! be filtered, searched or correlated with the request that produced it. In a
//! library it also writes to a stream the application may use for something else.
//! `dbg!` is a debugging aid that was meant to be removed before the commit.
//!
//! ## Example
//! ```rust
//! pub fn charge(order_id: u64) {
//!     println!("charging order {order_id}");
//! }
//! ```
//!
//! Use instead:
//! ```rust
//! pub fn charge(order_id: u64) {
//!     tracing::info!(order_id, "charging order");
//! }
//! ```
//!
//! ## Fix safety
//! Removing `dbg!` is safe: `dbg!(x)` becomes `x`, `dbg!(a, b)` the tuple `(a, b)`
//! and a bare `dbg!()` statement is deleted, so the program computes the same
//! values and only stops printing.
//!
//! `println!` becomes `tracing::info!` and `eprintln!` becomes `tracing::error!`
//! (`log::info!`/`log::error!` when the crate depends on `log` but not on
//! `tracing`), with the same format string and arguments. The fix is unsafe: the
//! text now goes wherever the subscriber sends it, at a level it may filter out,
//! and nowhere at all when no subscriber is installed. It is not offered without a
//! logging dependency (the code would not compile), for `print!`/`eprint!` (they
//! often build one line out of several calls, which would become several records)
//! or for an empty `println!()` (there is nothing to log).

use syn::punctuated::Punctuated;
use syn::visit::{self, Visit};

use crate::project::FileRole;
use crate::rule::{Applicability, Category, Edit, Fix, FixAvailability, Level, RuleMeta};
use crate::rules::util::{mac_range, node_range};
use crate::walk::{lower, BoundaryKind, Cx, Rule, Sink};

pub struct PrintLogging;

pub static META: RuleMeta = RuleMeta {
    id: "print-logging",
    category: Category::Observability,
    default_level: Level::Warning,
    standard: "Structured, machine-readable logs.",
    summary: "print or `dbg!` macro used where a log record belongs",
    fix: FixAvailability::Sometimes,
    clippy_lints: &["print_stdout", "print_stderr", "dbg_macro"],
    source: include_str!("print_logging.rs"),
};

impl Rule for PrintLogging {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check_macro(&self, cx: &Cx<'_, '_>, mac: &syn::Macro, out: &mut Sink<'_>) {
        let Some(name) = std_macro_name(mac) else {
            return;
        };
        match name.as_str() {
            "dbg" => check_dbg(cx, mac, out),
            "println" | "print" | "eprintln" | "eprint" => check_print(cx, mac, &name, out),
            _ => {}
        }
    }
}

/// The macro's name when its path is the bare name or goes through `std`/`core`.
fn std_macro_name(mac: &syn::Macro) -> Option<String> {
    let segments = &mac.path.segments;
    let last = segments.last()?.ident.to_string();
    let std_path = match segments.len() {
        1 => mac.path.leading_colon.is_none(),
        2 => segments
            .first()
            .is_some_and(|s| s.ident == "std" || s.ident == "core"),
        _ => false,
    };
    std_path.then_some(last)
}

/// The logging crate a fix can call: the name code uses for `tracing`, else `log`.
fn logger(cx: &Cx<'_, '_>) -> Option<String> {
    let facts = cx.file.crate_facts;
    facts
        .dep_by_package("tracing")
        .or_else(|| facts.dep_by_package("log"))
        .map(|(key, _)| key.replace('-', "_"))
}

/// Argument-parser crates: a binary that depends on one is a command-line program.
const ARG_PARSERS: &[&str] = &[
    "clap",
    "structopt",
    "argh",
    "pico-args",
    "lexopt",
    "bpaf",
    "gumdrop",
];

/// The crate parses command-line arguments, so its binary's output is its interface.
fn parses_arguments(cx: &Cx<'_, '_>) -> bool {
    let facts = cx.file.crate_facts;
    ARG_PARSERS
        .iter()
        .any(|p| facts.dep_by_package(p).is_some())
}

fn check_print(cx: &Cx<'_, '_>, mac: &syn::Macro, name: &str, out: &mut Sink<'_>) {
    if cx.skip_by_default() {
        return;
    }
    let lint = if name.starts_with('e') {
        "print_stderr"
    } else {
        "print_stdout"
    };
    if cx.clippy_allows(lint) {
        return;
    }
    let facts = cx.file.crate_facts;
    let logger = logger(cx);
    let binary = match cx.file.role {
        FileRole::Bin => true,
        // A module of a crate whose only target is a binary is part of that binary.
        FileRole::Lib | FileRole::Other => facts.has_main && !facts.has_lib,
        FileRole::Test | FileRole::Example | FileRole::BuildScript => return,
    };
    if binary && (logger.is_none() || cx.in_main() || parses_arguments(cx)) {
        return;
    }
    if cx.fn_body().is_some_and(flushes_terminal) {
        return;
    }
    let advice = match &logger {
        Some(krate) => format!("log through `{krate}` instead"),
        None => "log through a logging crate such as `tracing` instead".to_owned(),
    };
    let stream = if lint == "print_stderr" {
        "stderr"
    } else {
        "stdout"
    };
    let finding = out.report(
        mac_range(mac),
        format!("`{name}!` writes unstructured text to {stream}; {advice}"),
    );
    // Only where the text cannot be anyone's terminal output is it a warning.
    let serving = matches!(
        cx.boundary(),
        Some(BoundaryKind::Handler | BoundaryKind::RpcMethod | BoundaryKind::SpawnedTask)
    );
    if !serving {
        lower(finding, Level::Info);
    }
    let level = match name {
        "println" => "info",
        "eprintln" => "error",
        _ => return,
    };
    let Some(krate) = logger else { return };
    // Only a literal format string is passed on: the logging macros read their
    // first argument differently when it is not one.
    let Ok(args) = mac.parse_body_with(Punctuated::<syn::Expr, syn::Token![,]>::parse_terminated)
    else {
        return;
    };
    let literal_first = matches!(
        args.first(),
        Some(syn::Expr::Lit(syn::ExprLit {
            lit: syn::Lit::Str(_),
            ..
        }))
    );
    if !literal_first {
        return;
    }
    let target = format!("{krate}::{level}");
    finding.fix = Some(Fix::new(
        format!("Log with `{target}!`"),
        Applicability::Unsafe,
        vec![Edit::replace(node_range(&mac.path), target)],
    ));
}

fn check_dbg(cx: &Cx<'_, '_>, mac: &syn::Macro, out: &mut Sink<'_>) {
    if cx.in_test() || cx.clippy_allows("dbg_macro") {
        return;
    }
    let finding = out.report(
        mac_range(mac),
        "`dbg!` left in the code prints to stderr; remove it",
    );
    let Ok(args) = mac.parse_body_with(Punctuated::<syn::Expr, syn::Token![,]>::parse_terminated)
    else {
        return;
    };
    // In expression position the walker has pushed the macro's own expression.
    let own_expr = matches!(cx.parent(), Some(syn::Expr::Macro(m)) if std::ptr::eq(&m.mac, mac));
    let range = mac_range(mac);
    let edit = match args.len() {
        0 if own_expr => Edit::replace(range, "()"),
        0 => Edit::delete(statement_range(cx.text(), range)),
        1 => {
            let arg = &args[0];
            let text = cx.slice(node_range(arg));
            let wrap = own_expr && !atomic(arg) && is_operand(cx);
            if wrap {
                Edit::replace(range, format!("({text})"))
            } else {
                Edit::replace(range, text)
            }
        }
        _ => {
            let parts: Vec<&str> = args.iter().map(|a| cx.slice(node_range(a))).collect();
            Edit::replace(range, format!("({})", parts.join(", ")))
        }
    };
    if edit.range.is_empty() && edit.text.is_empty() {
        return;
    }
    finding.fix = Some(Fix::new(
        "Remove the `dbg!`",
        Applicability::Safe,
        vec![edit],
    ));
}

/// Whether a function body flushes stdout or stderr: it talks to a terminal on
/// purpose (a prompt, a progress line), and its prints are that conversation.
fn flushes_terminal(body: &syn::Block) -> bool {
    struct Find(bool);
    impl<'ast> Visit<'ast> for Find {
        fn visit_expr_method_call(&mut self, call: &'ast syn::ExprMethodCall) {
            if call.method == "flush" && is_std_stream(&call.receiver) {
                self.0 = true;
            }
            visit::visit_expr_method_call(self, call);
        }
        fn visit_item(&mut self, _: &'ast syn::Item) {}
    }
    let mut find = Find(false);
    find.visit_block(body);
    find.0
}

/// `stdout()`, `io::stderr()`, `std::io::stdout().lock()`.
fn is_std_stream(expr: &syn::Expr) -> bool {
    match expr {
        syn::Expr::MethodCall(m) if m.method == "lock" => is_std_stream(&m.receiver),
        syn::Expr::Call(c) => matches!(&*c.func, syn::Expr::Path(p)
            if p.path.segments.last().is_some_and(|s| s.ident == "stdout" || s.ident == "stderr")),
        _ => false,
    }
}

/// The statement `dbg!()` (with its `;` when there is one), widened to whole lines
/// when it stands alone on its line.
fn statement_range(text: &str, mac: std::ops::Range<usize>) -> std::ops::Range<usize> {
    let bytes = text.as_bytes();
    let mut end = mac.end;
    let mut after = end;
    while after < bytes.len() && matches!(bytes[after], b' ' | b'\t') {
        after += 1;
    }
    if bytes.get(after) == Some(&b';') {
        end = after + 1;
    }
    let mut start = mac.start;
    let mut before = start;
    while before > 0 && matches!(bytes[before - 1], b' ' | b'\t') {
        before -= 1;
    }
    let mut eol = end;
    while eol < bytes.len() && matches!(bytes[eol], b' ' | b'\t' | b'\r') {
        eol += 1;
    }
    let line_start = before == 0 || bytes[before - 1] == b'\n';
    let line_end = eol == bytes.len() || bytes[eol] == b'\n';
    if line_start && line_end {
        start = before;
        end = (eol + 1).min(bytes.len());
    }
    start..end
}

/// Expressions that need no parentheses wherever they are put.
fn atomic(expr: &syn::Expr) -> bool {
    matches!(
        expr,
        syn::Expr::Path(_)
            | syn::Expr::Lit(_)
            | syn::Expr::Call(_)
            | syn::Expr::MethodCall(_)
            | syn::Expr::Field(_)
            | syn::Expr::Index(_)
            | syn::Expr::Paren(_)
            | syn::Expr::Tuple(_)
            | syn::Expr::Array(_)
            | syn::Expr::Macro(_)
            | syn::Expr::Struct(_)
            | syn::Expr::Block(_)
    )
}

/// The macro's expression is an operand whose operator binds tighter than an
/// arbitrary expression would (`dbg!(a + b) * 2`, `dbg!(a + b).len()`).
fn is_operand(cx: &Cx<'_, '_>) -> bool {
    let (Some(own), Some(outer)) = (cx.parent(), cx.ancestors().nth(1)) else {
        return false;
    };
    let is = |e: &syn::Expr| std::ptr::eq(e, own);
    match outer {
        syn::Expr::Binary(b) => is(&b.left) || is(&b.right),
        syn::Expr::Unary(u) => is(&u.expr),
        syn::Expr::MethodCall(m) => is(&m.receiver),
        syn::Expr::Field(f) => is(&f.base),
        syn::Expr::Index(i) => is(&i.expr),
        syn::Expr::Cast(c) => is(&c.expr),
        syn::Expr::Reference(r) => is(&r.expr),
        syn::Expr::Try(t) => is(&t.expr),
        syn::Expr::Await(a) => is(&a.base),
        syn::Expr::Call(c) => is(&c.func),
        syn::Expr::Range(r) => {
            r.start.as_deref().is_some_and(is) || r.end.as_deref().is_some_and(is)
        }
        _ => false,
    }
}
