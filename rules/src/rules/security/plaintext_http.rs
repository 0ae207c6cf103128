//! ## What it does
//! Flags `"http://…"` literals used as an endpoint — passed to an HTTP client call
//! (`reqwest::get`, `.get/.post/.put/.patch/.delete/.request(..)` on a client,
//! `Url::parse`, tonic's `Endpoint::from_static`) or bound to a name ending in
//! `url`, `uri`, `endpoint` or `base` — whose host is not local.
//!
//! Local hosts are not flagged: `localhost` and `*.localhost`, `127.0.0.0/8`,
//! `[::1]`, `0.0.0.0`, `*.local`, `*.test`, `*.internal`, single-label cluster hosts
//! (`http://billing:8080`), and the documentation domains `example.com`,
//! `example.org` and `example.net`. Neither are XML and JSON-schema namespace URIs
//! (`http://www.w3.org/…`, `http://json-schema.org/…`, URLs with an `/ns/` or
//! `/schema…` path segment), nor test code.
//!
//! ## Why is this bad?
//! Plain HTTP sends requests, responses, cookies and tokens in clear text across
//! every network in between, and anyone on the path can change them. Between
//! services that leave the host, use TLS.
//!
//! ## Example
//! ```rust
//! pub const BILLING_URL: &str = "http://billing.acme-corp.io/v1";
//! ```
//!
//! Use instead:
//! ```rust
//! pub const BILLING_URL: &str = "https://billing.acme-corp.io/v1";
//! ```
//!
//! ## Fix safety
//! The fix replaces `http://` with `https://`. It is unsafe: the server must serve
//! TLS on the port the URL names, with a certificate the client trusts.

use crate::rule::{Applicability, Category, Edit, Fix, FixAvailability, Level, RuleMeta};
use crate::rules::secrets::words;
use crate::rules::util::{chain, node_range};
use crate::walk::{pat_ident, Cx, Rule, Sink};

pub struct PlaintextHttp;

pub static META: RuleMeta = RuleMeta {
    id: "plaintext-http",
    category: Category::Security,
    default_level: Level::Warning,
    standard: "TLS everywhere, with verification.",
    summary: "plain `http://` endpoint for a non-local host",
    fix: FixAvailability::Always,
    clippy_lints: &[],
    source: include_str!("plaintext_http.rs"),
};

const CLIENT_METHODS: &[&str] = &["get", "post", "put", "patch", "delete", "head"];

impl Rule for PlaintextHttp {
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
                let endpoint = path.is(&["reqwest", "get"])
                    || path.is(&["reqwest", "blocking", "get"])
                    || path.is(&["url", "Url", "parse"])
                    || path.is(&["reqwest", "Url", "parse"])
                    || (path.krate() == Some("tonic")
                        && matches!(
                            path.segments
                                .iter()
                                .map(String::as_str)
                                .collect::<Vec<_>>()
                                .as_slice(),
                            [.., "Endpoint" | "Channel", "from_static" | "from_shared"]
                        ));
                if endpoint {
                    if let Some(arg) = call.args.first() {
                        check_value(cx, arg, out);
                    }
                }
            }
            syn::Expr::MethodCall(mc) => {
                let method = mc.method.to_string();
                let arg = if CLIENT_METHODS.contains(&method.as_str()) && mc.args.len() == 1 {
                    mc.args.first()
                } else if method == "request" && mc.args.len() == 2 {
                    mc.args.iter().nth(1)
                } else {
                    None
                };
                if let Some(arg) = arg {
                    if is_client(cx, &mc.receiver) {
                        check_value(cx, arg, out);
                    }
                }
            }
            syn::Expr::Struct(st) => {
                for field in &st.fields {
                    if let syn::Member::Named(n) = &field.member {
                        if is_endpoint_name(&n.to_string()) {
                            check_value(cx, &field.expr, out);
                        }
                    }
                }
            }
            syn::Expr::Assign(a) => {
                let Some(name) = crate::rules::util::assigned_name(a) else {
                    return;
                };
                if is_endpoint_name(&name) {
                    check_value(cx, &a.right, out);
                }
            }
            _ => {}
        }
    }

    fn check_local(&self, cx: &Cx<'_, '_>, local: &syn::Local, out: &mut Sink<'_>) {
        if cx.skip_by_default() {
            return;
        }
        if let (Some(name), Some(init)) = (pat_ident(&local.pat), &local.init) {
            if is_endpoint_name(&name) {
                check_value(cx, &init.expr, out);
            }
        }
    }

    fn check_item(&self, cx: &Cx<'_, '_>, item: &syn::Item, out: &mut Sink<'_>) {
        if cx.skip_by_default() {
            return;
        }
        let (name, expr) = match item {
            syn::Item::Const(c) => (c.ident.to_string(), &*c.expr),
            syn::Item::Static(s) => (s.ident.to_string(), &*s.expr),
            _ => return,
        };
        if is_endpoint_name(&name) {
            check_value(cx, expr, out);
        }
    }
}

