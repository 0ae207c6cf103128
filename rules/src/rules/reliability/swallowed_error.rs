//! ## What it does
//! Flags errors that are dropped without a trace: a match arm `Err(_) => {}`,
//! `Err(_) => ()` or `Err(e) => {}` (the error bound and never used), an
//! `if let Err(_) = x {}` with an empty body, and `x.ok();` used as a statement.
//!
//! ## Why is this bad?
//! An error that nobody handles or reports turns a failure into a mystery: the
//! operation did not happen, and nothing says why or even that it failed. When the
//! error really does not matter, say so in the code — log it at a low level, or
//! write a comment in the empty arm — so the next reader knows it was a decision.
//!
//! Not flagged: arms that log, return or otherwise use the error; `Err(Variant)`
//! arms that name one error on purpose; empty arms that hold a comment explaining
//! why the error is ignored; `dotenv().ok();` (a missing `.env` file is normal in
//! production); `x.inspect_err(|e| warn!(..)).ok();` and a `.map_err(..)` whose
//! closure logs (the error is reported before it is dropped); an empty
//! `Err(_) => {}` arm next to a guarded `Err(e) if .. =>` arm in the same match
//! (the guard picks the errors that matter, the rest fall through on purpose);
//! `x.ok();` with a comment that says why the error is ignored (mentioning
//! "ignore", "fail" or "best effort", just above, inside or after it);
//! `STATIC.set(..).ok()` on a `OnceLock`/`OnceCell` (its `Err` means "already set");
//! `io::stdout().flush().ok()` (and stderr) before a prompt; `let _ = tx.send(..)`, and sends and non-blocking polls
//! (`try_recv`, `try_lock`, …) in any of the shapes above (a send to a receiver
//! that has gone away, or an empty queue, is commonly and deliberately ignored);
//! test code.
//!
//! ## Example
//! ```rust
//! pub async fn touch(pool: &sqlx::PgPool, id: i64) {
//!     match sqlx::query("UPDATE users SET seen_at = now() WHERE id = $1").bind(id).execute(pool).await {
//!         Ok(_) => {}
//!         Err(_) => {}
//!     }
//! }
//! ```
//!
//! Use instead:
//! ```rust
//! pub async fn touch(pool: &sqlx::PgPool, id: i64) {
//!     match sqlx::query("UPDATE users SET seen_at = now() WHERE id = $1").bind(id).execute(pool).await {
//!         Ok(_) => {}
//!         Err(e) => tracing::warn!(error = %e, "could not record last seen"),
//!     }
//! }
//! ```
//!
//! ## Fix safety
//! When the crate depends on `tracing` (or else `log`), the fix binds the error as
//! `e` and logs it with `warn!`; `x.ok();` becomes `if let Err(e) = x { .. }`. It
//! is unsafe: it adds log output, and the error type must implement `Display`.

use crate::rule::{Applicability, Category, Edit, Finding, Fix, FixAvailability, Level, RuleMeta};
use crate::rules::util::{method_call_range, node_range};
use crate::walk::{Cx, Rule, Sink};

pub struct SwallowedError;

pub static META: RuleMeta = RuleMeta {
    id: "swallowed-error",
    category: Category::Reliability,
    default_level: Level::Warning,
    standard: "Errors are handled or reported, never silently dropped.",
    summary: "error dropped without being handled or logged",
    fix: FixAvailability::Sometimes,
    clippy_lints: &[],
    source: include_str!("swallowed_error.rs"),
};

impl Rule for SwallowedError {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check_stmt(&self, cx: &Cx<'_, '_>, stmt: &syn::Stmt, out: &mut Sink<'_>) {
        check_stmt(cx, stmt, out);
    }

