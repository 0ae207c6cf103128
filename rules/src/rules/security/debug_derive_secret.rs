//! ## What it does
//! Flags `#[derive(Debug)]` on a struct with a secret-like field (`password`,
//! `token`, `api_key`, `client_secret`, …) whose type is `String`, `&str` or
//! `Vec<u8>`.
//!
//! ## Why is this bad?
//! A derived `Debug` prints every field. The struct ends up in a `{:?}`, a
//! `tracing` field, an error message or a panic, and the secret lands in the logs.
//! `secrecy::SecretString` (or a hand-written `Debug` that prints `"***"`) keeps
//! the value out of them while the rest of the struct stays debuggable.
//!
//! Not flagged: fields already wrapped in a secret type, names that describe a
//! secret rather than hold it (`token_count`, `password_len`, `token_id`,
//! `token_ttl`, `token_expires_at`), and test code.
//!
//! ## Example
//! ```rust
//! #[derive(Debug)]
//! pub struct DbConfig {
//!     pub user: String,
//!     pub password: String,
//! }
//! ```
//!
//! Use instead:
//! ```rust
//! #[derive(Debug)]
//! pub struct DbConfig {
//!     pub user: String,
//!     pub password: secrecy::SecretString,
//! }
//! ```

use crate::rule::{Category, FixAvailability, Level, RuleMeta};
use crate::rules::secrets::is_secret_like_name;
use crate::rules::util::node_range;
use crate::walk::{Cx, Rule, Sink};

pub struct DebugDeriveSecret;

pub static META: RuleMeta = RuleMeta {
    id: "debug-derive-secret",
    category: Category::Security,
    default_level: Level::Warning,
    standard: "Secrets are never logged.",
    summary: "`#[derive(Debug)]` on a struct holding a plain-text secret",
    fix: FixAvailability::None,
    clippy_lints: &[],
    source: include_str!("debug_derive_secret.rs"),
};

impl Rule for DebugDeriveSecret {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check_item(&self, cx: &Cx<'_, '_>, item: &syn::Item, out: &mut Sink<'_>) {
        if cx.skip_by_default() {
            return;
        }
        let syn::Item::Struct(s) = item else { return };
        let Some(attr) = s.attrs.iter().find(|a| derives_debug(a)) else {
            return;
        };
        if cx.in_test() || s.attrs.iter().any(crate::walk::is_test_attr) {
            return;
        }
        let syn::Fields::Named(fields) = &s.fields else {
            return;
        };
        let secret: Vec<String> = fields
            .named
            .iter()
            .filter(|f| plain_text(&f.ty))
            .filter_map(|f| f.ident.as_ref().map(ToString::to_string))
            .filter(|n| is_secret_like_name(n))
            .collect();
        let Some(first) = secret.first() else { return };
        let which = if secret.len() == 1 {
            format!("field `{first}`")
        } else {
            format!(
                "fields {}",
                secret
                    .iter()
                    .map(|n| format!("`{n}`"))
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        };
        out.report(
            node_range(attr),
            format!(
                "derived `Debug` prints secret {which} of `{}`; use `secrecy::SecretString` or write `Debug` by hand",
                s.ident
            ),
        );
    }
}

/// `#[derive(.., Debug, ..)]` (also `std::fmt::Debug`).
fn derives_debug(attr: &syn::Attribute) -> bool {
    if !attr.path().is_ident("derive") {
        return false;
    }
    let syn::Meta::List(list) = &attr.meta else {
        return false;
    };
    let tokens: Vec<proc_macro2::TokenTree> = list.tokens.clone().into_iter().collect();
    tokens.iter().enumerate().any(|(i, t)| {
        matches!(t, proc_macro2::TokenTree::Ident(id) if id == "Debug")
            && !matches!(tokens.get(i + 1), Some(proc_macro2::TokenTree::Punct(p)) if p.as_char() == ':')
    })
}

/// `String`, `&str` or `Vec<u8>`.
fn plain_text(ty: &syn::Type) -> bool {
    match ty {
        syn::Type::Reference(r) => {
            matches!(&*r.elem, syn::Type::Path(p) if p.qself.is_none() && p.path.is_ident("str"))
        }
        syn::Type::Path(p) if p.qself.is_none() => {
            let Some(last) = p.path.segments.last() else {
                return false;
            };
            if last.ident == "String" {
                return matches!(last.arguments, syn::PathArguments::None);
            }
            if last.ident == "Vec" {
                if let syn::PathArguments::AngleBracketed(args) = &last.arguments {
                    return matches!(
                        args.args.first(),
                        Some(syn::GenericArgument::Type(syn::Type::Path(t))) if t.path.is_ident("u8")
                    ) && args.args.len() == 1;
                }
            }
            false
        }
        syn::Type::Group(g) => plain_text(&g.elem),
        syn::Type::Paren(p) => plain_text(&p.elem),
        _ => false,
    }
}
