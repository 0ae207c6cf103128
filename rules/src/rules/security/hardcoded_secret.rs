//! ## What it does
//! Flags credentials written into source code:
//!
//! - at `error`, string literals of a well-known credential shape, wherever they
//!   are: AWS access key ids (`AKIA…`), GitHub tokens (`ghp_…`, `github_pat_…`),
//!   Slack tokens (`xoxb-…` and friends), Stripe live keys (`sk_live_…`), PEM
//!   private-key blocks, JWTs, and connection URLs with an inline password
//!   (`postgres://user:pw@host`) for a host other than `localhost`, `127.0.0.0/8`,
//!   `[::1]`, `0.0.0.0`, `*.localhost`, `*.local` or `*.test` (credentials for a
//!   database on the developer's machine are development defaults);
//! - at `warning`, string literals assigned or passed to a name that reads as a
//!   secret: a `let`/`const`/`static` or struct field named like `password`,
//!   `secret`, `token`, `api_key`, `private_key`, `client_secret`, `access_key` or
//!   `auth`, and builder methods such as `.password("…")`, `.bearer_auth("…")` and
//!   `.basic_auth(user, Some("…"))`.
//!
//! Messages never repeat the secret: at most its first four and last two
//! characters are shown.
//!
//! ## Why is this bad?
//! A secret in the source is in every clone, fork, backup, CI log and container
//! image layer, forever: rotating it means rewriting history. It cannot differ
//! between environments, and everyone with read access to the code can use it.
//!
//! Not flagged: empty strings, literals shorter than 8 characters (for named
//! secrets), placeholders (`<token>`, `${DB_PASSWORD}`; `changeme` is still
//! flagged), environment variable names (`"DATABASE_PASSWORD"`), header names
//! (`"Authorization"`, `"X-Api-Key"`), key names (`"access_token"`), file paths and
//! URLs without a password, password hashes (`$argon2…`, `$2b$…`, `$scrypt$…`) and
//! hex digests bound to names containing `hash`, `digest` or `checksum`, and named
//! secrets in test code. Credential shapes are flagged in tests too (a real token
//! in a test is still a leaked token), except the example keys vendors publish in
//! their documentation (AWS's `AKIA…EXAMPLE`, Stripe's documentation key) and
//! obviously made-up values (`sk_live_1234567890…`, `ghp_xxxxxxxx…`), and the
//! sample values of a secret-detection table (a literal in the same tuple as a
//! regular expression, `("GitHub PAT", "ghp_[a-zA-Z0-9]{36}", Sample("ghp_…"))`).
//!
//! ## Example
//! ```rust
//! pub fn connect() -> String {
//!     let password = "hunter2hunter2";
//!     format!("user:{password}")
//! }
//! ```
//!
//! Use instead:
//! ```rust
//! pub fn connect() -> Result<String, std::env::VarError> {
//!     let password = std::env::var("DATABASE_PASSWORD")?;
//!     Ok(format!("user:{password}"))
//! }
//! ```

use std::ops::Range;

use crate::rule::{Category, FixAvailability, Level, RuleMeta};
use crate::rules::secrets::{is_secret_like_with, mask, words};
use crate::rules::util::node_range;
use crate::walk::{pat_ident, Cx, Rule, Sink};

pub struct HardcodedSecret;

pub static META: RuleMeta = RuleMeta {
    id: "hardcoded-secret",
    category: Category::Security,
    default_level: Level::Error,
    standard: "Secrets never live in code.",
    summary: "credential written into source code",
    fix: FixAvailability::None,
    clippy_lints: &[],
    source: include_str!("hardcoded_secret.rs"),
};

const ADVICE: &str = "read it from the environment or a secret store";

