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
use crate::walk::{Cx, Rule, Sink};

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
        );
    }
}

/// The boundary the current code belongs to, when the rule applies here at all.
fn applies(cx: &Cx<'_, '_>, lint: &str) -> Option<crate::walk::BoundaryKind> {
    if cx.in_test() || cx.in_static_init() || cx.clippy_allows(lint) {
        return None;
    }
    cx.boundary()
}

/// `.lock()`, `.read()` or `.write()` with no arguments: unwrapping their result only
/// panics when another thread panicked while holding the lock.
fn is_lock_call(expr: &syn::Expr) -> bool {
    matches!(expr, syn::Expr::MethodCall(m) if m.args.is_empty() && matches!(m.method.to_string().as_str(), "lock" | "read" | "write"))
}