    fn check_expr(&self, cx: &Cx<'_, '_>, expr: &syn::Expr, out: &mut Sink<'_>) {
        if cx.skip_by_default() {
            return;
        }
        match expr {
            syn::Expr::Match(m) => {
                if is_deliberate(&m.expr) {
                    return;
                }
                // A guarded `Err(e) if .. =>` arm sorts the errors; an empty
                // catch-all `Err(_)` next to it lets the rest fall through on purpose.
                let guarded_err = m
                    .arms
                    .iter()
                    .any(|a| a.guard.is_some() && err_binding(&a.pat).is_some());
                if guarded_err {
                    return;
                }
                for arm in &m.arms {
                    if arm.guard.is_some() {
                        continue;
                    }
                    let Some(inner) = err_binding(&arm.pat) else {
                        continue;
                    };
                    if !is_empty_body(cx, &arm.body) {
                        continue;
                    }
                    let range = node_range(&arm.pat).start..node_range(&*arm.body).end;
                    let finding = out.report(
                        range,
                        "error ignored by an empty `Err` arm; handle it, log it, or return it",
                    );
                    add_fix(cx, finding, inner, node_range(&*arm.body));
                }
            }
            syn::Expr::If(i) => {
                let syn::Expr::Let(l) = &*i.cond else {
                    return;
                };
                let Some(inner) = err_binding(&l.pat) else {
                    return;
                };
                if is_deliberate(&l.expr) {
                    return;
                }
                if i.else_branch.is_some() || !i.then_branch.stmts.is_empty() {
                    return;
                }
                let body = cx.span_range(i.then_branch.brace_token.span.join());
                if has_comment(cx.slice(body.clone())) {
                    return;
                }
                let range = cx.span_range(i.if_token.span).start..body.end;
                let finding = out.report(
                    range,
                    "error ignored by an empty `if let Err(..)`; handle it, log it, or return it",
                );
                add_fix(cx, finding, inner, body);
            }
            _ => {}
        }
    }
}

/// `x.ok();` as a statement.
fn check_stmt(cx: &Cx<'_, '_>, stmt: &syn::Stmt, out: &mut Sink<'_>) {
    if cx.skip_by_default() {
        return;
    }
    let syn::Stmt::Expr(syn::Expr::MethodCall(mc), Some(semi)) = stmt else {
        return;
    };
    if mc.method != "ok"
        || !mc.args.is_empty()
        || is_deliberate(&mc.receiver)
        || is_reported(&mc.receiver)
        || is_once_cell_set(&mc.receiver)
    {
        return;
    }
    let stmt = node_range(mc).start..cx.span_range(semi.span).end;
    if explains_ignore(cx, stmt) {
        return;
    }
    let finding = out.report(
        method_call_range(mc),
        "`.ok()` discards the error; handle it, log it, or return it",
    );
    if let Some(log) = log_call(cx, "e") {
        let receiver = cx.slice(node_range(&*mc.receiver));
        let stmt_range = node_range(&*mc.receiver).start..cx.span_range(semi.span).end;
        finding.fix = Some(Fix::new(
            "Log the error",
            Applicability::Unsafe,
            vec![Edit::replace(
                stmt_range,
                format!("if let Err(e) = {receiver} {{ {log}; }}"),
            )],
        ));
    }
}

/// The pattern inside `Err(..)`, when `pat` is `Err(_)`, `Err(name)` or `Err(..)`.
fn err_binding(pat: &syn::Pat) -> Option<&syn::Pat> {
    let syn::Pat::TupleStruct(ts) = pat else {
        return None;
    };
    if ts.path.segments.last().is_none_or(|s| s.ident != "Err") || ts.elems.len() != 1 {
        return None;
    }
    let inner = ts.elems.first()?;
    match inner {
        syn::Pat::Wild(_) | syn::Pat::Rest(_) => Some(inner),
        // `Err(EndOfStream)` names one variant on purpose; only lowercase is a binding.
        syn::Pat::Ident(i)
            if i.subpat.is_none()
                && !i
                    .ident
                    .to_string()
                    .starts_with(|c: char| c.is_ascii_uppercase()) =>
        {
            Some(inner)
        }
        _ => None,
    }
}

/// `{}` or `()` with no comment inside.
fn is_empty_body(cx: &Cx<'_, '_>, body: &syn::Expr) -> bool {
    let empty = match body {
        syn::Expr::Block(b) => b.block.stmts.is_empty() && b.attrs.is_empty() && b.label.is_none(),
        syn::Expr::Tuple(t) => t.elems.is_empty(),
        _ => false,
    };
    empty && !has_comment(cx.slice(node_range(body)))
}

fn has_comment(text: &str) -> bool {
    text.contains("//") || text.contains("/*")
}

/// Calls whose error is commonly and deliberately ignored: a send to a receiver
/// that has gone away, and non-blocking polls whose "error" means "not now".
fn is_deliberate(expr: &syn::Expr) -> bool {
    let (calls, base) = crate::rules::util::chain(expr);
    // `dotenv().ok()`: a missing `.env` file is the normal case in production.
    if let syn::Expr::Call(c) = base {
        if let syn::Expr::Path(p) = &*c.func {
            if calls.len() <= 1 && p.path.segments.last().is_some_and(|s| s.ident == "dotenv") {
                return true;
            }
        }
    }
    // `io::stdout().flush().ok()` before a prompt: a terminal that cannot be
    // flushed leaves nothing useful to report to.
    if calls.first().is_some_and(|c| c.method == "flush") {
        if let syn::Expr::Call(c) = base {
            if let syn::Expr::Path(p) = &*c.func {
                if p.path
                    .segments
                    .last()
                    .is_some_and(|s| s.ident == "stdout" || s.ident == "stderr")
                {
                    return true;
                }
            }
        }
    }
    calls.first().is_some_and(|c| {
        matches!(
            c.method.to_string().as_str(),
            "send"
                | "try_send"
                | "send_replace"
                | "blocking_send"
                | "unbounded_send"
                | "try_recv"
                | "try_lock"
                | "try_read"
                | "try_write"
                | "try_acquire"
        )
    })
}