impl Rule for HardcodedSecret {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check_expr(&self, cx: &Cx<'_, '_>, expr: &syn::Expr, out: &mut Sink<'_>) {
        match expr {
            syn::Expr::Lit(syn::ExprLit {
                lit: syn::Lit::Str(s),
                ..
            }) => {
                if let Some(what) = credential_shape(&s.value()) {
                    if is_detector_test_vector(cx) {
                        return;
                    }
                    out.report(
                        node_range(s),
                        format!("{what} written into the source; {ADVICE}"),
                    );
                }
            }
            _ if cx.in_test() => {}
            syn::Expr::Struct(st) => {
                for field in &st.fields {
                    if let syn::Member::Named(name) = &field.member {
                        named(cx, &name.to_string(), &field.expr, out);
                    }
                }
            }
            syn::Expr::Assign(a) => {
                let Some(name) = crate::rules::util::assigned_name(a) else {
                    return;
                };
                named(cx, &name, &a.right, out);
            }
            syn::Expr::MethodCall(mc) => {
                let method = mc.method.to_string();
                if method == "basic_auth" {
                    // `.basic_auth(user, Some("pw"))`: only the password is a secret.
                    if let Some(syn::Expr::Call(some)) = mc.args.iter().nth(1) {
                        if let (syn::Expr::Path(p), Some(arg)) = (&*some.func, some.args.first()) {
                            if p.path.is_ident("Some") {
                                named(cx, "password", arg, out);
                            }
                        }
                    }
                } else if mc.args.len() == 1 && is_setter(&method) {
                    if let Some(arg) = mc.args.first() {
                        named(cx, &method, arg, out);
                    }
                }
            }
            _ => {}
        }
    }

    fn check_local(&self, cx: &Cx<'_, '_>, local: &syn::Local, out: &mut Sink<'_>) {
        if cx.in_test() {
            return;
        }
        if let (Some(name), Some(init)) = (pat_ident(&local.pat), &local.init) {
            named(cx, &name, &init.expr, out);
        }
    }

    fn check_item(&self, cx: &Cx<'_, '_>, item: &syn::Item, out: &mut Sink<'_>) {
        if cx.in_test() {
            return;
        }
        match item {
            syn::Item::Const(c) => named(cx, &c.ident.to_string(), &c.expr, out),
            syn::Item::Static(s) => named(cx, &s.ident.to_string(), &s.expr, out),
            _ => {}
        }
    }
}

/// A sample value in a secret-detection table: the literal sits (possibly inside
/// `Variant(..)` or `&[..]`) in a tuple next to a regular expression, as in
/// `("GitHub PAT", "ghp_[a-zA-Z0-9]{36}", Sample("ghp_…"))`. Scanners ship such
/// test vectors on purpose; they are not credentials for anything.
fn is_detector_test_vector(cx: &Cx<'_, '_>) -> bool {
    for ancestor in cx.ancestors().take(6) {
        match ancestor {
            syn::Expr::Tuple(t) => {
                return t
                    .elems
                    .iter()
                    .any(|e| str_lit(e).is_some_and(|l| is_regex(&l.value())));
            }
            syn::Expr::Call(_)
            | syn::Expr::Array(_)
            | syn::Expr::Reference(_)
            | syn::Expr::Paren(_)
            | syn::Expr::Group(_) => {}
            _ => return false,
        }
    }
    false
}

/// Text that reads as a regular expression: a character class with a repetition.
fn is_regex(v: &str) -> bool {
    v.contains('[') && (v.contains("]{") || v.contains("]+") || v.contains("]*"))
}

/// Shape (a): a literal bound or passed to a secret-like name.
fn named(cx: &Cx<'_, '_>, name: &str, value: &syn::Expr, out: &mut Sink<'_>) {
    if cx.skip_by_default() || !is_secret_like_with(name, &["auth"]) {
        return;
    }
    let Some(lit) = str_lit(value) else { return };
    let v = lit.value();
    if credential_shape(&v).is_some() || !looks_like_a_value(&v) {
        return;
    }
    let hashy = words(name)
        .iter()
        .any(|w| matches!(w.as_str(), "hash" | "digest" | "checksum" | "hashed"));
    if hashy && is_hash(&v) {
        return;
    }
    let range: Range<usize> = node_range(lit);
    out.report(
        range,
        format!(
            "secret `{}` written into the source as `{name}`; {ADVICE}",
            mask(&v)
        ),
    )
    .level = Level::Warning;
}

/// A method that sets a value rather than looks one up by name (`get_secret("db")`).
fn is_setter(method: &str) -> bool {
    ![
        "get", "fetch", "load", "read", "lookup", "find", "from", "with_env", "env", "var",
    ]
    .iter()
    .any(|p| {
        method
            .strip_prefix(p)
            .is_some_and(|rest| rest.is_empty() || rest.starts_with('_'))
    })
}

