//! ## What it does
//! Flags network clients and calls whose library default is to wait forever:
//! `reqwest::Client::new()`, `reqwest::Client::builder()…build()` chains that set no
//! timeout, the free function `reqwest::get(..)`, and tonic `Endpoint`/`Channel`
//! builders connected without `.timeout(..)` or `.connect_timeout(..)`.
//!
//! At `info` level, for shapes where the operating system eventually gives up but
//! only after minutes: `tokio::net::TcpStream::connect(..)` outside
//! `tokio::time::timeout(..)`, and `std::net::TcpStream::connect(..)` (use
//! `TcpStream::connect_timeout`).
//!
//! ## Why is this bad?
//! A dependency that stops answering should cost a request one timeout, not hold
//! it — and the worker, connection and memory behind it — until the process
//! restarts. The async reqwest client and tonic channels have no request timeout
//! unless you set one, so one slow upstream can exhaust a whole service.
//!
//! Not flagged: `reqwest::blocking` (30 s by default), sqlx pools (30 s acquire
//! timeout), redis clients, builder chains that set any timeout, calls wrapped in
//! `tokio::time::timeout`, a `let client = Client::new();` whose every use in the
//! function is a request that sets its own `.timeout(..)`, and look-alike
//! builders from other crates (`reqwest_middleware::ClientBuilder`).
//!
//! ## Example
//! ```rust
//! use reqwest::Client;
//!
//! pub fn http() -> Result<Client, reqwest::Error> {
//!     Client::builder().user_agent("billing/1.0").build()
//! }
//! ```
//!
//! Use instead:
//! ```rust
//! use reqwest::Client;
//! use std::time::Duration;
//!
//! pub fn http() -> Result<Client, reqwest::Error> {
//!     Client::builder().user_agent("billing/1.0").timeout(Duration::from_secs(10)).build()
//! }
//! ```
//!
//! ## Fix safety
//! The fix inserts `.timeout(Duration::from_secs(30))` before `.build()` (or before
//! `.connect()` for tonic), and turns `Client::new()` into the builder form with `?`
//! when the enclosing function returns `Result`. It is unsafe: requests that used to
//! wait now fail after 30 seconds, and 30 seconds may be wrong for your service.
//! `Duration` is written with its full path unless the file imports it.

use crate::imports::Resolved;
use crate::rule::{Applicability, Category, Edit, Finding, Fix, FixAvailability, Level, RuleMeta};
use crate::rules::util::{
    call_range, chain, duration_path, method_call_range, node_range, return_type_name,
};
use crate::walk::{Cx, Rule, Sink};

pub struct MissingTimeout;

pub static META: RuleMeta = RuleMeta {
    id: "missing-timeout",
    category: Category::Reliability,
    default_level: Level::Warning,
    standard: "Every external call has an explicit timeout.",
    summary: "network client or call that can wait forever",
    fix: FixAvailability::Sometimes,
    clippy_lints: &[],
    source: include_str!("missing_timeout.rs"),
};

const DEFAULT_SECS: u32 = 30;

impl Rule for MissingTimeout {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check_expr(&self, cx: &Cx<'_, '_>, expr: &syn::Expr, out: &mut Sink<'_>) {
        if cx.skip_by_default() {
            return;
        }
        match expr {
            syn::Expr::Call(call) => check_call(cx, call, out),
            syn::Expr::MethodCall(mc) => check_chain_end(cx, expr, mc, out),
            _ => {}
        }
    }
}

fn check_call(cx: &Cx<'_, '_>, call: &syn::ExprCall, out: &mut Sink<'_>) {
    let Some(path) = cx.resolve_call(call) else {
        return;
    };
    if path.is(&["reqwest", "Client", "new"]) {
        if wrapped_in_timeout(cx) || every_request_has_timeout(cx, call) {
            return;
        }
        let finding = out.report(
            call_range(call),
            "HTTP client built without a timeout; requests can wait forever",
        );
        client_new_fix(cx, call, finding);
    } else if path.is(&["reqwest", "get"]) {
        if wrapped_in_timeout(cx) {
            return;
        }
        out.report(
            call_range(call),
            "`reqwest::get` uses a client with no timeout; build a client with `.timeout(..)` and reuse it",
        );
    } else if path.is(&["tokio", "net", "TcpStream", "connect"]) {
        if wrapped_in_timeout(cx) {
            return;
        }
        out.report(
            call_range(call),
            "TCP connect without a timeout; wrap it in `tokio::time::timeout`",
        )
        .level = Level::Info;
    } else if path.is(&["std", "net", "TcpStream", "connect"]) {
        out.report(
            call_range(call),
            "TCP connect without a timeout; use `TcpStream::connect_timeout` with a socket address",
        )
        .level = Level::Info;
    }
}

fn client_new_fix(cx: &Cx<'_, '_>, call: &syn::ExprCall, finding: &mut Finding) {
    if cx.in_closure() || cx.enclosing_fn().and_then(return_type_name).as_deref() != Some("Result")
    {
        return;
    }
    let syn::Expr::Path(p) = &*call.func else {
        return;
    };
    let Some(last) = p.path.segments.last() else {
        return;
    };
    let start = cx.span_range(last.ident.span()).start;
    let end = cx.span_range(call.paren_token.span.close()).end;
    let duration = duration_path(cx);
    finding.fix = Some(Fix::new(
        format!("Build the client with a {DEFAULT_SECS} s timeout"),
        Applicability::Unsafe,
        vec![Edit::replace(
            start..end,
            format!("builder().timeout({duration}::from_secs({DEFAULT_SECS})).build()?"),
        )],
    ));
}

