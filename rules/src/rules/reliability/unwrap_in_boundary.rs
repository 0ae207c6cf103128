//! ## What it does
//! Flags `.unwrap()`, `.expect(..)`, `panic!`, `todo!` and `unimplemented!` inside a
//! boundary function: a `pub` function or method of a library, an HTTP request
//! handler, a gRPC service method, or the body of a spawned task or thread.
//!
//! ## Why is this bad?
//! A panic at a boundary does not stay with the code that caused it. A library
//! panic takes down its caller; a handler panic drops the connection without a
//! response the client can act on; a panic in a spawned task vanishes with the task.
//! Failures should cross boundaries as typed errors the other side can handle.
//!
//! Levels: without types, many unwraps are invariants (`x.is_some() &&
//! x.unwrap()`, a value built two lines up) that only a reader can tell apart, so
//! the rule's level (`warning`) is kept for the shapes that fail in practice —
//! `.unwrap()`/`.expect(..)` on an awaited result (a database, network or file
//! call), on `.parse()`/`.try_into()` and on `env::var(..)`, and
//! `panic!`/`todo!`/`unimplemented!`. In `pub` library functions an awaited
//! result stays `info` (there it is as often a joined task or a stream item as
//! I/O). Other unwraps in a boundary are `info`; unwrapping a joined task
//! (`spawn_blocking(..).await.unwrap()`, which re-raises the task's panic) is not
//! flagged.
//!
//! `pub` functions of an application without a library target (a `src/main.rs`
//! and no `src/lib.rs`) are not boundaries; test-support crates (`test`,
//! `tests` or `testing` as a word of the package name) are reported at `info`;
//! and installing a signal handler (`signal(SignalKind::terminate()).expect(..)`,
//! `ctrl_c().await.expect(..)`) is not flagged.
//!
//! Not flagged: test code, `main` (failing fast at start-up is fine), receivers made
//! only of literals and constants (`"127.0.0.1:80".parse().unwrap()` cannot fail on
//! input), `.lock().unwrap()` and friends (the poisoning idiom), `unreachable!`,
//! `const`/`static` and lazy-initialisation closures, and code under
//! `#[allow(clippy::unwrap_used)]` (likewise `expect_used`, `panic`, `todo`,
//! `unimplemented`).
//!
//! ## Example
//! ```rust
//! pub fn port(raw: &str) -> Result<u16, std::num::ParseIntError> {
//!     let port = raw.parse::<u16>().unwrap();
//!     Ok(port)
//! }
//! ```
//!
//! Use instead:
//! ```rust
//! pub fn port(raw: &str) -> Result<u16, std::num::ParseIntError> {
//!     let port = raw.parse::<u16>()?;
//!     Ok(port)
//! }
//! ```
//!
//! ## Fix safety
//! When the function returns `Result` or `Option`, the fix replaces `.unwrap()` or
//! `.expect(..)` with `?`. It is unsafe: the error now reaches the caller instead of
//! aborting, and the error type may need a `From` conversion to compile.
//!
//! ## Options
//! - `allow-lock-unwrap` (default `true`): accept `.lock().unwrap()`,
//!   `.read().unwrap()` and `.write().unwrap()`.

use crate::rule::{Applicability, Category, Edit, Fix, FixAvailability, Level, RuleMeta};
use crate::rules::util::{is_literal_only, mac_range, method_call_range, return_type_name};
use crate::walk::{BoundaryKind, Cx, Rule, Sink};

pub struct UnwrapInBoundary;

pub static META: RuleMeta = RuleMeta {
    id: "unwrap-in-boundary",
    category: Category::Reliability,
    default_level: Level::Warning,
    standard: "Failures cross boundaries as typed errors, never as panics.",
    summary: "panic, unwrap or expect inside an API boundary, request handler or spawned task",
    fix: FixAvailability::Sometimes,
    clippy_lints: &[
        "unwrap_used",
        "expect_used",
        "panic",
        "todo",
        "unimplemented",
    ],
    source: include_str!("unwrap_in_boundary.rs"),
};