/// False for the things that are not secret values even under a secret name.
fn looks_like_a_value(v: &str) -> bool {
    if v.chars().count() < 8 {
        return false;
    }
    let t = v.trim();
    // Placeholders and templates.
    if (t.starts_with('<') && t.ends_with('>')) || t.contains("${") || t.contains('{') {
        return false;
    }
    // Environment variable names.
    if t.chars()
        .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_')
    {
        return false;
    }
    // Header names and key names: `Authorization`, `X-Api-Key`, `access_token`.
    if is_header_name(t) || is_key_name(t) {
        return false;
    }
    // Paths, URLs (those with a password are a credential shape) and prose.
    if t.starts_with('/')
        || t.starts_with("./")
        || t.contains("://")
        || [".pem", ".key", ".json", ".txt", ".toml", ".yaml", ".yml"]
            .iter()
            .any(|ext| t.ends_with(ext))
    {
        return false;
    }
    if t.contains(char::is_whitespace) {
        let mut parts = t.split_whitespace();
        let scheme = parts.next().unwrap_or("");
        let single = parts.next().is_some() && parts.next().is_none();
        return single && matches!(scheme, "Bearer" | "Basic" | "Token" | "bearer" | "token");
    }
    true
}

fn is_header_name(v: &str) -> bool {
    let lower = v.to_ascii_lowercase();
    if matches!(
        lower.as_str(),
        "authorization" | "proxy-authorization" | "cookie" | "set-cookie"
    ) {
        return true;
    }
    let segments: Vec<&str> = lower.split('-').collect();
    segments.len() > 1
        && segments
            .iter()
            .all(|s| !s.is_empty() && s.chars().all(|c| c.is_ascii_alphabetic()))
        && (segments[0] == "x"
            || segments.iter().any(|s| {
                matches!(
                    *s,
                    "api" | "key" | "token" | "auth" | "authorization" | "secret" | "session"
                )
            }))
}

/// An identifier that itself names a secret (`access_token`, `client.secret`,
/// `InvalidPassword`), as used for JSON keys, form fields and error codes.
fn is_key_name(v: &str) -> bool {
    v.chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-'))
        && words(v).len() > 1
        && is_secret_like_with(v, &["auth"])
}

/// Password-hash strings and hex digests.
fn is_hash(v: &str) -> bool {
    v.starts_with("$argon2")
        || v.starts_with("$2a$")
        || v.starts_with("$2b$")
        || v.starts_with("$2y$")
        || v.starts_with("$scrypt$")
        || v.starts_with("$pbkdf2")
        || (v.len() >= 32 && v.chars().all(|c| c.is_ascii_hexdigit()))
}

/// Shape (b): what kind of credential `v` contains, if any.
pub(crate) fn credential_shape(v: &str) -> Option<String> {
    if is_documentation_example(v) {
        return None;
    }
    if let Some(tok) = find_token(v, "AKIA", |c| c.is_ascii_uppercase() || c.is_ascii_digit()) {
        if tok.len() == 20 {
            return Some(format!("AWS access key id `{}`", mask(tok)));
        }
    }
    if let Some(tok) = find_token(v, "ghp_", |c| c.is_ascii_alphanumeric()) {
        if tok.len() >= 40 {
            return Some(format!("GitHub token `{}`", mask(tok)));
        }
    }
    if let Some(tok) = find_token(v, "github_pat_", |c| c.is_ascii_alphanumeric() || c == '_') {
        if tok.len() >= 40 {
            return Some(format!("GitHub token `{}`", mask(tok)));
        }
    }
    for prefix in ["xoxa-", "xoxb-", "xoxp-", "xoxr-", "xoxs-"] {
        if let Some(tok) = find_token(v, prefix, |c| c.is_ascii_alphanumeric() || c == '-') {
            if tok.len() >= 20 {
                return Some(format!("Slack token `{}`", mask(tok)));
            }
        }
    }
    if let Some(tok) = find_token(v, "sk_live_", |c| c.is_ascii_alphanumeric()) {
        if tok.len() >= 24 {
            return Some(format!("Stripe live key `{}`", mask(tok)));
        }
    }
    if let Some(start) = v.find("-----BEGIN ") {
        let rest = &v[start..];
        if let Some(end) = rest.find("PRIVATE KEY-----") {
            let body = &rest[end + "PRIVATE KEY-----".len()..];
            let key_chars = body
                .chars()
                .take_while(|c| *c != '-')
                .filter(|c| c.is_ascii_alphanumeric() || *c == '+' || *c == '/')
                .count();
            if key_chars >= 40 {
                return Some("PEM private key".to_owned());
            }
        }
    }
    if is_jwt(v) {
        return Some("JSON Web Token".to_owned());
    }
    if let Some(scheme) = url_with_password(v) {
        return Some(format!("`{scheme}://` URL with an inline password"));
    }
    None
}

