//! ## What it does
//! Flags connection strings written into the code: string literals that start with
//! `postgres://`, `postgresql://`, `mysql://`, `redis://`, `rediss://`, `amqp://`,
//! `mongodb://`, `mongodb+srv://` or `nats://` and name a host.
//!
//! Hosts on the developer's machine are flagged too: `"postgres://localhost/app"`
//! in a constant is exactly the value that has to change before the code can run
//! anywhere else.
//!
//! Not flagged:
//!
//! - the fallback of a value that is read from somewhere else first:
//!   `env::var("DATABASE_URL").unwrap_or("…".into())`,
//!   `.unwrap_or_else(|_| String::from("…"))`, `option_env!("X").unwrap_or("…")`,
//!   the `Err(_)`/`None` arm of a `match` and the `else` of an `if let Ok(..)`/
//!   `if let Some(..)`, and builder defaults such as clap's
//!   `.default_value("…")`;
//! - values that say they are defaults: bound to a name with the word `default` or
//!   `fallback` in it (`const DEFAULT_DATABASE_URL`), or returned from a function
//!   named that way (`impl Default`, serde's `default = "default_url"` functions);
//! - attributes (clap's `#[arg(default_value = "…", env = "…")]`) and doc comments;
//! - templates and placeholders (`"redis://{host}:{port}"`, `"amqp://${MQ_HOST}"`,
//!   `"postgres://<host>/<db>"`), redacted URLs (`"postgres://app:****@db/app"`)
//!   and bare schemes (`url.starts_with("redis://")`);
//! - strings compared against or searched for (`==`, `starts_with`, `contains`);
//! - bind addresses (`0.0.0.0`, `[::]`): something listens there, nothing connects;
//! - URLs with an inline password for a non-local host: `hardcoded-secret` reports
//!   those;
//! - test code, examples and build scripts.
//!
//! ## Why is this bad?
//! Where the database, cache or broker lives is a property of the deployment, not
//! of the code. A connection string in the source makes every environment (a
//! colleague's laptop, CI, staging, production) run the same address, or forces a
//! rebuild to change it, and it tends to travel with a user name and database name
//! that should not be public either. Read it from the environment or a
//! configuration file, and keep a development default only as an explicit
//! fallback.
//!
//! ## Example
//! ```rust
//! pub const DATABASE_URL: &str = "postgres://app@db.acme.internal:5432/orders";
//! ```
//!
//! Use instead:
//! ```rust
//! pub fn database_url() -> String {
//!     std::env::var("DATABASE_URL")
//!         .unwrap_or_else(|_| "postgres://app@localhost:5432/orders".to_owned())
//! }
//! ```

use crate::rule::{Category, FixAvailability, Level, RuleMeta};
use crate::rules::secrets::words;
use crate::rules::security::hardcoded_secret;
use crate::rules::util::node_range;
use crate::walk::{Cx, Rule, Sink};

pub struct HardcodedConfig;

pub static META: RuleMeta = RuleMeta {
    id: "hardcoded-config",
    category: Category::Maintainability,
    default_level: Level::Hint,
    standard: "Configuration comes from the environment, not from code.",
    summary: "connection string written into the code",
    fix: FixAvailability::None,
    clippy_lints: &[],
    source: include_str!("hardcoded_config.rs"),
};

/// Schemes of databases, caches and message brokers, longest first where one is a
/// prefix of another.
const SCHEMES: &[&str] = &[
    "postgresql",
    "postgres",
    "mysql",
    "rediss",
    "redis",
    "amqp",
    "mongodb+srv",
    "mongodb",
    "nats",
];

impl Rule for HardcodedConfig {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check_expr(&self, cx: &Cx<'_, '_>, expr: &syn::Expr, out: &mut Sink<'_>) {
        let syn::Expr::Lit(syn::ExprLit {
            lit: syn::Lit::Str(lit),
            ..
        }) = expr
        else {
            return;
        };
        if cx.skip_by_default() {
            return;
        }
        let range = node_range(lit);
        let value = lit.value();
        let Some(scheme) = connection_scheme(&value) else {
            return;
        };
        // A URL with a password is a credential: exactly one of the two rules speaks.
        if hardcoded_secret::credential_shape(&value).is_some() {
            return;
        }
        if is_configurable(cx, expr) {
            return;
        }
        out.report(
            range,
            format!("`{scheme}://` connection string written into the code; read it from the environment or a configuration file"),
        );
    }
}

