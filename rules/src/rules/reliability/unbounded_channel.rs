//! ## What it does
//! Flags unbounded channels: `tokio::sync::mpsc::unbounded_channel()`,
//! `futures::channel::mpsc::unbounded()`, `crossbeam_channel::unbounded()`,
//! `flume::unbounded()` and `async_channel::unbounded()`, and
//! `std::sync::mpsc::channel()` when it is created inside async code.
//!
//! ## Why is this bad?
//! An unbounded queue never tells a fast producer to slow down. When the consumer
//! falls behind — a slow database, a stuck downstream — messages pile up in memory
//! until the process is killed, and latency grows with the backlog long before
//! that. A bounded channel applies backpressure: senders wait or fail, and the
//! overload is visible where it starts.
//!
//! Reply, shutdown and control channels carry a handful of messages and are fine
//! unbounded, which is why this rule reports at `info`.
//!
//! ## Example
//! ```rust
//! pub fn jobs() -> (tokio::sync::mpsc::UnboundedSender<u64>, tokio::sync::mpsc::UnboundedReceiver<u64>) {
//!     tokio::sync::mpsc::unbounded_channel()
//! }
//! ```
//!
//! Use instead:
//! ```rust
//! pub fn jobs() -> (tokio::sync::mpsc::Sender<u64>, tokio::sync::mpsc::Receiver<u64>) {
//!     tokio::sync::mpsc::channel(1024)
//! }
//! ```
//!
//! ## Fix safety
//! For crossbeam, flume and async-channel, whose bounded and unbounded channels
//! have the same types, the fix turns `unbounded()` into `bounded(1024)`. It is
//! offered only when the call is written with its crate path (`flume::unbounded()`),
//! so that `bounded` resolves. It is unsafe: senders now wait (or fail with
//! `try_send`) when 1024 messages are queued, and 1024 may be wrong for your load.

use crate::rule::{Applicability, Category, Edit, Fix, FixAvailability, Level, RuleMeta};
use crate::rules::util::call_range;
use crate::walk::{Cx, Rule, Sink};

pub struct UnboundedChannel;

pub static META: RuleMeta = RuleMeta {
    id: "unbounded-channel",
    category: Category::Reliability,
    default_level: Level::Info,
    standard: "Bounded queues and explicit limits give backpressure.",
    summary: "unbounded channel without backpressure",
    fix: FixAvailability::Sometimes,
    clippy_lints: &[],
    source: include_str!("unbounded_channel.rs"),
};

const CAPACITY: u32 = 1024;

impl Rule for UnboundedChannel {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check_expr(&self, cx: &Cx<'_, '_>, expr: &syn::Expr, out: &mut Sink<'_>) {
        if cx.skip_by_default() {
            return;
        }
        let syn::Expr::Call(call) = expr else {
            return;
        };
        if !call.args.is_empty() {
            return;
        }
        let Some(path) = cx.resolve_call(call) else {
            return;
        };
        // Whether the crate's `bounded(n)` returns the same types, so the fix compiles.
        let same_types = if path.is(&["tokio", "sync", "mpsc", "unbounded_channel"])
            || path.is(&["futures", "channel", "mpsc", "unbounded"])
            || path.is(&["futures_channel", "mpsc", "unbounded"])
        {
            false
        } else if path.is(&["crossbeam_channel", "unbounded"])
            || path.is(&["crossbeam", "channel", "unbounded"])
            || path.is(&["flume", "unbounded"])
            || path.is(&["async_channel", "unbounded"])
        {
            true
        } else if path.is(&["std", "sync", "mpsc", "channel"]) {
            if !cx.in_async() {
                return;
            }
            out.report(
                call_range(call),
                "unbounded `std::sync::mpsc::channel` in async code; use a bounded async channel such as `tokio::sync::mpsc::channel(n)`",
            );
            return;
        } else {
            return;
        };
        let finding = out.report(
            call_range(call),
            "unbounded channel gives no backpressure; use a bounded channel with an explicit capacity",
        );
        if !same_types {
            return;
        }
        let syn::Expr::Path(p) = &*call.func else {
            return;
        };
        if p.path.segments.len() < 2 {
            return;
        }
        let Some(last) = p.path.segments.last() else {
            return;
        };
        let ident = cx.span_range(last.ident.span());
        let close = cx.span_range(call.paren_token.span.close());
        finding.fix = Some(Fix::new(
            format!("Use `bounded({CAPACITY})`"),
            Applicability::Unsafe,
            vec![
                Edit::replace(ident, "bounded"),
                Edit::insert(close.start, CAPACITY.to_string()),
            ],
        ));
    }
}
