//! ## What it does
//! Flags reads of the machine's local time: chrono's `Local::now()` and
//! `Local::today()`, and `time::OffsetDateTime::now_local()`.
//!
//! ## Why is this bad?
//! A server's time zone is an accident of where it runs. Timestamps taken in local
//! time change meaning when the service moves between hosts or regions, jump twice
//! a year with daylight saving, and compare wrongly with timestamps written by other
//! machines. Store and compute in UTC; convert to a user's zone only when
//! displaying.
//!
//! Not flagged: test code, examples and build scripts, and look-alike types that do
//! not resolve to chrono or time. Nor is a reading that is only compared with
//! another time (`expires < Local::now()`, `expires > Local::now() + TERM`): two
//! date-times compare as instants, so the zone cannot change the answer.
//!
//! ## Example
//! ```rust
//! use chrono::{DateTime, Local};
//!
//! pub fn created_at() -> DateTime<Local> {
//!     Local::now()
//! }
//! ```
//!
//! Use instead:
//! ```rust
//! use chrono::{DateTime, Utc};
//!
//! pub fn created_at() -> DateTime<Utc> {
//!     Utc::now()
//! }
//! ```
//!
//! ## Fix safety
//! The fix replaces `Local::now()` with `Utc::now()` (written `chrono::Utc` unless
//! the file imports `Utc`). It is unsafe: the value's type changes from
//! `DateTime<Local>` to `DateTime<Utc>`, so annotated bindings may need updating,
//! and code that formats the time shows UTC instead of the host's zone.

use crate::rule::{Applicability, Category, Edit, Fix, FixAvailability, Level, RuleMeta};
use crate::rules::util::call_range;
use crate::walk::{Cx, Rule, Sink};

pub struct LocalTime;

pub static META: RuleMeta = RuleMeta {
    id: "local-time",
    category: Category::Correctness,
    default_level: Level::Warning,
    standard: "Store UTC.",
    summary: "timestamp taken in the host's local time zone",
    fix: FixAvailability::Sometimes,
    clippy_lints: &[],
    source: include_str!("local_time.rs"),
};

impl Rule for LocalTime {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check_expr(&self, cx: &Cx<'_, '_>, expr: &syn::Expr, out: &mut Sink<'_>) {
        if cx.skip_by_default() {
            return;
        }
        let syn::Expr::Call(call) = expr else { return };
        let Some(path) = cx.resolve_call(call) else {
            return;
        };
        let chrono_local = |method: &str| {
            path.is(&["chrono", "Local", method]) || path.is(&["chrono", "offset", "Local", method])
        };
        let local = chrono_local("now")
            || chrono_local("today")
            || path.is(&["time", "OffsetDateTime", "now_local"]);
        if !local || only_compared(cx) {
            return;
        }
        if chrono_local("now") {
            let finding = out.report(
                call_range(call),
                "`Local::now()` reads the host's time zone; take timestamps in UTC",
            );
            if let Some(fix) = utc_fix(cx, call) {
                finding.fix = Some(fix);
            }
        } else if chrono_local("today") {
            out.report(
                call_range(call),
                "`Local::today()` reads the host's time zone; take dates in UTC",
            );
        } else if path.is(&["time", "OffsetDateTime", "now_local"]) {
            out.report(
                call_range(call),
                "`OffsetDateTime::now_local()` reads the host's time zone; use `OffsetDateTime::now_utc()`",
            );
        }
    }
}

/// The current expression is an operand of a comparison, possibly through `+`/`-`
/// (a date-time shifted by a span is still compared as an instant).
fn only_compared(cx: &Cx<'_, '_>) -> bool {
    for ancestor in cx.ancestors() {
        match ancestor {
            syn::Expr::Paren(_) | syn::Expr::Group(_) => {}
            syn::Expr::Binary(b) => match b.op {
                syn::BinOp::Add(_) | syn::BinOp::Sub(_) => {}
                syn::BinOp::Lt(_)
                | syn::BinOp::Le(_)
                | syn::BinOp::Gt(_)
                | syn::BinOp::Ge(_)
                | syn::BinOp::Eq(_)
                | syn::BinOp::Ne(_) => return true,
                _ => return false,
            },
            _ => return false,
        }
    }
    false
}

/// Replace the path before `::now` with `Utc` (when imported from chrono) or
/// `chrono::Utc`.
fn utc_fix(cx: &Cx<'_, '_>, call: &syn::ExprCall) -> Option<Fix> {
    let syn::Expr::Path(p) = &*call.func else {
        return None;
    };
    let last = p.path.segments.last()?;
    let start = cx.range(&*call.func).start;
    let end = cx.span_range(last.ident.span()).start;
    let utc = if cx.resolve_names(&["Utc"]).is(&["chrono", "Utc"]) {
        "Utc::"
    } else {
        "chrono::Utc::"
    };
    Some(Fix::new(
        "Use `Utc::now()`",
        Applicability::Unsafe,
        vec![Edit::replace(start..end, utc)],
    ))
}