/// The scheme of a connection string that names a concrete host to connect to.
fn connection_scheme(value: &str) -> Option<&'static str> {
    let (scheme, rest) = value.split_once("://")?;
    let scheme = SCHEMES
        .iter()
        .copied()
        .find(|s| s.eq_ignore_ascii_case(scheme))?;
    // Templates and placeholders are filled in from somewhere else.
    if value.contains(['{', '}', '<', '>', '$']) {
        return None;
    }
    let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
    let (userinfo, hosts) = authority.rsplit_once('@').unwrap_or(("", authority));
    // `user:****@host` is how a URL looks once redacted for display.
    if userinfo
        .split_once(':')
        .is_some_and(|(_, pw)| !pw.is_empty() && pw.chars().all(|c| c == '*'))
    {
        return None;
    }
    // `mongodb://a:27017,b:27017`: any host will do, they are all written in.
    let host = hosts.split(',').next().unwrap_or("");
    let host = if let Some(v6) = host.strip_prefix('[') {
        v6.split(']').next().unwrap_or("")
    } else {
        host.split(':').next().unwrap_or("")
    };
    // Bind addresses: something listens there, nothing connects to them.
    if host.is_empty() || host == "0.0.0.0" || host == "::" {
        return None;
    }
    Some(scheme)
}

/// The literal is a default for a value that comes from elsewhere, or is not used
/// as an address at all.
fn is_configurable(cx: &Cx<'_, '_>, lit: &syn::Expr) -> bool {
    if cx
        .enclosing_fn()
        .is_some_and(|sig| names_a_default(&sig.ident.to_string()))
    {
        return true;
    }
    // Climb through conversions (`.to_string()`, `String::from(..)`, `Some(..)`,
    // closures and blocks that just return the value) to where the value is used.
    let mut cur = lit;
    for parent in cx.ancestors() {
        let passes_through = match parent {
            syn::Expr::Reference(_)
            | syn::Expr::Paren(_)
            | syn::Expr::Group(_)
            | syn::Expr::Try(_)
            | syn::Expr::Await(_) => true,
            syn::Expr::MethodCall(mc) if std::ptr::eq(&*mc.receiver, cur) => {
                let method = mc.method.to_string();
                if is_inspection(&method) {
                    return true;
                }
                is_conversion(&method)
            }
            syn::Expr::MethodCall(mc) => {
                let method = mc.method.to_string();
                return is_fallback(&method) || is_inspection(&method);
            }
            syn::Expr::Call(call) => call.args.len() == 1 && is_wrapper(&call.func),
            syn::Expr::Closure(c) => std::ptr::eq(&*c.body, cur),
            syn::Expr::Block(b) => matches!(
                b.block.stmts.last(),
                Some(syn::Stmt::Expr(e, None)) if std::ptr::eq(e, cur)
            ),
            syn::Expr::Binary(b) => {
                return matches!(b.op, syn::BinOp::Eq(_) | syn::BinOp::Ne(_));
            }
            syn::Expr::Match(m) => return is_failure_arm(m, cur),
            syn::Expr::If(i) => return is_else_of_if_let(i, cur),
            _ => false,
        };
        if !passes_through {
            return false;
        }
        cur = parent;
    }
    // The value is the whole initialiser of a binding: is it named as a default?
    let start = node_range(cur).start;
    let before = cx.text().get(..start).unwrap_or("");
    bound_name(before).is_some_and(names_a_default)
}

fn names_a_default(name: &str) -> bool {
    words(name)
        .iter()
        .any(|w| w == "default" || w == "fallback")
}

/// Methods that turn a value into another form of the same value.
fn is_conversion(method: &str) -> bool {
    matches!(
        method,
        "to_string"
            | "to_owned"
            | "into"
            | "try_into"
            | "parse"
            | "unwrap"
            | "expect"
            | "as_str"
            | "clone"
    )
}

/// Methods whose argument is used when the receiver has no value of its own.
fn is_fallback(method: &str) -> bool {
    matches!(
        method,
        "unwrap_or" | "unwrap_or_else" | "or" | "or_else" | "map_or" | "map_or_else"
    ) || method.starts_with("default")
        || method.starts_with("set_default")
        || method.starts_with("with_default")
        || method.starts_with("get_or_insert")
}

