//! ## What it does
//! Flags secrets handed to logs:
//!
//! - `tracing` and `log` macros (events and spans) and the `println!` family
//!   whose field values or format arguments are secret-like identifiers or fields
//!   (`password`, `token`, `secret`, `api_key`, `authorization`, `cookie`,
//!   `private_key`, …) — including names captured inline (`"{password}"`) — or
//!   that call `.expose_secret()` or `.secret()`;
//! - `#[tracing::instrument]` on a function with a secret-like parameter that is
//!   neither listed in `skip(..)` nor covered by `skip_all`: the span records every
//!   argument with its `Debug` output.
//!
//! `println!`/`print!` in a binary (`src/main.rs`, `src/bin/**`) are not flagged:
//! stdout is the program's output there (a `generate-token` command prints the
//! token for its user); `eprintln!` and log macros still are.
//!
//! Only expressions are matched, never the message text, and names that describe a
//! secret rather than hold it (`token_count`, `password_len`, `session_id`,
//! `token_ttl`, `token_expires_at`) are not flagged. Parameters typed as
//! `SecretString`/`Secret<..>` are skipped: their `Debug` output is redacted.
//!
//! ## Why is this bad?
//! Logs are copied to aggregators, shipped to vendors, kept for months and read by
//! far more people than the secret store. A password or token that reaches a log
//! has leaked, and must be rotated.
//!
//! ## Example
//! ```rust
//! #[tracing::instrument]
//! pub async fn login(user: &str, password: &str) -> bool {
//!     !user.is_empty() && !password.is_empty()
//! }
//! ```
//!
//! Use instead:
//! ```rust
//! #[tracing::instrument(skip(password))]
//! pub async fn login(user: &str, password: &str) -> bool {
//!     !user.is_empty() && !password.is_empty()
//! }
//! ```
//!
//! ## Fix safety
//! For `#[instrument]`, the fix adds the secret parameters to `skip(..)` (creating
//! it when needed). It is safe: the function runs the same way, and its span simply
//! stops recording those arguments. Logging macros have no fix: what to log instead
//! is the author's decision.

use proc_macro2::{TokenStream, TokenTree};

use crate::rule::{Applicability, Category, Edit, Fix, FixAvailability, Level, RuleMeta};
use crate::rules::secrets::is_secret_like_with;
use crate::rules::util::node_range;
use crate::walk::{Cx, Rule, Sink};

pub struct SecretInLog;

pub static META: RuleMeta = RuleMeta {
    id: "secret-in-log",
    category: Category::Security,
    default_level: Level::Error,
    standard: "Secrets are never logged.",
    summary: "secret value passed to a log or print macro, or recorded by `#[instrument]`",
    fix: FixAvailability::Sometimes,
    clippy_lints: &[],
    source: include_str!("secret_in_log.rs"),
};

const EXTRA_WORDS: &[&str] = &["authorization", "cookie"];

impl Rule for SecretInLog {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check_macro(&self, cx: &Cx<'_, '_>, mac: &syn::Macro, out: &mut Sink<'_>) {
        if cx.skip_by_default() {
            return;
        }
        let Some(kind) = log_macro(cx, mac) else {
            return;
        };
        for arg in split_args(mac.tokens.clone(), kind) {
            if let Ok(lit) = syn::parse2::<syn::LitStr>(arg.clone()) {
                for name in inline_captures(&lit.value()) {
                    if is_secret_name(&name) {
                        out.report(
                            node_range(&lit),
                            format!("`{name}` is written to the log; log that it is set, never its value"),
                        );
                    }
                }
                continue;
            }
            let Ok(expr) = syn::parse2::<syn::Expr>(arg) else {
                continue;
            };
            if let Some(what) = secret_expr(&expr) {
                out.report(
                    node_range(&expr),
                    format!("{what} is written to the log; log that it is set, never its value"),
                );
            }
        }
    }