/// Builder chains: flag at the call that finishes the chain (`build` for reqwest,
/// `connect`/`connect_lazy` for tonic), so a builder kept in a variable and
/// configured later is never judged half-way.
fn check_chain_end(
    cx: &Cx<'_, '_>,
    expr: &syn::Expr,
    mc: &syn::ExprMethodCall,
    out: &mut Sink<'_>,
) {
    let method = mc.method.to_string();
    let kind = match method.as_str() {
        "build" => Kind::Reqwest,
        "connect" | "connect_lazy" => Kind::Tonic,
        _ => return,
    };
    let (calls, base) = chain(expr);
    let syn::Expr::Call(start) = base else { return };
    let Some(path) = cx.resolve_call(start) else {
        return;
    };
    let matches_start = match kind {
        Kind::Reqwest => {
            path.is(&["reqwest", "Client", "builder"])
                || path.is(&["reqwest", "ClientBuilder", "new"])
        }
        Kind::Tonic => is_tonic_builder(&path),
    };
    if !matches_start {
        return;
    }
    // `calls[0]` is the finishing call itself; a timeout must be set before it.
    if calls
        .iter()
        .any(|c| c.method.to_string().contains("timeout"))
        || wrapped_in_timeout(cx)
    {
        return;
    }
    let range = node_range(start).start..method_call_range(mc).end;
    let (message, title) = match kind {
        Kind::Reqwest => (
            "HTTP client built without a timeout; requests can wait forever",
            "Add a 30 s timeout",
        ),
        Kind::Tonic => (
            "gRPC channel connected without a timeout; calls can wait forever",
            "Add a 30 s timeout",
        ),
    };
    let finding = out.report(range, message);
    let dot = cx.span_range(mc.dot_token.span).start;
    finding.fix = Some(Fix::new(
        title,
        Applicability::Unsafe,
        vec![Edit::insert(
            dot,
            format!(".timeout({}::from_secs({DEFAULT_SECS}))", duration_path(cx)),
        )],
    ));
}

#[derive(Clone, Copy)]
enum Kind {
    Reqwest,
    Tonic,
}

fn is_tonic_builder(path: &Resolved) -> bool {
    let segs: Vec<&str> = path.segments.iter().map(String::as_str).collect();
    path.confident
        && segs.first() == Some(&"tonic")
        && matches!(
            segs.as_slice(),
            [
                ..,
                "Endpoint" | "Channel",
                "from_static" | "from_shared" | "new"
            ]
        )
}

/// `let client = Client::new();` whose every use in the function is a request
/// chain that sets its own `.timeout(..)` (`client.post(url).timeout(d).send()`).
fn every_request_has_timeout(cx: &Cx<'_, '_>, call: &syn::ExprCall) -> bool {
    use syn::visit::Visit;
    let Some(body) = cx.fn_body() else {
        return false;
    };
    let at = node_range(call);
    // The name this call is bound to.
    struct Let<'r> {
        at: &'r std::ops::Range<usize>,
        name: Option<String>,
    }
    impl<'ast> Visit<'ast> for Let<'_> {
        fn visit_local(&mut self, l: &'ast syn::Local) {
            if let (syn::Pat::Ident(pi), Some(init)) = (&l.pat, &l.init) {
                if node_range(&*init.expr) == *self.at {
                    self.name = Some(pi.ident.to_string());
                }
            }
            syn::visit::visit_local(self, l);
        }
    }
    let mut finder = Let {
        at: &at,
        name: None,
    };
    finder.visit_block(body);
    let Some(name) = finder.name else {
        return false;
    };
    // Every mention of the name, and the request chains on it that set a timeout.
    struct Uses<'n> {
        name: &'n str,
        mentions: usize,
        timed: usize,
    }
    impl<'ast> Visit<'ast> for Uses<'_> {
        fn visit_expr_path(&mut self, p: &'ast syn::ExprPath) {
            if p.path.is_ident(self.name) {
                self.mentions += 1;
            }
        }
        fn visit_expr_method_call(&mut self, m: &'ast syn::ExprMethodCall) {
            if m.method == "timeout" {
                let (calls, base) = crate::rules::util::chain(&m.receiver);
                let request = calls.last().is_some_and(|c| {
                    matches!(
                        c.method.to_string().as_str(),
                        "get" | "post" | "put" | "patch" | "delete" | "head" | "request"
                    )
                });
                if request && matches!(base, syn::Expr::Path(p) if p.path.is_ident(self.name)) {
                    self.timed += 1;
                }
            }
            syn::visit::visit_expr_method_call(self, m);
        }
    }
    let mut uses = Uses {
        name: &name,
        mentions: 0,
        timed: 0,
    };
    uses.visit_block(body);
    uses.mentions > 0 && uses.mentions == uses.timed
}

/// True when an enclosing expression bounds the call with a timeout:
/// `tokio::time::timeout(d, call)` or a `.timeout(d)` combinator.
fn wrapped_in_timeout(cx: &Cx<'_, '_>) -> bool {
    cx.ancestors().any(|a| match a {
        syn::Expr::Call(c) => match &*c.func {
            syn::Expr::Path(p) => p
                .path
                .segments
                .last()
                .is_some_and(|s| s.ident == "timeout" || s.ident == "timeout_at"),
            _ => false,
        },
        syn::Expr::MethodCall(m) => m.method == "timeout",
        _ => false,
    })
}
