//! ## What it does
//! Flags code that turns off certificate or token verification:
//!
//! - `.danger_accept_invalid_certs(true)` and `.danger_accept_invalid_hostnames(true)`
//!   (reqwest up to 0.12, native-tls), and their reqwest 0.13 names
//!   `.tls_danger_accept_invalid_certs(true)` and
//!   `.tls_danger_accept_invalid_hostnames(true)`;
//! - openssl's `SslVerifyMode::NONE`;
//! - rustls custom certificate verifiers installed through `.dangerous()`
//!   (`.dangerous().with_custom_certificate_verifier(..)`,
//!   `.dangerous().set_certificate_verifier(..)`);
//! - jsonwebtoken's `Validation::insecure_disable_signature_validation()` and
//!   `validation.validate_exp = false`.
//!
//! Only the literal `true` (or `false` for `validate_exp`) is flagged, and not
//! inside an `if` on a runtime value: a value read from configuration is a
//! deliberate switch that a reviewer can see.
//!
//! ## Why is this bad?
//! TLS without verification is encryption to whoever answers: anyone on the path
//! can present any certificate and read or change the traffic. A JWT whose
//! signature or expiry is not checked proves nothing about who sent it or when.
//! Such switches are added "just for local testing" and then ship.
//!
//! ## Example
//! ```rust
//! pub fn http() -> reqwest::Result<reqwest::Client> {
//!     reqwest::Client::builder().danger_accept_invalid_certs(true).build()
//! }
//! ```
//!
//! Use instead:
//! ```rust
//! pub fn http(ca: reqwest::Certificate) -> reqwest::Result<reqwest::Client> {
//!     reqwest::Client::builder().add_root_certificate(ca).build()
//! }
//! ```
//!
//! ## Fix safety
//! For the `danger_accept_invalid_*` methods the fix turns `true` into `false`. It is
//! unsafe: connections to servers with self-signed or mismatched certificates,
//! which used to work, now fail until the right CA is trusted.

use crate::rule::{Applicability, Category, Edit, Fix, FixAvailability, Level, RuleMeta};
use crate::rules::util::{method_call_range, node_range};
use crate::walk::{Cx, Rule, Sink};

pub struct TlsVerificationDisabled;

pub static META: RuleMeta = RuleMeta {
    id: "tls-verification-disabled",
    category: Category::Security,
    default_level: Level::Error,
    standard: "TLS everywhere, with verification.",
    summary: "TLS certificate, hostname or JWT verification turned off",
    fix: FixAvailability::Sometimes,
    clippy_lints: &[],
    source: include_str!("tls_verification_disabled.rs"),
};

impl Rule for TlsVerificationDisabled {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check_expr(&self, cx: &Cx<'_, '_>, expr: &syn::Expr, out: &mut Sink<'_>) {
        if cx.skip_by_default() || behind_switch(cx) {
            return;
        }
        match expr {
            syn::Expr::MethodCall(mc) => check_method(cx, mc, out),
            syn::Expr::Path(p) => {
                let segs: Vec<String> = p
                    .path
                    .segments
                    .iter()
                    .map(|s| s.ident.to_string())
                    .collect();
                if !matches!(segs.as_slice(), [.., ty, c] if ty == "SslVerifyMode" && c == "NONE") {
                    return;
                }
                let resolved = cx.resolve(&p.path);
                if resolved.krate() == Some("openssl") {
                    out.report(
                        node_range(p),
                        "`SslVerifyMode::NONE` turns off certificate verification; use `SslVerifyMode::PEER`",
                    );
                }
            }
            syn::Expr::Assign(a) => {
                let syn::Expr::Field(f) = &*a.left else {
                    return;
                };
                let is_exp = matches!(&f.member, syn::Member::Named(n) if n == "validate_exp");
                if is_exp && is_bool(&a.right, false) && cx.file.crate_facts.has_dep("jsonwebtoken")
                {
                    out.report(
                        node_range(a),
                        "JWT expiry validation turned off; expired tokens are accepted",
                    );
                }
            }
            syn::Expr::Struct(st) => {
                for field in &st.fields {
                    let is_exp =
                        matches!(&field.member, syn::Member::Named(n) if n == "validate_exp");
                    if is_exp
                        && is_bool(&field.expr, false)
                        && cx.file.crate_facts.has_dep("jsonwebtoken")
                    {
                        out.report(
                            node_range(field),
                            "JWT expiry validation turned off; expired tokens are accepted",
                        );
                    }
                }
            }
            _ => {}
        }
    }
}

fn check_method(cx: &Cx<'_, '_>, mc: &syn::ExprMethodCall, out: &mut Sink<'_>) {
    let method = mc.method.to_string();
    match method.as_str() {
        "danger_accept_invalid_certs"
        | "danger_accept_invalid_hostnames"
        | "tls_danger_accept_invalid_certs"
        | "tls_danger_accept_invalid_hostnames" => {
            let Some(arg) = mc.args.first() else { return };
            if mc.args.len() != 1 || !is_bool(arg, true) {
                return;
            }
            let what = if method.ends_with("certs") {
                "certificate"
            } else {
                "hostname"
            };
            let finding = out.report(
                method_call_range(mc),
                format!("TLS {what} verification turned off; trust the server's CA instead"),
            );
            finding.fix = Some(Fix::new(
                format!("Verify {what}s again (`true` -> `false`)"),
                Applicability::Unsafe,
                vec![Edit::replace(node_range(arg), "false")],
            ));
        }
        "with_custom_certificate_verifier" | "set_certificate_verifier" => {
            let syn::Expr::MethodCall(recv) = &*mc.receiver else {
                return;
            };
            if recv.method != "dangerous" || !recv.args.is_empty() {
                return;
            }
            let start = recv.method.span().byte_range().start;
            let end = method_call_range(mc).end;
            out.report(
                start..end,
                "custom rustls certificate verifier installed through `.dangerous()`; make sure it verifies, or use the platform verifier",
            );
        }
        "insecure_disable_signature_validation"
            if mc.args.is_empty() && cx.file.crate_facts.has_dep("jsonwebtoken") =>
        {
            out.report(
                method_call_range(mc),
                "JWT signature validation turned off; anyone can forge tokens",
            );
        }
        _ => {}
    }
}

/// Inside an `if` on a runtime value (`if config.insecure_tls { … }`): as
/// deliberate and reviewable as passing that value.
fn behind_switch(cx: &Cx<'_, '_>) -> bool {
    cx.ancestors().any(|a| match a {
        syn::Expr::If(i) => !matches!(&*i.cond, syn::Expr::Lit(_)),
        _ => false,
    })
}

fn is_bool(expr: &syn::Expr, value: bool) -> bool {
    matches!(expr, syn::Expr::Lit(syn::ExprLit { lit: syn::Lit::Bool(b), .. }) if b.value == value)
}