    fn check_fn(
        &self,
        cx: &Cx<'_, '_>,
        sig: &syn::Signature,
        attrs: &[syn::Attribute],
        out: &mut Sink<'_>,
    ) {
        if cx.skip_by_default() {
            return;
        }
        for attr in attrs {
            if !is_instrument(cx, attr) {
                continue;
            }
            check_instrument(cx, sig, attr, out);
        }
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// `println!` and friends: a format string and arguments.
    Print,
    /// `tracing`/`log` macros: fields, then a format string and arguments.
    Log,
}

fn log_macro(cx: &Cx<'_, '_>, mac: &syn::Macro) -> Option<Kind> {
    let name = mac.path.segments.last()?.ident.to_string();
    match name.as_str() {
        "println" | "print" | "eprintln" | "eprint" => {
            // In a binary, stdout is the program's output, not a log: a command
            // that generates a token or hash prints it for the user on purpose.
            if matches!(name.as_str(), "println" | "print")
                && matches!(cx.file.role, crate::project::FileRole::Bin)
            {
                return None;
            }
            let std_path = mac.path.segments.len() == 1
                || mac
                    .path
                    .segments
                    .first()
                    .is_some_and(|s| s.ident == "std" || s.ident == "core");
            std_path.then_some(Kind::Print)
        }
        "trace" | "debug" | "info" | "warn" | "error" | "event" | "span" | "trace_span"
        | "debug_span" | "info_span" | "warn_span" | "error_span" => {
            let resolved = cx.resolve(&mac.path);
            if matches!(resolved.krate(), Some("tracing" | "log")) {
                return Some(Kind::Log);
            }
            let facts = cx.file.crate_facts;
            let bare = mac.path.segments.len() == 1 && !resolved.confident;
            (bare && (facts.has_dep("tracing") || facts.has_dep("log"))).then_some(Kind::Log)
        }
        _ => None,
    }
}

/// The macro's arguments split at top-level commas; for `tracing` and `log`, with
/// field names (`password = `), sigils (`%`, `?`), `target:`-style keys and field
/// sets removed, as the walker reads them.
fn split_args(tokens: TokenStream, kind: Kind) -> Vec<TokenStream> {
    crate::walk::log_args(tokens)
        .into_iter()
        .map(|arg| match kind {
            Kind::Log => arg.value,
            Kind::Print => arg.tokens,
        })
        .filter(|piece| !piece.is_empty())
        .map(|piece| piece.into_iter().collect())
        .collect()
}

/// Identifiers captured inline by a format string (`"{password}"`, `"{token:?}"`).
fn inline_captures(value: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = value;
    while let Some(open) = rest.find('{') {
        let after = &rest[open + 1..];
        if let Some(escaped) = after.strip_prefix('{') {
            rest = escaped;
            continue;
        }
        let Some(close) = after.find('}') else { break };
        let inner = &after[..close];
        let name = inner.split(':').next().unwrap_or("").trim();
        if !name.is_empty()
            && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
            && !name.starts_with(|c: char| c.is_ascii_digit())
        {
            out.push(name.to_owned());
        }
        rest = &after[close + 1..];
    }
    out
}

fn is_secret_name(name: &str) -> bool {
    is_secret_like_with(name, EXTRA_WORDS)
}

/// What makes `expr` a secret, for the message.
fn secret_expr(expr: &syn::Expr) -> Option<String> {
    match expr {
        syn::Expr::Reference(r) => secret_expr(&r.expr),
        syn::Expr::Paren(p) => secret_expr(&p.expr),
        syn::Expr::Group(g) => secret_expr(&g.expr),
        syn::Expr::Path(p) => {
            let name = p.path.get_ident()?.to_string();
            is_secret_name(&name).then(|| format!("`{name}`"))
        }
        syn::Expr::Field(f) => match &f.member {
            syn::Member::Named(n) => {
                let name = n.to_string();
                is_secret_name(&name).then(|| format!("`{name}`"))
            }
            syn::Member::Unnamed(_) => None,
        },
        syn::Expr::MethodCall(m) => {
            let method = m.method.to_string();
            if m.args.is_empty() && (method == "expose_secret" || method == "secret") {
                return Some(format!("the value of `.{method}()`"));
            }
            let transparent = m.args.is_empty()
                && matches!(
                    method.as_str(),
                    "as_str"
                        | "as_ref"
                        | "as_deref"
                        | "clone"
                        | "to_string"
                        | "to_owned"
                        | "as_bytes"
                );
            if transparent {
                secret_expr(&m.receiver)
            } else {
                None
            }
        }
        _ => None,
    }
}

fn is_instrument(cx: &Cx<'_, '_>, attr: &syn::Attribute) -> bool {
    let path = attr.path();
    if path.segments.last().is_none_or(|s| s.ident != "instrument") {
        return false;
    }
    let resolved = cx.resolve(path);
    resolved.krate() == Some("tracing")
        || (path.segments.len() == 1
            && !resolved.confident
            && cx.file.crate_facts.has_dep("tracing"))
}

fn check_instrument(
    cx: &Cx<'_, '_>,
    sig: &syn::Signature,
    attr: &syn::Attribute,
    out: &mut Sink<'_>,
) {
    let list = match &attr.meta {
        syn::Meta::List(l) => Some(l),
        syn::Meta::Path(_) => None,
        syn::Meta::NameValue(_) => return,
    };
    let tokens: Vec<TokenTree> = list
        .map(|l| l.tokens.clone().into_iter().collect())
        .unwrap_or_default();
    let mut skipped: Vec<String> = Vec::new();
    let mut skip_group: Option<proc_macro2::Group> = None;
    for (i, t) in tokens.iter().enumerate() {
        if let TokenTree::Ident(id) = t {
            if id == "skip_all" {
                return;
            }
            if id == "skip" {
                if let Some(TokenTree::Group(g)) = tokens.get(i + 1) {
                    skipped.extend(g.stream().into_iter().filter_map(|t| match t {
                        TokenTree::Ident(i) => Some(i.to_string()),
                        _ => None,
                    }));
                    skip_group = Some(g.clone());
                }
            }
        }
    }
    let mut secrets = Vec::new();
    for input in &sig.inputs {
        let syn::FnArg::Typed(pt) = input else {
            continue;
        };
        let syn::Pat::Ident(pi) = &*pt.pat else {
            continue;
        };
        let name = pi.ident.to_string();
        if skipped.contains(&name) || !is_secret_name(&name) || redacted_type(&pt.ty) {
            continue;
        }
        secrets.push(name);
    }
    if secrets.is_empty() {
        return;
    }
    let listed = secrets
        .iter()
        .map(|s| format!("`{s}`"))
        .collect::<Vec<_>>()
        .join(", ");
    let message = format!(
        "`#[instrument]` records {listed} in its span; add {} to `skip(..)`",
        if secrets.len() == 1 { "it" } else { "them" }
    );
    let finding = out.report(node_range(attr), message);
    let names = secrets.join(", ");
    let edit = match (&skip_group, list) {
        (Some(g), _) => {
            let close = cx.span_range(g.span_close()).start;
            let inner: Vec<TokenTree> = g.stream().into_iter().collect();
            let text = match inner.last() {
                None => names,
                Some(TokenTree::Punct(p)) if p.as_char() == ',' => format!(" {names}"),
                Some(_) => format!(", {names}"),
            };
            Edit::insert(close, text)
        }
        (None, Some(l)) => {
            let open = cx.span_range(l.delimiter.span().open()).end;
            let text = if tokens.is_empty() {
                format!("skip({names})")
            } else {
                format!("skip({names}), ")
            };
            Edit::insert(open, text)
        }
        (None, None) => {
            let end = node_range(attr.path()).end;
            Edit::insert(end, format!("(skip({names}))"))
        }
    };
    finding.fix = Some(Fix::new(
        if secrets.len() == 1 {
            format!("Skip `{}` in the span", secrets[0])
        } else {
            "Skip the secret parameters in the span".to_owned()
        },
        Applicability::Safe,
        vec![edit],
    ));
}

/// Types whose `Debug` output is redacted (`secrecy::SecretString`, `Secret<T>`,
/// `Option<SecretString>`, `&SecretBox<str>`).
fn redacted_type(ty: &syn::Type) -> bool {
    type_idents(ty).iter().any(|i| i.starts_with("Secret"))
}

/// Identifiers anywhere in a type, generic arguments included.
fn type_idents(ty: &syn::Type) -> Vec<String> {
    use quote::ToTokens;
    let mut out = Vec::new();
    collect_idents(ty.to_token_stream(), &mut out);
    out
}

fn collect_idents(tokens: TokenStream, out: &mut Vec<String>) {
    for t in tokens {
        match t {
            TokenTree::Ident(i) => out.push(i.to_string()),
            TokenTree::Group(g) => collect_idents(g.stream(), out),
            _ => {}
        }
    }
}
