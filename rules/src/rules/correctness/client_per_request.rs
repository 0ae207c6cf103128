//! ## What it does
//! Flags HTTP clients (`reqwest::Client::new()`, `reqwest::Client::builder()…build()`)
//! and sqlx database pools (`PgPoolOptions::new()…connect(..)`,
//! `PgPool::connect(..)`, and the MySQL, SQLite and generic equivalents) built
//! inside a request handler, a gRPC service method, or the body of a loop.
//!
//! ## Why is this bad?
//! A reqwest `Client` and a sqlx pool are connection pools. Building one per
//! request or per iteration throws the pool away each time: every call pays for DNS,
//! a TCP handshake and TLS (or a database login) again, connections pile up in
//! `TIME_WAIT`, and the database sees a storm of new sessions under load. Build the
//! client or pool once at start-up and share it — clone it (it is an `Arc` inside)
//! or keep it in the application state.
//!
//! Not flagged: clients built at start-up or in `main`, in `static`/`LazyLock`
//! initialisers, and in connect-until-ready loops that leave the loop (`break` or
//! `return`) once connected; test code.
//!
//! ## Example
//! ```rust
//! use axum::extract::Path;
//!
//! pub async fn profile(Path(id): Path<u64>) -> Result<String, reqwest::Error> {
//!     let client = reqwest::Client::new();
//!     client.get(format!("https://users.internal/{id}")).send().await?.text().await
//! }
//! ```
//!
//! Use instead:
//! ```rust
//! use axum::extract::{Path, State};
//!
//! pub async fn profile(State(client): State<reqwest::Client>, Path(id): Path<u64>) -> Result<String, reqwest::Error> {
//!     client.get(format!("https://users.internal/{id}")).send().await?.text().await
//! }
//! ```

use syn::visit::Visit;

use crate::imports::Resolved;
use crate::rule::{Category, FixAvailability, Level, RuleMeta};
use crate::rules::util::{call_range, chain, method_call_range, node_range};
use crate::walk::{BoundaryKind, Cx, Rule, Sink};

pub struct ClientPerRequest;

pub static META: RuleMeta = RuleMeta {
    id: "client-per-request",
    category: Category::Correctness,
    default_level: Level::Warning,
    standard: "Pooled connections, right-sized and reused.",
    summary: "HTTP client or database pool built per request or per loop iteration",
    fix: FixAvailability::None,
    clippy_lints: &[],
    source: include_str!("client_per_request.rs"),
};

const POOLS: &[&str] = &["PgPool", "MySqlPool", "SqlitePool", "Pool", "AnyPool"];
const POOL_OPTIONS: &[&str] = &[
    "PgPoolOptions",
    "MySqlPoolOptions",
    "SqlitePoolOptions",
    "PoolOptions",
    "AnyPoolOptions",
];

impl Rule for ClientPerRequest {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check_expr(&self, cx: &Cx<'_, '_>, expr: &syn::Expr, out: &mut Sink<'_>) {
        if cx.skip_by_default() || cx.in_static_init() {
            return;
        }
        let (what, range) = match expr {
            syn::Expr::Call(call) => {
                let Some(path) = cx.resolve_call(call) else {
                    return;
                };
                if path.is(&["reqwest", "Client", "new"]) {
                    ("HTTP client", call_range(call))
                } else if is_sqlx(&path, POOLS, &["connect", "connect_lazy", "connect_with"]) {
                    ("database pool", call_range(call))
                } else {
                    return;
                }
            }
            syn::Expr::MethodCall(mc) => {
                let method = mc.method.to_string();
                let (_, base) = chain(expr);
                let syn::Expr::Call(start) = base else {
                    return;
                };
                let Some(path) = cx.resolve_call(start) else {
                    return;
                };
                let range = node_range(start).start..method_call_range(mc).end;
                if method == "build"
                    && (path.is(&["reqwest", "Client", "builder"])
                        || path.is(&["reqwest", "ClientBuilder", "new"]))
                {
                    ("HTTP client", range)
                } else if matches!(method.as_str(), "connect" | "connect_lazy" | "connect_with")
                    && is_sqlx(&path, POOL_OPTIONS, &["new"])
                {
                    ("database pool", range)
                } else {
                    return;
                }
            }
            _ => return,
        };
        let place = match cx.boundary() {
            Some(BoundaryKind::Handler) => "a request handler",
            Some(BoundaryKind::RpcMethod) => "a gRPC service method",
            _ if in_repeating_loop(cx, expr) => "a loop",
            _ => return,
        };
        out.report(
            range,
            format!("{what} built inside {place} pays for new connections every time; build it once and share it"),
        );
    }
}

/// `sqlx::…::<Type>::<ctor>` for one of `types`.
fn is_sqlx(path: &Resolved, types: &[&str], ctors: &[&str]) -> bool {
    let segs: Vec<&str> = path.segments.iter().map(String::as_str).collect();
    path.krate() == Some("sqlx")
        && match segs.as_slice() {
            [.., ty, ctor] => types.contains(ty) && ctors.contains(ctor),
            _ => false,
        }
}

/// True when `expr` lies in the body (or the condition) of an enclosing `loop`,
/// `while` or `for` that does not leave on success: the iterator of a `for` runs
/// once, and a loop with `break`/`return` is a connect-until-ready loop.
fn in_repeating_loop(cx: &Cx<'_, '_>, expr: &syn::Expr) -> bool {
    let mut child: &syn::Expr = expr;
    for a in cx.ancestors() {
        match a {
            syn::Expr::Closure(_) | syn::Expr::Async(_) => return false,
            syn::Expr::ForLoop(f) => {
                if std::ptr::eq(&*f.expr, child) {
                    return false;
                }
                return !leaves(&f.body);
            }
            syn::Expr::Loop(l) => return !leaves(&l.body),
            syn::Expr::While(w) => return !leaves(&w.body),
            _ => {}
        }
        child = a;
    }
    false
}

/// Whether a loop body contains `break` or `return` (outside nested closures and
/// items).
fn leaves(body: &syn::Block) -> bool {
    struct Finder {
        found: bool,
    }
    impl<'ast> Visit<'ast> for Finder {
        fn visit_expr_break(&mut self, _: &'ast syn::ExprBreak) {
            self.found = true;
        }
        fn visit_expr_return(&mut self, _: &'ast syn::ExprReturn) {
            self.found = true;
        }
        fn visit_expr_closure(&mut self, _: &'ast syn::ExprClosure) {}
        fn visit_expr_async(&mut self, _: &'ast syn::ExprAsync) {}
        fn visit_item(&mut self, _: &'ast syn::Item) {}
    }
    let mut f = Finder { found: false };
    f.visit_block(body);
    f.found
}
