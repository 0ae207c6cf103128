//! ## What it does
//! Flags `.map_err(..)` calls whose closure ignores the error it is given: `|_| …`,
//! or `|e| …` / `|_e| …` with a body that never mentions the argument.
//!
//! ## Why is this bad?
//! The error that came in says what actually went wrong: the connection was
//! refused, the row was missing, the file was not readable. A closure that throws
//! it away and builds a fresh error keeps only the author's guess. When it fails in
//! production, the log shows "not found" or "internal error" and nothing else, and
//! nobody can tell a missing row from a database outage.
//!
//! This holds in request handlers too. `.map_err(|_| StatusCode::NOT_FOUND)` does
//! keep internal details away from the client, which is right, but it also keeps
//! them away from whoever operates the service, and it turns every failure of the
//! call into the same answer. Hide the details in the response, not everywhere:
//! log the error where you map it, or keep it inside a typed error (as a field or
//! `#[source]`) and let one central place log it and choose the response.
//!
//! Not flagged, because nothing useful is lost:
//! - closures that map to `()`: the author chose an error that carries nothing,
//!   just as `.ok()` does when it turns a `Result` into an `Option`;
//! - closures that map to `fmt::Error`: `Display` and `Debug` implementations must
//!   return it, and it has no room for a cause;
//! - errors that only say "it failed" or hand the input back, where the input
//!   itself is the cause and the new error can name it. The receiver (looking
//!   through `.map(..)` in between) is:
//!   - a parse or conversion: `.parse()`, `.try_into()`, `.to_str()`, and
//!     `T::parse(..)`, `T::from_str(..)`, `T::parse_str(..)`,
//!     `T::from_str_radix(..)`, `T::try_from(..)`, `T::from_utf8(..)` on a type;
//!   - a channel operation: `.send(x)`, `.try_send(x)`, `.recv()`, `.try_recv()`,
//!     or awaiting a receiver named `*rx` or `*receiver`;
//!   - a lock: `.lock()`, `.read()`, `.write()` and their `try_` forms (the error
//!     only reports poisoning);
//!   - a timeout (`timeout(..)`, `.timeout(..)`), a semaphore permit
//!     (`acquire*`), `OnceCell::set(x)`, `.downcast()`, `T::try_unwrap(..)`;
//!   - `std::env::var(..)`: the variable is missing or not Unicode;
//!   - a URL setter (`.set_scheme(..)`, `.set_host(..)`, …), whose error is `()`;
//!     `.strip_prefix(..)`, whose error says only that the prefix was not there;
//!     an AEAD `.encrypt(nonce, data)` or `.decrypt(nonce, data)`, whose error
//!     is opaque on purpose.
//!
//!   Some of these names are shared with calls whose errors do carry a cause (a
//!   pool's `acquire()`, a sink's `send(x)`); without types they cannot be told
//!   apart, so they stay silent;
//! - closures that take their argument apart with a pattern, and bodies that
//!   mention the argument anywhere (inside any macro, or captured by a format
//!   string as `{e}`);
//! - a named argument when the body calls a macro other than the formatting,
//!   printing, logging and `anyhow!`/`eyre!` ones: its expansion cannot be seen
//!   and may use the argument;
//! - functions passed by name (`.map_err(Error::Io)`): they receive the error;
//! - test code, examples and build scripts.
//!
//! ## Example
//! ```rust
//! pub async fn load(pool: &sqlx::PgPool, id: i64) -> Result<User, StatusCode> {
//!     fetch_user(pool, id).await.map_err(|_| StatusCode::NOT_FOUND)
//! }
//! ```
//!
//! Use instead:
//! ```rust
//! pub async fn load(pool: &sqlx::PgPool, id: i64) -> Result<User, StatusCode> {
//!     fetch_user(pool, id).await.map_err(|e| {
//!         tracing::error!(error = %e, user = id, "loading the user failed");
//!         StatusCode::INTERNAL_SERVER_ERROR
//!     })
//! }
//! ```

use proc_macro2::{TokenStream, TokenTree};
use quote::ToTokens;

use crate::rule::{Category, FixAvailability, Level, RuleMeta};
use crate::rules::util::method_call_range;
use crate::walk::{Cx, Rule, Sink};

pub struct ErrorSourceDiscarded;

pub static META: RuleMeta = RuleMeta {
    id: "error-source-discarded",
    category: Category::Correctness,
    default_level: Level::Hint,
    standard: "Errors stay actionable.",
    summary: "`map_err` closure that drops the original error",
    fix: FixAvailability::None,
    clippy_lints: &[],
    source: include_str!("error_source_discarded.rs"),
};