impl Rule for UnwrapInBoundary {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check_expr(&self, cx: &Cx<'_, '_>, expr: &syn::Expr, out: &mut Sink<'_>) {
        let syn::Expr::MethodCall(call) = expr else {
            return;
        };
        let method = call.method.to_string();
        let lint = match (method.as_str(), call.args.len()) {
            ("unwrap", 0) => "unwrap_used",
            ("expect", 1) => "expect_used",
            _ => return,
        };
        let Some(boundary) = applies(cx, lint) else {
            return;
        };
        if is_literal_only(&call.receiver) {
            return;
        }
        if is_lock_call(&call.receiver) && cx.bool_option(META.id, "allow-lock-unwrap", true) {
            return;
        }
        if is_signal_registration(&call.receiver) || is_joined_task(&call.receiver) {
            return;
        }
        let what = if lint == "unwrap_used" {
            "`.unwrap()`"
        } else {
            "`.expect(..)`"
        };
        let fn_name = cx.enclosing_fn().map(|s| s.ident.to_string());
        let message = match fn_name {
            Some(name) if !cx.in_closure() => {
                format!(
                    "{what} can panic in `{name}`, {}; return an error instead",
                    boundary.describe()
                )
            }
            _ => format!(
                "{what} can panic in {}; return an error instead",
                boundary.describe()
            ),
        };
        let range = method_call_range(call);
        let finding = out.report(range.clone(), message);
        finding.level = match boundary {
            // In `pub` library functions an awaited value is as often a joined task,
            // a stream item or an in-memory builder as it is I/O: only parsing and
            // the environment keep the rule's level there.
            BoundaryKind::PublicApi if matches!(call.receiver.as_ref(), syn::Expr::Await(_)) => {
                Level::Info
            }
            _ => level_for(fails_in_practice(&call.receiver)),
        };
        if is_test_support(cx) {
            finding.level = Level::Info;
        }
        if !cx.in_closure() {
            if let Some(ret) = cx.enclosing_fn().and_then(return_type_name) {
                if ret == "Result" || ret == "Option" {
                    let dot = cx.span_range(call.dot_token.span);
                    finding.fix = Some(Fix::new(
                        format!("Replace `{}` with `?`", cx.slice(range.clone())),
                        Applicability::Unsafe,
                        vec![Edit::replace(dot.start..range.end, "?")],
                    ));
                }
            }
        }
    }

    fn check_macro(&self, cx: &Cx<'_, '_>, mac: &syn::Macro, out: &mut Sink<'_>) {
        let Some(name) = mac.path.segments.last().map(|s| s.ident.to_string()) else {
            return;
        };
        if mac.path.segments.len() > 1
            && !mac
                .path
                .segments
                .first()
                .is_some_and(|s| s.ident == "std" || s.ident == "core")
        {
            return;
        }
        let lint = match name.as_str() {
            "panic" => "panic",
            "todo" => "todo",
            "unimplemented" => "unimplemented",
            _ => return,
        };
        let Some(boundary) = applies(cx, lint) else {
            return;
        };
        out.report(
            mac_range(mac),
            format!(
                "`{name}!` in {}; return an error instead",
                boundary.describe()
            ),
        )
        .level = if is_test_support(cx) {
            Level::Info
        } else {
            level_for(true)
        };
    }
}

/// The boundary the current code belongs to, when the rule applies here at all.
fn applies(cx: &Cx<'_, '_>, lint: &str) -> Option<BoundaryKind> {
    if cx.in_test() || cx.in_static_init() || cx.clippy_allows(lint) {
        return None;
    }
    let facts = cx.file.crate_facts;
    match cx.boundary()? {
        // In an application without a library target (a `src/main.rs` and no
        // `src/lib.rs`), `pub` does not make a function anyone else's API.
        BoundaryKind::PublicApi if facts.has_main && !facts.has_lib => None,
        kind => Some(kind),
    }
}

