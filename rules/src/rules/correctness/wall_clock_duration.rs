//! ## What it does
//! Flags durations measured with the wall clock: `SystemTime::now().elapsed()`,
//! `t.elapsed()` and `SystemTime::now().duration_since(t)` where
//! `let t = SystemTime::now();` in the same function.
//!
//! ## Why is this bad?
//! `SystemTime` follows the system clock, which NTP, an administrator or a virtual
//! machine resume can move backwards or forwards at any moment. A duration measured
//! with it can come out negative (`elapsed()` then returns an error) or wildly
//! wrong, which corrupts latency metrics and breaks timeouts. `Instant` is
//! monotonic: it only moves forwards, which is what measuring a duration needs.
//!
//! Not flagged: `duration_since(UNIX_EPOCH)` (a timestamp, not a duration), test
//! code, examples and build scripts, and values that cannot be traced to
//! `SystemTime::now()` in the same function.
//!
//! ## Example
//! ```rust
//! use std::time::{Duration, SystemTime};
//!
//! pub fn timed(work: impl FnOnce()) -> Duration {
//!     let start = SystemTime::now();
//!     work();
//!     start.elapsed().unwrap_or_default()
//! }
//! ```
//!
//! Use instead:
//! ```rust
//! use std::time::{Duration, Instant};
//!
//! pub fn timed(work: impl FnOnce()) -> Duration {
//!     let start = Instant::now();
//!     work();
//!     start.elapsed()
//! }
//! ```

use crate::rule::{Category, FixAvailability, Level, RuleMeta};
use crate::rules::util::{method_call_range, node_range, peel};
use crate::walk::{Cx, Rule, Sink};

pub struct WallClockDuration;

pub static META: RuleMeta = RuleMeta {
    id: "wall-clock-duration",
    category: Category::Correctness,
    default_level: Level::Warning,
    standard: "Monotonic clocks for durations.",
    summary: "duration measured with the wall clock instead of `Instant`",
    fix: FixAvailability::None,
    clippy_lints: &[],
    source: include_str!("wall_clock_duration.rs"),
};

impl Rule for WallClockDuration {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check_expr(&self, cx: &Cx<'_, '_>, expr: &syn::Expr, out: &mut Sink<'_>) {
        if cx.skip_by_default() {
            return;
        }
        let syn::Expr::MethodCall(mc) = expr else {
            return;
        };
        let flagged = match (mc.method.to_string().as_str(), mc.args.len()) {
            ("elapsed", 0) => is_system_now(cx, &mc.receiver),
            // `now.duration_since(start)`: both ends read the wall clock. A fixed
            // reference such as `UNIX_EPOCH` makes a timestamp, which is fine.
            ("duration_since", 1) => {
                is_system_now(cx, &mc.receiver)
                    && mc.args.first().is_some_and(|a| is_system_now(cx, a))
            }
            _ => false,
        };
        if flagged {
            out.report(
                method_call_range(mc),
                "duration measured with `SystemTime`, which can jump; use `Instant`",
            );
        }
    }
}

/// `SystemTime::now()`, or a name bound to it earlier in the same function.
fn is_system_now(cx: &Cx<'_, '_>, expr: &syn::Expr) -> bool {
    match peel(expr) {
        syn::Expr::Call(call) => {
            call.args.is_empty()
                && cx
                    .resolve_call(call)
                    .is_some_and(|p| p.is(&["std", "time", "SystemTime", "now"]))
        }
        syn::Expr::Path(p) if p.qself.is_none() => {
            let Some(name) = p.path.get_ident() else {
                return false;
            };
            let before = node_range(p).start;
            cx.binding(&name.to_string(), before).is_some_and(|init| {
                matches!(peel(init), syn::Expr::Call(call) if call.args.is_empty()
                    && cx
                        .resolve_call(call)
                        .is_some_and(|r| r.is(&["std", "time", "SystemTime", "now"])))
            })
        }
        _ => false,
    }
}