impl Rule for ErrorSourceDiscarded {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check_expr(&self, cx: &Cx<'_, '_>, expr: &syn::Expr, out: &mut Sink<'_>) {
        if cx.skip_by_default() {
            return;
        }
        let syn::Expr::MethodCall(call) = expr else {
            return;
        };
        if call.method != "map_err" || call.args.len() != 1 {
            return;
        }
        let Some(syn::Expr::Closure(closure)) = call.args.first() else {
            return;
        };
        let [param] = closure.inputs.iter().collect::<Vec<_>>()[..] else {
            return;
        };
        if !ignores_param(param, &closure.body)
            || is_unit(&closure.body)
            || is_fmt_error(cx, &closure.body)
            || cause_free(cx, &call.receiver)
        {
            return;
        }
        out.report(
            method_call_range(call),
            "`map_err` drops the original error, so its cause is lost; keep it as the new error's source or log it",
        );
    }
}

/// The closure parameter is `_`, or a name the body never mentions (`_e` included:
/// the underscore says it is meant to be unused, but the body decides).
fn ignores_param(param: &syn::Pat, body: &syn::Expr) -> bool {
    match param {
        syn::Pat::Wild(_) => true,
        syn::Pat::Type(t) => ignores_param(&t.pat, body),
        syn::Pat::Ident(p) if p.subpat.is_none() => {
            let tokens = body.to_token_stream();
            !mentions(tokens.clone(), &p.ident.to_string()) && !has_opaque_macro(tokens)
        }
        _ => false,
    }
}

/// Whether `name` occurs in the tokens, macro arguments included, or is captured by
/// a format string (`"{name}"`, `"{name:?}"`).
fn mentions(tokens: TokenStream, name: &str) -> bool {
    tokens.into_iter().any(|tt| match tt {
        TokenTree::Ident(i) => i == name,
        TokenTree::Group(g) => mentions(g.stream(), name),
        TokenTree::Literal(l) => {
            let text = l.to_string();
            let open = format!("{{{name}");
            text.match_indices(&open)
                .any(|(at, _)| matches!(text.as_bytes().get(at + open.len()), Some(b'}' | b':')))
        }
        TokenTree::Punct(_) => false,
    })
}

/// A macro whose expansion may refer to the closure's argument without naming it
/// in its input: anything but the standard, logging and error-building macros,
/// whose arguments are all there is to see.
fn has_opaque_macro(tokens: TokenStream) -> bool {
    let tokens: Vec<TokenTree> = tokens.into_iter().collect();
    tokens.iter().enumerate().any(|(i, tt)| match tt {
        TokenTree::Ident(name) => {
            matches!(tokens.get(i + 1), Some(TokenTree::Punct(p)) if p.as_char() == '!')
                && matches!(tokens.get(i + 2), Some(TokenTree::Group(_)))
                && !is_transparent_macro(&name.to_string())
        }
        TokenTree::Group(g) => has_opaque_macro(g.stream()),
        _ => false,
    })
}

/// Macros whose arguments are ordinary expressions: the walker's list of parsed
/// macros, plus the error constructors of anyhow and eyre and `stringify!`.
fn is_transparent_macro(name: &str) -> bool {
    crate::walk::macro_args_kind(name).is_some()
        || matches!(name, "stringify" | "anyhow" | "eyre" | "format_err")
}

/// `()`, `{}` or `{ () }`: the new error carries nothing by design.
fn is_unit(body: &syn::Expr) -> bool {
    match body {
        syn::Expr::Tuple(t) => t.elems.is_empty(),
        syn::Expr::Paren(p) => is_unit(&p.expr),
        syn::Expr::Block(b) => match b.block.stmts.as_slice() {
            [] => true,
            [syn::Stmt::Expr(e, None)] => is_unit(e),
            _ => false,
        },
        _ => false,
    }
}

/// `fmt::Error`: formatting code (`Display::fmt`, `fmt::Result` helpers) must return
/// this unit struct, which has no room for a cause.
fn is_fmt_error(cx: &Cx<'_, '_>, body: &syn::Expr) -> bool {
    match body {
        syn::Expr::Path(p) if p.qself.is_none() => {
            let r = cx.resolve(&p.path);
            let written: Vec<String> = p
                .path
                .segments
                .iter()
                .map(|s| s.ident.to_string())
                .collect();
            r.is(&["std", "fmt", "Error"])
                || r.is(&["core", "fmt", "Error"])
                || written.ends_with(&["fmt".to_owned(), "Error".to_owned()])
        }
        syn::Expr::Paren(p) => is_fmt_error(cx, &p.expr),
        syn::Expr::Block(b) => match b.block.stmts.as_slice() {
            [syn::Stmt::Expr(e, None)] => is_fmt_error(cx, e),
            _ => false,
        },
        _ => false,
    }
}

