//! ## What it does
//! Flags blocking calls inside an `async fn` or `async` block (not inside a
//! closure there, whose execution context is unknown, and not in `async fn main`):
//!
//! - at `warning`: `std::thread::sleep`, `futures::executor::block_on` and
//!   `block_on` on a tokio `Runtime` or `Handle` (these panic or deadlock inside a
//!   runtime), and `reqwest::blocking` calls;
//! - at `info`: `std::fs` functions and `std::fs::File::open`/`create`,
//!   `std::net::TcpStream::connect`, `std::io::stdin().read_line(..)`, and
//!   `std::process::Command` run with `.output()` or `.status()`.
//!
//! ## Why is this bad?
//! An async runtime runs many tasks on a few threads. A task that blocks its thread
//! — sleeping, waiting for the disk or the network — stalls every other task
//! scheduled there: latency spikes across unrelated requests, and with enough
//! blocked tasks the whole service stops. Use the async equivalent
//! (`tokio::time::sleep`, `tokio::fs`, `tokio::net`, `tokio::process`) or move the
//! blocking work to `tokio::task::spawn_blocking`.
//!
//! Not flagged: `std::sync::Mutex` (held briefly, it is not blocking I/O), code in
//! closures (they may run on a blocking thread), `async fn main`, and test code.
//!
//! ## Example
//! ```rust
//! pub async fn poll_ready() {
//!     std::thread::sleep(std::time::Duration::from_millis(100));
//! }
//! ```
//!
//! Use instead:
//! ```rust
//! pub async fn poll_ready() {
//!     tokio::time::sleep(std::time::Duration::from_millis(100)).await;
//! }
//! ```
//!
//! ## Fix safety
//! `std::thread::sleep(d)` becomes `tokio::time::sleep(d).await`, and
//! `std::fs::read_to_string`, `read`, `write`, `create_dir_all`, `remove_file`,
//! `rename`, `copy` and `metadata` become the same `tokio::fs` function with
//! `.await`. The results are the same; only the waiting no longer blocks the
//! thread. The fix is safe when the crate's tokio dependency enables the feature it
//! needs (`time` for sleep, `fs` for files, or `full`), and unsafe otherwise, since
//! it would not compile until you enable the feature.

use crate::rule::{Applicability, Category, Edit, Fix, FixAvailability, Level, RuleMeta};
use crate::rules::util::{call_range, chain, method_call_range, node_range};
use crate::walk::{Cx, Rule, Sink};

pub struct BlockingInAsync;

pub static META: RuleMeta = RuleMeta {
    id: "blocking-in-async",
    category: Category::Reliability,
    default_level: Level::Warning,
    standard: "Non-blocking I/O on async paths.",
    summary: "blocking call inside async code",
    fix: FixAvailability::Sometimes,
    clippy_lints: &[],
    source: include_str!("blocking_in_async.rs"),
};

/// `std::fs` functions with a `tokio::fs` twin of the same name and arguments.
const TOKIO_FS: &[&str] = &[
    "read_to_string",
    "read",
    "write",
    "create_dir_all",
    "remove_file",
    "rename",
    "copy",
    "metadata",
];

impl Rule for BlockingInAsync {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check_expr(&self, cx: &Cx<'_, '_>, expr: &syn::Expr, out: &mut Sink<'_>) {
        if cx.skip_by_default() || !cx.in_async() || (cx.in_main() && !cx.in_closure()) {
            return;
        }
        match expr {
            syn::Expr::Call(call) => check_call(cx, call, out),
            syn::Expr::MethodCall(mc) => check_method(cx, expr, mc, out),
            _ => {}
        }
    }
}