fn is_endpoint_name(name: &str) -> bool {
    let words = words(name);
    if words
        .iter()
        .any(|w| w == "namespace" || w == "ns" || w == "schema")
    {
        return false;
    }
    words
        .last()
        .is_some_and(|w| matches!(w.as_str(), "url" | "uri" | "endpoint" | "base"))
}

/// A receiver that is an HTTP client: a name containing `client` (`client`,
/// `self.http_client`) or a reqwest client constructed in place.
fn is_client(cx: &Cx<'_, '_>, receiver: &syn::Expr) -> bool {
    let (_, base) = chain(receiver);
    match base {
        syn::Expr::Path(p) => p
            .path
            .get_ident()
            .is_some_and(|i| i.to_string().to_ascii_lowercase().contains("client")),
        syn::Expr::Field(f) => {
            matches!(&f.member, syn::Member::Named(n) if n.to_string().to_ascii_lowercase().contains("client"))
        }
        syn::Expr::Call(c) => cx
            .resolve_call(c)
            .is_some_and(|p| p.starts_with(&["reqwest"])),
        _ => false,
    }
}

fn check_value(cx: &Cx<'_, '_>, value: &syn::Expr, out: &mut Sink<'_>) {
    let Some(lit) = str_lit(value) else { return };
    let v = lit.value();
    let Some(rest) = v.strip_prefix("http://") else {
        return;
    };
    let Some(host) = host_of(rest) else { return };
    if is_local(&host) || is_namespace_host(&host) || is_namespace_path(rest) {
        return;
    }
    let range = node_range(lit);
    let Some(at) = cx.slice(range.clone()).find("http://") else {
        return;
    };
    let start = range.start + at;
    let finding = out.report(
        range,
        format!("`{host}` is reached over plain HTTP; use `https://`"),
    );
    finding.fix = Some(Fix::new(
        "Use `https://`",
        Applicability::Unsafe,
        vec![Edit::replace(start..start + "http://".len(), "https://")],
    ));
}

/// The host of an authority, without user info and port; `None` when it is a
/// template or empty.
fn host_of(rest: &str) -> Option<String> {
    let authority = rest.split(['/', '?', '#']).next()?;
    let host_port = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    let host = if let Some(v6) = host_port.strip_prefix('[') {
        format!("[{}]", v6.split(']').next()?)
    } else {
        host_port.split(':').next()?.to_owned()
    };
    let host = host.to_ascii_lowercase();
    if host.is_empty() || host.contains(['{', '}', '$', '<', '>', '%']) {
        return None;
    }
    Some(host)
}

fn is_local(host: &str) -> bool {
    let under = |suffix: &str| host == &suffix[1..] || host.ends_with(suffix);
    crate::rules::util::is_dev_host(host)
        || host.ends_with(".internal")
        || !host.contains('.')
        || under(".example.com")
        || under(".example.org")
        || under(".example.net")
}

/// Identifiers that merely look like URLs: `…/ns/…`, `…/schema/…`, `…/xmlns/…`
/// (JSON-LD contexts, nodeinfo schemas, XML namespaces).
fn is_namespace_path(rest: &str) -> bool {
    let path = rest.split(['?', '#']).next().unwrap_or("");
    path.split('/').skip(1).any(|seg| {
        let seg = seg.to_ascii_lowercase();
        seg == "ns" || seg == "xmlns" || seg.starts_with("schema")
    })
}

fn is_namespace_host(host: &str) -> bool {
    matches!(
        host,
        "www.w3.org"
            | "w3.org"
            | "json-schema.org"
            | "schemas.xmlsoap.org"
            | "schemas.microsoft.com"
            | "schema.org"
            | "www.opengis.net"
            | "ns.adobe.com"
            | "schemas.openxmlformats.org"
            | "purl.org"
            | "xmlns.com"
            | "docs.oasis-open.org"
    )
}

/// The string literal an expression is, through the conversions this rule accepts.
fn str_lit(expr: &syn::Expr) -> Option<&syn::LitStr> {
    crate::rules::util::str_literal(
        expr,
        &["to_string", "to_owned", "into", "parse", "unwrap", "expect"],
        None,
    )
}
