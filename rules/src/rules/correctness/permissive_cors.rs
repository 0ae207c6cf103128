//! ## What it does
//! Flags CORS layers that accept any origin: tower-http's `CorsLayer::permissive()`,
//! `CorsLayer::very_permissive()` and `.allow_origin(Any)`, and actix-cors's
//! `Cors::permissive()`.
//!
//! ## Why is this bad?
//! CORS is the browser's guard against other sites calling your API with your
//! users' credentials. A layer that allows every origin switches the guard off:
//! any page a user visits can read your responses. `very_permissive()` even
//! mirrors the caller's origin and allows credentials. These layers are handy in
//! development and dangerous once deployed; list the origins you serve instead.
//!
//! Not flagged: test code, examples and build scripts, and origins given as a list
//! or read from configuration.
//!
//! ## Example
//! ```rust
//! use tower_http::cors::CorsLayer;
//!
//! pub fn cors() -> CorsLayer {
//!     CorsLayer::permissive()
//! }
//! ```
//!
//! Use instead:
//! ```rust
//! use axum::http::HeaderValue;
//! use tower_http::cors::CorsLayer;
//!
//! pub fn cors() -> CorsLayer {
//!     CorsLayer::new().allow_origin(HeaderValue::from_static("https://app.example.com"))
//! }
//! ```

use crate::rule::{Category, FixAvailability, Level, RuleMeta};
use crate::rules::util::{call_range, method_call_range};
use crate::walk::{Cx, Rule, Sink};

pub struct PermissiveCors;

pub static META: RuleMeta = RuleMeta {
    id: "permissive-cors",
    category: Category::Correctness,
    default_level: Level::Warning,
    standard: "Least privilege at the edge.",
    summary: "CORS configuration that allows any origin",
    fix: FixAvailability::None,
    clippy_lints: &[],
    source: include_str!("permissive_cors.rs"),
};

impl Rule for PermissiveCors {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check_expr(&self, cx: &Cx<'_, '_>, expr: &syn::Expr, out: &mut Sink<'_>) {
        if cx.skip_by_default() {
            return;
        }
        match expr {
            syn::Expr::Call(call) => {
                let Some(path) = cx.resolve_call(call) else {
                    return;
                };
                let what = if path.is(&["tower_http", "cors", "CorsLayer", "permissive"]) {
                    "`CorsLayer::permissive()`"
                } else if path.is(&["tower_http", "cors", "CorsLayer", "very_permissive"]) {
                    "`CorsLayer::very_permissive()`"
                } else if path.is(&["actix_cors", "Cors", "permissive"]) {
                    "`Cors::permissive()`"
                } else {
                    return;
                };
                out.report(
                    call_range(call),
                    format!("{what} allows requests from any origin; list the allowed origins"),
                );
            }
            syn::Expr::MethodCall(mc) => {
                if mc.method != "allow_origin" || mc.args.len() != 1 {
                    return;
                }
                // `Any` as a value, or the `any()` function that returns it.
                let resolved = match mc.args.first() {
                    Some(syn::Expr::Path(p)) => cx.resolve(&p.path),
                    Some(syn::Expr::Call(c)) if c.args.is_empty() => match cx.resolve_call(c) {
                        Some(r) => r,
                        None => return,
                    },
                    _ => return,
                };
                if resolved.is(&["tower_http", "cors", "Any"])
                    || resolved.is(&["tower_http", "cors", "any"])
                    || resolved.is(&["tower_http", "cors", "AllowOrigin", "any"])
                {
                    out.report(
                        method_call_range(mc),
                        "`allow_origin(Any)` allows requests from any origin; list the allowed origins",
                    );
                }
            }
            _ => {}
        }
    }
}