fn check_call(cx: &Cx<'_, '_>, call: &syn::ExprCall, out: &mut Sink<'_>) {
    let Some(path) = cx.resolve_call(call) else {
        return;
    };
    let segs: Vec<&str> = path.segments.iter().map(String::as_str).collect();
    if path.is(&["std", "thread", "sleep"]) {
        let finding = out.report(
            call_range(call),
            "`std::thread::sleep` blocks the async runtime's thread; use `tokio::time::sleep(..).await`",
        );
        let feature = has_tokio_feature(cx, "time");
        finding.fix = Some(replace_fix(
            cx,
            call,
            "tokio::time::sleep",
            feature,
            "Use `tokio::time::sleep`",
        ));
    } else if path.is(&["futures", "executor", "block_on"])
        || path.is(&["futures_executor", "block_on"])
    {
        out.report(
            call_range(call),
            "`block_on` inside async code blocks the runtime and can deadlock; `.await` the future instead",
        );
    } else if path.confident && matches!(segs.as_slice(), ["reqwest", "blocking", ..]) {
        out.report(
            call_range(call),
            "`reqwest::blocking` inside async code blocks the runtime's thread; use the async `reqwest::Client`",
        );
    } else if path.confident && matches!(segs.as_slice(), ["std", "fs", name] if is_fn_name(name)) {
        let name = segs.get(2).copied().unwrap_or_default();
        let finding = out.report(
            call_range(call),
            format!("`std::fs::{name}` blocks the async runtime's thread; use `tokio::fs` or `spawn_blocking`"),
        );
        finding.level = Level::Info;
        if TOKIO_FS.contains(&name) {
            let feature = has_tokio_feature(cx, "fs");
            let title = format!("Use `tokio::fs::{name}`");
            let with = format!("tokio::fs::{name}");
            finding.fix = Some(replace_fix(cx, call, &with, feature, &title));
        }
    } else if path.is(&["std", "fs", "File", "open"]) || path.is(&["std", "fs", "File", "create"]) {
        out.report(
            call_range(call),
            "`std::fs::File` blocks the async runtime's thread; use `tokio::fs::File` or `spawn_blocking`",
        )
        .level = Level::Info;
    } else if path.is(&["std", "net", "TcpStream", "connect"]) {
        out.report(
            call_range(call),
            "`std::net::TcpStream::connect` blocks the async runtime's thread; use `tokio::net::TcpStream`",
        )
        .level = Level::Info;
    }
}

fn check_method(cx: &Cx<'_, '_>, expr: &syn::Expr, mc: &syn::ExprMethodCall, out: &mut Sink<'_>) {
    let method = mc.method.to_string();
    let (_, base) = chain(expr);
    if method == "block_on" {
        if let syn::Expr::Path(p) = base {
            check_runtime_local(cx, expr, mc, p, out);
            return;
        }
    }
    let syn::Expr::Call(start) = base else {
        return;
    };
    let Some(path) = cx.resolve_call(start) else {
        return;
    };
    let range = node_range(start).start..method_call_range(mc).end;
    match method.as_str() {
        "block_on" if path.starts_with(&["tokio", "runtime"]) => {
            out.report(
                range,
                "`block_on` inside async code panics or deadlocks the runtime; `.await` the future instead",
            );
        }
        "read_line" if path.is(&["std", "io", "stdin"]) => {
            out.report(
                range,
                "reading stdin blocks the async runtime's thread; use `tokio::io::stdin` or `spawn_blocking`",
            )
            .level = Level::Info;
        }
        "output" | "status" if path.is(&["std", "process", "Command", "new"]) => {
            out.report(
                range,
                "`std::process::Command` waits for the child on the async runtime's thread; use `tokio::process::Command`",
            )
            .level = Level::Info;
        }
        _ => {}
    }
}

/// `rt.block_on(..)` where `rt` was bound in this function to a tokio runtime or
/// handle (`let rt = Runtime::new()?;`, `let h = Handle::current();`).
fn check_runtime_local(
    cx: &Cx<'_, '_>,
    expr: &syn::Expr,
    mc: &syn::ExprMethodCall,
    local: &syn::ExprPath,
    out: &mut Sink<'_>,
) {
    let Some(name) = local.path.get_ident() else {
        return;
    };
    let Some(init) = cx.binding(&name.to_string(), node_range(expr).start) else {
        return;
    };
    let (_, base) = chain(init);
    let syn::Expr::Call(start) = base else {
        return;
    };
    if cx
        .resolve_call(start)
        .is_some_and(|p| p.starts_with(&["tokio", "runtime"]))
    {
        out.report(
            node_range(local).start..method_call_range(mc).end,
            "`block_on` inside async code panics or deadlocks the runtime; `.await` the future instead",
        );
    }
}

/// Functions are snake_case; `std::fs::File` and friends are types.
fn is_fn_name(name: &str) -> bool {
    name.chars().next().is_some_and(|c| c.is_ascii_lowercase())
}

fn has_tokio_feature(cx: &Cx<'_, '_>, feature: &str) -> bool {
    let facts = cx.file.crate_facts;
    facts.has_feature("tokio", "full") || facts.has_feature("tokio", feature)
}

/// Replace the called path with `with` and await the result.
fn replace_fix(cx: &Cx<'_, '_>, call: &syn::ExprCall, with: &str, safe: bool, title: &str) -> Fix {
    let func = node_range(&*call.func);
    let end = cx.span_range(call.paren_token.span.close()).end;
    let applicability = if safe {
        Applicability::Safe
    } else {
        Applicability::Unsafe
    };
    Fix::new(
        title,
        applicability,
        vec![Edit::replace(func, with), Edit::insert(end, ".await")],
    )
}