/// Calls whose error says no more than "it failed", or hands back the value that
/// was passed in.
fn cause_free(cx: &Cx<'_, '_>, receiver: &syn::Expr) -> bool {
    match receiver {
        syn::Expr::Paren(p) => cause_free(cx, &p.expr),
        syn::Expr::Group(g) => cause_free(cx, &g.expr),
        syn::Expr::Await(a) => match &*a.base {
            // A oneshot receiver: the only error is that the sender went away.
            syn::Expr::Path(_) | syn::Expr::Field(_) => {
                last_name(&a.base).is_some_and(|n| n.ends_with("rx") || n.ends_with("receiver"))
            }
            other => cause_free(cx, other),
        },
        // `.map(..)` and `.inspect(..)` pass the error through unchanged.
        syn::Expr::MethodCall(m) if m.method == "map" || m.method == "inspect" => {
            cause_free(cx, &m.receiver)
        }
        syn::Expr::MethodCall(m) => cause_free_method(&m.method.to_string(), m.args.len()),
        syn::Expr::Call(c) => {
            let syn::Expr::Path(p) = &*c.func else {
                return false;
            };
            // A missing or non-Unicode variable: the new error names the variable.
            let resolved = cx.resolve(&p.path);
            if resolved.is(&["std", "env", "var"]) {
                return true;
            }
            let segments: Vec<String> = p
                .path
                .segments
                .iter()
                .map(|s| s.ident.to_string())
                .collect();
            match segments.as_slice() {
                [.., last] if last == "timeout" => true,
                [.., ty, last] => {
                    is_type_name(ty)
                        && matches!(
                            last.as_str(),
                            "from_str"
                                | "parse"
                                | "parse_str"
                                | "from_str_radix"
                                | "try_from"
                                | "from_utf8"
                                | "try_unwrap"
                        )
                }
                _ => false,
            }
        }
        _ => false,
    }
}

fn cause_free_method(name: &str, args: usize) -> bool {
    match args {
        0 => matches!(
            name,
            "parse"
                | "try_into"
                | "to_str"
                | "recv"
                | "try_recv"
                | "recv_async"
                | "lock"
                | "read"
                | "write"
                | "try_lock"
                | "try_read"
                | "try_write"
                | "downcast"
                | "acquire"
                | "acquire_owned"
                | "try_acquire"
                | "try_acquire_owned"
        ),
        1 => matches!(
            name,
            // `url::Url`'s setters fail with `()`; `Path::strip_prefix`'s error
            // carries nothing; AEAD ciphers fail with an opaque error on purpose.
            "set_scheme"
                | "set_host"
                | "set_port"
                | "set_username"
                | "set_password"
                | "strip_prefix"
                | "strip_suffix"
                | "send"
                | "try_send"
                | "blocking_send"
                | "send_async"
                | "recv_timeout"
                | "set"
                | "timeout"
                | "acquire_many"
                | "acquire_many_owned"
                | "try_acquire_many"
                | "try_acquire_many_owned"
        ),
        2 => matches!(
            name,
            "encrypt" | "decrypt" | "encrypt_in_place" | "decrypt_in_place"
        ),
        _ => false,
    }
}

/// The last identifier of a path or field expression (`rx`, `self.reply_rx`).
fn last_name(expr: &syn::Expr) -> Option<String> {
    match expr {
        syn::Expr::Path(p) => p.path.segments.last().map(|s| s.ident.to_string()),
        syn::Expr::Field(f) => match &f.member {
            syn::Member::Named(n) => Some(n.to_string()),
            syn::Member::Unnamed(_) => None,
        },
        _ => None,
    }
}

/// A type in a path (`Uuid`, `u32`, `str`) rather than a module (`serde_json`).
fn is_type_name(name: &str) -> bool {
    name.starts_with(|c: char| c.is_ascii_uppercase())
        || matches!(
            name,
            "u8" | "u16"
                | "u32"
                | "u64"
                | "u128"
                | "usize"
                | "i8"
                | "i16"
                | "i32"
                | "i64"
                | "i128"
                | "isize"
                | "f32"
                | "f64"
                | "bool"
                | "char"
                | "str"
        )
}