/// Without types, many unwraps are invariants (`x.is_some() && x.unwrap()`, a
/// value built two lines up, serialising a derived struct) that only a reader can
/// tell apart. The rule's level is kept for the shapes that fail in practice:
/// unwrapping an awaited result, a parse or an environment variable, and
/// `panic!`/`todo!`/`unimplemented!`. Everything else is `info`.
fn level_for(fails_in_practice: bool) -> Level {
    if fails_in_practice {
        META.default_level
    } else {
        Level::Info
    }
}

/// Receivers whose failure comes from the outside world rather than from a broken
/// invariant: an awaited result (I/O), parsing (`.parse()`, `.try_into()`), and
/// reading the environment (`env::var(..)`).
fn fails_in_practice(expr: &syn::Expr) -> bool {
    match expr {
        syn::Expr::Await(_) => true,
        syn::Expr::Paren(p) => fails_in_practice(&p.expr),
        syn::Expr::MethodCall(m) => matches!(m.method.to_string().as_str(), "parse" | "try_into"),
        syn::Expr::Call(c) => matches!(&*c.func, syn::Expr::Path(p)
            if p.path.segments.len() >= 2
                && p.path.segments.last().is_some_and(|s| s.ident == "var")
                && p.path.segments.iter().rev().nth(1).is_some_and(|s| s.ident == "env")),
        _ => false,
    }
}

/// A test-support crate (`tests-database`, `foo-test-utils`: `test`, `tests` or
/// `testing` as a word of the package name) panics by design; its findings are
/// `info`.
fn is_test_support(cx: &Cx<'_, '_>) -> bool {
    cx.file
        .crate_facts
        .package_name
        .as_deref()
        .is_some_and(|name| {
            name.split(['-', '_'])
                .any(|w| matches!(w, "test" | "tests" | "testing"))
        })
}

/// `spawn_blocking(..).await.unwrap()`: unwrapping a joined task's result only
/// re-raises the task's own panic, which is the usual way to propagate it.
fn is_joined_task(expr: &syn::Expr) -> bool {
    let syn::Expr::Await(a) = expr else {
        return false;
    };
    let syn::Expr::Call(c) = &*a.base else {
        return false;
    };
    let syn::Expr::Path(p) = &*c.func else {
        return false;
    };
    p.path
        .segments
        .last()
        .is_some_and(|s| s.ident == "spawn_blocking" || s.ident == "spawn")
}

/// Installing a signal handler (`tokio::signal::ctrl_c().await`,
/// `signal(SignalKind::terminate())`): it fails only when the platform forbids the
/// signal, and `.expect(..)` there is the documented idiom.
fn is_signal_registration(expr: &syn::Expr) -> bool {
    let (_, base) = crate::rules::util::chain(expr);
    let syn::Expr::Call(c) = base else {
        return false;
    };
    let syn::Expr::Path(p) = &*c.func else {
        return false;
    };
    let Some(last) = p.path.segments.last() else {
        return false;
    };
    let name = last.ident.to_string();
    let via_signal_module = p.path.segments.iter().any(|s| s.ident == "signal");
    match name.as_str() {
        "ctrl_c" | "ctrl_break" | "ctrl_close" | "ctrl_shutdown" | "ctrl_logoff" => {
            via_signal_module || p.path.segments.len() == 1
        }
        "signal" => c.args.iter().any(|a| {
            quote::ToTokens::to_token_stream(a)
                .to_string()
                .contains("SignalKind")
        }),
        _ => false,
    }
}

/// `.lock()`, `.read()` or `.write()` with no arguments: unwrapping their result only
/// panics when another thread panicked while holding the lock.
fn is_lock_call(expr: &syn::Expr) -> bool {
    matches!(expr, syn::Expr::MethodCall(m) if m.args.is_empty() && matches!(m.method.to_string().as_str(), "lock" | "read" | "write"))
}
