//! ## What it does
//! Flags `tokio::spawn(..)` and `std::thread::spawn(..)` used as a statement — the
//! `JoinHandle` is dropped on the spot — when the spawned body can fail: it uses
//! `?`, `.unwrap()` or `.expect(..)`.
//!
//! ## Why is this bad?
//! A detached task's result goes nowhere. When its `?` returns an error, the error
//! is dropped with the task; when it panics, the panic is caught by the runtime and
//! only the default hook's line on stderr remains. The work silently stops and
//! nothing in your logs or metrics says so. Keep the handle and await it, or handle
//! and log the error inside the task.
//!
//! Not flagged: spawns whose handle is kept (`let handle = tokio::spawn(..)`,
//! `handles.push(tokio::spawn(..))`), spawned bodies that cannot fail, futures
//! passed by name (their body is elsewhere), and test code.
//!
//! ## Example
//! ```rust
//! pub fn start(pool: sqlx::PgPool) {
//!     tokio::spawn(async move {
//!         sqlx::query("DELETE FROM sessions WHERE expires_at < now()")
//!             .execute(&pool)
//!             .await?;
//!         Ok::<_, sqlx::Error>(())
//!     });
//! }
//! ```
//!
//! Use instead:
//! ```rust
//! pub fn start(pool: sqlx::PgPool) {
//!     tokio::spawn(async move {
//!         let result = sqlx::query("DELETE FROM sessions WHERE expires_at < now()")
//!             .execute(&pool)
//!             .await;
//!         if let Err(error) = result {
//!             tracing::error!(%error, "session cleanup failed");
//!         }
//!     });
//! }
//! ```

use syn::visit::Visit;

use crate::rule::{Category, FixAvailability, Level, RuleMeta};
use crate::rules::util::{call_range, chain};
use crate::walk::{Cx, Rule, Sink};

pub struct DetachedSpawn;

pub static META: RuleMeta = RuleMeta {
    id: "detached-spawn",
    category: Category::Reliability,
    default_level: Level::Hint,
    standard: "Background work is observable.",
    summary: "spawned task that can fail, with its handle dropped",
    fix: FixAvailability::None,
    clippy_lints: &[],
    source: include_str!("detached_spawn.rs"),
};

impl Rule for DetachedSpawn {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check_stmt(&self, cx: &Cx<'_, '_>, stmt: &syn::Stmt, out: &mut Sink<'_>) {
        check_stmt(cx, stmt, out);
    }
}

fn check_stmt(cx: &Cx<'_, '_>, stmt: &syn::Stmt, out: &mut Sink<'_>) {
    if cx.skip_by_default() {
        return;
    }
    // Only `spawn(..);`: a spawn in tail position returns its handle.
    let syn::Stmt::Expr(syn::Expr::Call(call), Some(_)) = stmt else {
        return;
    };
    let Some(path) = cx.resolve_call(call) else {
        return;
    };
    let what = if path.is(&["tokio", "spawn"]) || path.is(&["tokio", "task", "spawn"]) {
        "task"
    } else if path.is(&["std", "thread", "spawn"]) {
        "thread"
    } else {
        return;
    };
    let Some(arg) = call.args.first() else {
        return;
    };
    // `async move { .. }.instrument(span)` keeps its body in the chain's base.
    let (_, body) = chain(arg);
    if !can_fail(body) {
        return;
    }
    out.report(
            call_range(call),
            format!(
                "spawned {what} can fail but its handle is dropped, so the failure is lost; keep the handle and await it, or log the error inside the {what}"
            ),
        );
}

/// Whether the spawned closure or async block uses `?`, `.unwrap()` or
/// `.expect(..)` in its own body (not in nested closures, async blocks or items).
fn can_fail(body: &syn::Expr) -> bool {
    struct Finder {
        found: bool,
    }
    impl<'ast> Visit<'ast> for Finder {
        fn visit_expr_try(&mut self, t: &'ast syn::ExprTry) {
            self.found = true;
            syn::visit::visit_expr_try(self, t);
        }
        fn visit_expr_method_call(&mut self, m: &'ast syn::ExprMethodCall) {
            let unwraps = (m.method == "unwrap" && m.args.is_empty())
                || (m.method == "expect" && m.args.len() == 1);
            // `.lock().unwrap()` only panics when another thread panicked first.
            let lock = matches!(&*m.receiver, syn::Expr::MethodCall(r) if r.args.is_empty()
                && matches!(r.method.to_string().as_str(), "lock" | "read" | "write"));
            if unwraps && !lock {
                self.found = true;
            }
            syn::visit::visit_expr_method_call(self, m);
        }
        fn visit_expr_closure(&mut self, _: &'ast syn::ExprClosure) {}
        fn visit_expr_async(&mut self, _: &'ast syn::ExprAsync) {}
        fn visit_item(&mut self, _: &'ast syn::Item) {}
    }
    let mut f = Finder { found: false };
    match body {
        syn::Expr::Async(a) => f.visit_block(&a.block),
        syn::Expr::Closure(c) => f.visit_expr(&c.body),
        _ => return false,
    }
    f.found
}