/// Keys published in vendor documentation as examples (AWS's `…EXAMPLE` key ids,
/// Stripe's documentation key): public, so not a leak.
fn is_documentation_example(v: &str) -> bool {
    v.contains("EXAMPLE") || v.contains("4eC39HqLyjWDarjtT1zdp7dc") || looks_fake(v)
}

/// Made-up values in tests and docs: keyboard runs and filler (`sk_live_1234567890…`,
/// `ghp_xxxxxxxx…`).
fn looks_fake(v: &str) -> bool {
    let lower = v.to_ascii_lowercase();
    [
        "1234567890",
        "abcdefghij",
        "xxxxxxxx",
        "0000000000",
        "aaaaaaaaaa",
    ]
    .iter()
    .any(|run| lower.contains(run))
}

/// The token starting with `prefix` (at a word boundary) and continuing with `body`
/// characters.
fn find_token<'v>(v: &'v str, prefix: &str, body: impl Fn(char) -> bool) -> Option<&'v str> {
    let mut from = 0;
    while let Some(i) = v[from..].find(prefix) {
        let start = from + i;
        let boundary = v[..start]
            .chars()
            .next_back()
            .is_none_or(|c| !c.is_ascii_alphanumeric());
        let len = v[start + prefix.len()..]
            .chars()
            .take_while(|&c| body(c))
            .map(char::len_utf8)
            .sum::<usize>();
        let end = start + prefix.len() + len;
        if boundary {
            return Some(&v[start..end]);
        }
        from = start + prefix.len();
    }
    None
}

fn is_jwt(v: &str) -> bool {
    let Some(tok) = find_token(v, "eyJ", |c| {
        c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.')
    }) else {
        return false;
    };
    let parts: Vec<&str> = tok.split('.').collect();
    parts.len() == 3 && parts[1].starts_with("eyJ") && parts.iter().all(|p| p.len() >= 10)
}

/// Development hosts: credentials for a database on the developer's machine or a
/// test container are defaults, not secrets.
fn is_local_host(host_port: &str) -> bool {
    let host = if host_port.starts_with('[') {
        host_port.split(']').next().map(|h| format!("{h}]"))
    } else {
        host_port.split(':').next().map(str::to_owned)
    }
    .unwrap_or_default()
    .to_ascii_lowercase();
    crate::rules::util::is_dev_host(&host)
}

/// `scheme://user:password@host` with a real password: the scheme.
fn url_with_password(v: &str) -> Option<&str> {
    let (scheme, rest) = v.split_once("://")?;
    if scheme.is_empty()
        || !scheme
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'))
    {
        return None;
    }
    let authority = rest.split(['/', '?', '#']).next()?;
    let (userinfo, host_port) = authority.rsplit_once('@')?;
    if is_local_host(host_port) {
        return None;
    }
    let (_user, password) = userinfo.split_once(':')?;
    let placeholder = password.is_empty()
        || password.starts_with('$')
        || password.starts_with('<')
        || password.contains('{')
        || password.chars().all(|c| c == '*' || c == 'x' || c == 'X');
    if placeholder {
        return None;
    }
    Some(scheme)
}

/// The string literal an expression is, through the conversions this rule accepts.
fn str_lit(expr: &syn::Expr) -> Option<&syn::LitStr> {
    crate::rules::util::str_literal(
        expr,
        &["to_string", "to_owned", "into"],
        Some(&["String", "SecretString"]),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shapes() {
        // Built at run time so that precept's own source holds no credential shape.
        let aws = ["AKIA", "ZQ7W4TLB2MNX5RKD"].concat();
        let url = ["postgres://app:", "s3cr3t@db/app"].concat();
        assert!(credential_shape(&aws).is_some());
        assert!(credential_shape("AKIAIOSFODNN7EXAMPLE").is_none());
        assert!(credential_shape(&url).is_some());
        assert!(credential_shape("postgres://app:${PW}@db/app").is_none());
        assert!(credential_shape("postgres://db/app").is_none());
        assert!(credential_shape("ghp_").is_none());
        let fake = ["sk_live_", "1234567890abcdefghijklmnop"].concat();
        assert!(credential_shape(&fake).is_none());
    }
}