/// `STATIC.set(..)` on a `OnceLock`/`OnceCell` static: its `Err` only means
/// "already initialised", not a failure.
fn is_once_cell_set(expr: &syn::Expr) -> bool {
    let syn::Expr::MethodCall(m) = expr else {
        return false;
    };
    m.method == "set"
        && matches!(&*m.receiver, syn::Expr::Path(p)
            if p.path.segments.last().is_some_and(|s| crate::rules::util::is_const_name(&s.ident.to_string())))
}

/// A comment on the statement (inside it, at the end of its line, or in the run of
/// comment lines just above it) that says why the error is ignored — the same
/// courtesy an empty `Err(_) => { // why }` arm gets.
fn explains_ignore(cx: &Cx<'_, '_>, stmt: std::ops::Range<usize>) -> bool {
    let text = cx.text();
    let mut comments = String::new();
    let inside = cx.slice(stmt.clone());
    for line in inside.lines() {
        if let Some(i) = line.find("//") {
            comments.push_str(&line[i..]);
        }
    }
    let rest = text.get(stmt.end..).unwrap_or("");
    let trailing = rest.lines().next().unwrap_or("");
    if let Some(i) = trailing.find("//") {
        comments.push_str(&trailing[i..]);
    }
    let before = text.get(..stmt.start).unwrap_or("");
    let mut lines = before.lines().rev();
    // The statement's own line, up to where it starts: indentation only.
    if before.ends_with('\n') || lines.next().is_some_and(|l| l.trim().is_empty()) {
        for line in lines {
            let t = line.trim_start();
            if !t.starts_with("//") {
                break;
            }
            comments.push_str(t);
        }
    }
    let c = comments.to_ascii_lowercase();
    [
        "ignor",
        "fail",
        "best effort",
        "best-effort",
        "don't care",
        "harmless",
    ]
    .iter()
    .any(|k| c.contains(k))
}

/// A chain that reports the error before `.ok()` drops it:
/// `.inspect_err(..)`, or a `.map_err(..)` whose closure calls a macro (a log).
fn is_reported(expr: &syn::Expr) -> bool {
    let (calls, _) = crate::rules::util::chain(expr);
    calls.iter().any(|c| match c.method.to_string().as_str() {
        "inspect_err" => true,
        "map_err" => c.args.first().is_some_and(|arg| {
            let syn::Expr::Closure(cl) = arg else {
                return false;
            };
            closure_calls_macro(&cl.body)
        }),
        _ => false,
    })
}

fn closure_calls_macro(body: &syn::Expr) -> bool {
    struct Finder(bool);
    impl<'ast> syn::visit::Visit<'ast> for Finder {
        fn visit_macro(&mut self, _m: &'ast syn::Macro) {
            self.0 = true;
        }
    }
    let mut f = Finder(false);
    syn::visit::Visit::visit_expr(&mut f, body);
    f.0
}

/// A logging statement for the error variable `var`, with the crate's logger.
fn log_call(cx: &Cx<'_, '_>, var: &str) -> Option<String> {
    let facts = cx.file.crate_facts;
    if facts.has_dep("tracing") {
        Some(format!(
            "tracing::warn!(error = %{var}, \"ignoring error\")"
        ))
    } else if facts.has_dep("log") {
        Some(format!("log::warn!(\"ignoring error: {{{var}}}\")"))
    } else {
        None
    }
}

/// Bind the error (as `e` unless it already has a usable name) and log it in the body.
fn add_fix(cx: &Cx<'_, '_>, finding: &mut Finding, inner: &syn::Pat, body: std::ops::Range<usize>) {
    let (name, rename) = match inner {
        syn::Pat::Ident(i) if !i.ident.to_string().starts_with('_') => (i.ident.to_string(), false),
        _ => ("e".to_owned(), true),
    };
    let Some(log) = log_call(cx, &name) else {
        return;
    };
    let mut edits = vec![Edit::replace(body, format!("{{ {log}; }}"))];
    if rename {
        edits.push(Edit::replace(node_range(inner), name));
    }
    finding.fix = Some(Fix::new("Log the error", Applicability::Unsafe, edits));
}