/// Methods that look at a string rather than use it as an address.
fn is_inspection(method: &str) -> bool {
    matches!(
        method,
        "starts_with"
            | "ends_with"
            | "strip_prefix"
            | "strip_suffix"
            | "contains"
            | "find"
            | "rfind"
            | "matches"
            | "replace"
            | "replacen"
            | "split"
            | "split_once"
            | "trim_start_matches"
            | "trim_end_matches"
            | "eq"
            | "ne"
            | "eq_ignore_ascii_case"
    )
}

/// Constructors that wrap a value without deciding anything: `String::from(..)`,
/// `Some(..)`, `Url::parse(..)`, `Cow::Borrowed(..)`.
fn is_wrapper(func: &syn::Expr) -> bool {
    let syn::Expr::Path(p) = func else {
        return false;
    };
    p.path.segments.last().is_some_and(|s| {
        matches!(
            s.ident.to_string().as_str(),
            "from" | "parse" | "from_str" | "Some" | "Ok" | "Borrowed" | "Owned"
        )
    })
}

/// `match env::var("X") { Ok(v) => v, Err(_) => "…" }`: the failure arm.
fn is_failure_arm(m: &syn::ExprMatch, value: &syn::Expr) -> bool {
    let Some(arm) = m.arms.iter().find(|a| std::ptr::eq(&*a.body, value)) else {
        return false;
    };
    let success_arm = m
        .arms
        .iter()
        .any(|a| pattern_name(&a.pat).is_some_and(|n| n == "Ok" || n == "Some"));
    match &arm.pat {
        syn::Pat::Wild(_) => success_arm,
        pat => pattern_name(pat).is_some_and(|n| n == "Err" || n == "None"),
    }
}

/// `if let Ok(v) = env::var("X") { v } else { "…" }`: the `else`.
fn is_else_of_if_let(i: &syn::ExprIf, value: &syn::Expr) -> bool {
    let Some((_, else_branch)) = &i.else_branch else {
        return false;
    };
    let syn::Expr::Let(l) = &*i.cond else {
        return false;
    };
    std::ptr::eq(&**else_branch, value)
        && pattern_name(&l.pat).is_some_and(|n| n == "Ok" || n == "Some")
}

/// The variant a pattern matches: `Ok` in `Ok(v)`, `None` in `None`.
fn pattern_name(pat: &syn::Pat) -> Option<String> {
    let path = match pat {
        syn::Pat::TupleStruct(t) => &t.path,
        syn::Pat::Path(p) => &p.path,
        syn::Pat::Ident(i) => return Some(i.ident.to_string()),
        _ => return None,
    };
    path.segments.last().map(|s| s.ident.to_string())
}

/// The name a value is bound to when the text before it ends with `name =` or
/// `name: Type =` (`let`, `const`, `static`, an assignment).
fn bound_name(before: &str) -> Option<&str> {
    let before = before.trim_end().strip_suffix('=')?;
    if before.ends_with(['=', '!', '<', '>', '+', '-', '*', '/', '%', '^', '&', '|']) {
        return None;
    }
    let head = before.rsplit([';', '{', '}', '\n']).next()?;
    let head = head.split(':').next()?.trim_end();
    let name = head
        .rsplit(|c: char| !(c.is_alphanumeric() || c == '_'))
        .next()?;
    (!name.is_empty()).then_some(name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schemes() {
        assert_eq!(connection_scheme("postgres://db/app"), Some("postgres"));
        assert_eq!(
            connection_scheme("mongodb+srv://cluster0.x.net"),
            Some("mongodb+srv")
        );
        assert_eq!(connection_scheme("REDIS://cache:6379"), Some("redis"));
        assert_eq!(connection_scheme("redis://"), None);
        assert_eq!(connection_scheme("redis://{host}:6379"), None);
        assert_eq!(connection_scheme("nats://0.0.0.0:4222"), None);
        assert_eq!(connection_scheme("https://db/app"), None);
        assert_eq!(connection_scheme("postgres://app:****@db/app"), None);
        assert_eq!(connection_scheme("postgres://app@db/app"), Some("postgres"));
    }

    #[test]
    fn bound_names() {
        assert_eq!(
            bound_name("pub const DEFAULT_DB_URL: &str = "),
            Some("DEFAULT_DB_URL")
        );
        assert_eq!(bound_name("fn f() {\n    let mut url = "), Some("url"));
        assert_eq!(bound_name("self.fallback_url ="), Some("fallback_url"));
        assert_eq!(bound_name("if a == "), None);
        assert_eq!(bound_name("f("), None);
    }
}
