//! ## What it does
//! Flags `pub` functions and methods of a library crate whose error type says
//! nothing about what can go wrong: `Result<_, Box<dyn Error…>>`,
//! `anyhow::Result<_>`, `Result<_, anyhow::Error>`, `eyre::Result<_>`
//! (`Result<_, eyre::Report>`) and `Result<_, String>`.
//!
//! ## Why is this bad?
//! A library's public signatures are the contract its callers program against. An
//! opaque error leaves them one choice: print it. They cannot tell a missing
//! record from a refused connection without matching on message text, which
//! breaks silently the day the wording changes, and the library cannot add a case
//! without anyone noticing. An error enum (with `thiserror`, for instance) names
//! every failure, gives each one a stable identity callers and HTTP layers can map
//! to a code, and still carries the underlying cause as its source. `anyhow` and
//! `eyre` are good at the top of an application, where errors are only reported.
//!
//! Names are resolved through the file's `use` declarations and the type aliases
//! defined in the same module, so `type Result<T> = std::result::Result<T,
//! BoxError>;` is seen through, while a `Result` or `Error` imported from the
//! crate's own error module is not flagged.
//!
//! Not flagged:
//! - crates with a `src/main.rs` (or `[[bin]]` targets): an application's `pub`
//!   items are not a contract with anyone, and crates without a library target;
//! - `pub(crate)` and private functions, functions nested in other functions, and
//!   `pub` functions in a module that is not itself `pub` (an inline `mod x { .. }`,
//!   or a file declared as `mod x;` or `pub(crate) mod x;` anywhere on its way from
//!   `src/lib.rs`): the signature cannot leave the crate unless something
//!   re-exports it, and precept does not follow re-exports. When the declarations
//!   cannot be followed (`#[path]`, modules declared by macros), the file is judged
//!   by its own items;
//! - methods of trait implementations (the trait chose the signature) and request
//!   handlers (their error goes to the web framework, which turns it into a
//!   response, not to a caller);
//! - names that cannot be resolved with confidence: a bare `Result` or `String`
//!   in a module with a glob import, a `dyn Error` that is not `std::error::Error`,
//!   a type alias defined twice (under different `cfg`s) or in another file;
//! - test code, examples and build scripts.
//!
//! ## Example
//! ```rust
//! use std::error::Error;
//!
//! pub fn parse_order(raw: &str) -> Result<Order, Box<dyn Error + Send + Sync>> {
//!     let order = serde_json::from_str(raw)?;
//!     Ok(order)
//! }
//! ```
//!
//! Use instead:
//! ```rust
//! #[derive(Debug, thiserror::Error)]
//! pub enum OrderError {
//!     #[error("malformed order")]
//!     Malformed(#[from] serde_json::Error),
//! }
//!
//! pub fn parse_order(raw: &str) -> Result<Order, OrderError> {
//!     let order = serde_json::from_str(raw)?;
//!     Ok(order)
//! }
//! ```

use std::collections::HashMap;

use crate::rule::{Category, FixAvailability, Level, RuleMeta};
use crate::rules::util::node_range;
use crate::walk::{BoundaryKind, Cx, Rule, Sink};

pub struct UntypedPublicError;

pub static META: RuleMeta = RuleMeta {
    id: "untyped-public-error",
    category: Category::Maintainability,
    default_level: Level::Hint,
    standard: "Typed errors with codes across boundaries.",
    summary: "public library function with an untyped error",
    fix: FixAvailability::None,
    clippy_lints: &[],
    source: include_str!("untyped_public_error.rs"),
};

/// How deep type aliases are followed (an alias naming an alias…); also stops
/// aliases that refer to each other.
const MAX_DEPTH: usize = 8;

/// Type parameters of an alias being expanded, bound to the types written where it
/// is used (or to their defaults).
type Env = HashMap<String, syn::Type>;

impl Rule for UntypedPublicError {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check_fn(
        &self,
        cx: &Cx<'_, '_>,
        sig: &syn::Signature,
        _attrs: &[syn::Attribute],
        out: &mut Sink<'_>,
    ) {
        let facts = cx.file.crate_facts;
        if cx.skip_by_default()
            || cx.boundary() != Some(BoundaryKind::PublicApi)
            || cx.in_private_module()
            || !facts.has_lib
            || facts.has_main
        {
            return;
        }
        let syn::ReturnType::Type(_, ty) = &sig.output else {
            return;
        };
        let Some(error) = result_error(cx, ty, &Env::new(), 0) else {
            return;
        };
        out.report(
            node_range(sig),
            format!(
                "public function returns an untyped error (`{error}`); return an error type callers can match on"
            ),
        );
    }
}

/// The untyped error a result type carries, if it is one of the flagged shapes.
fn result_error(cx: &Cx<'_, '_>, ty: &syn::Type, env: &Env, depth: usize) -> Option<&'static str> {
    if depth > MAX_DEPTH {
        return None;
    }
    let path = type_path(ty)?;
    if let Some(bound) = param(path, env) {
        return result_error(cx, bound, &Env::new(), depth + 1);
    }
    let args = type_args(path, env);
    if let Some((target, inner)) = expand_alias(cx, path, &args) {
        return result_error(cx, &target, &inner, depth + 1);
    }
    let resolved = cx.resolve(path);
    if resolved.is(&["anyhow", "Result"]) {
        args.get(1).map_or(Some("anyhow::Error"), |e| {
            error_kind(cx, e, &Env::new(), depth + 1)
        })
    } else if resolved.is(&["eyre", "Result"])
        || resolved.is(&["color_eyre", "Result"])
        || resolved.is(&["color_eyre", "eyre", "Result"])
    {
        args.get(1).map_or(Some("eyre::Report"), |e| {
            error_kind(cx, e, &Env::new(), depth + 1)
        })
    } else if resolved.is(&["std", "result", "Result"])
        || resolved.is(&["core", "result", "Result"])
        || is_prelude(cx, path, "Result")
    {
        match args.as_slice() {
            [_, e] => error_kind(cx, e, &Env::new(), depth + 1),
            _ => None,
        }
    } else {
        None
    }
}

/// What an error type is called in the message, when it is untyped.
fn error_kind(cx: &Cx<'_, '_>, ty: &syn::Type, env: &Env, depth: usize) -> Option<&'static str> {
    if depth > MAX_DEPTH {
        return None;
    }
    let path = type_path(ty)?;
    if let Some(bound) = param(path, env) {
        return error_kind(cx, bound, &Env::new(), depth + 1);
    }
    let args = type_args(path, env);
    if let Some((target, inner)) = expand_alias(cx, path, &args) {
        return error_kind(cx, &target, &inner, depth + 1);
    }
    let resolved = cx.resolve(path);
    if resolved.is(&["anyhow", "Error"]) {
        return Some("anyhow::Error");
    }
    if resolved.is(&["eyre", "Report"])
        || resolved.is(&["color_eyre", "Report"])
        || resolved.is(&["color_eyre", "eyre", "Report"])
    {
        return Some("eyre::Report");
    }
    if resolved.is(&["std", "string", "String"])
        || resolved.is(&["alloc", "string", "String"])
        || is_prelude(cx, path, "String")
    {
        return Some("String");
    }
    let boxed = resolved.is(&["std", "boxed", "Box"])
        || resolved.is(&["alloc", "boxed", "Box"])
        || is_prelude(cx, path, "Box");
    if boxed {
        if let [inner] = args.as_slice() {
            if is_dyn_std_error(cx, inner) {
                return Some("Box<dyn Error>");
            }
        }
    }
    None
}

/// `dyn Error + Send + Sync + 'static` with `Error` resolving to the standard trait.
fn is_dyn_std_error(cx: &Cx<'_, '_>, ty: &syn::Type) -> bool {
    match ty {
        syn::Type::Paren(p) => is_dyn_std_error(cx, &p.elem),
        syn::Type::Group(g) => is_dyn_std_error(cx, &g.elem),
        syn::Type::TraitObject(t) => t.bounds.iter().any(|b| match b {
            syn::TypeParamBound::Trait(tb) => {
                let r = cx.resolve(&tb.path);
                r.is(&["std", "error", "Error"]) || r.is(&["core", "error", "Error"])
            }
            _ => false,
        }),
        _ => false,
    }
}

/// The path of a plain path type, looking through parentheses.
fn type_path(ty: &syn::Type) -> Option<&syn::Path> {
    match ty {
        syn::Type::Path(p) if p.qself.is_none() => Some(&p.path),
        syn::Type::Paren(p) => type_path(&p.elem),
        syn::Type::Group(g) => type_path(&g.elem),
        _ => None,
    }
}

/// The type a bare alias parameter (`T`, `E`) is bound to.
fn param<'e>(path: &syn::Path, env: &'e Env) -> Option<&'e syn::Type> {
    path.get_ident().and_then(|id| env.get(&id.to_string()))
}

/// The type arguments of the path's last segment, with alias parameters replaced
/// by what they are bound to.
fn type_args(path: &syn::Path, env: &Env) -> Vec<syn::Type> {
    let Some(last) = path.segments.last() else {
        return Vec::new();
    };
    let syn::PathArguments::AngleBracketed(list) = &last.arguments else {
        return Vec::new();
    };
    list.args
        .iter()
        .filter_map(|a| match a {
            syn::GenericArgument::Type(t) => Some(
                type_path(t)
                    .and_then(|p| param(p, env))
                    .unwrap_or(t)
                    .clone(),
            ),
            _ => None,
        })
        .collect()
}

/// A bare name that stands for the prelude's item: not imported, not an alias
/// defined in the module, and no glob import it could come from.
fn is_prelude(cx: &Cx<'_, '_>, path: &syn::Path, name: &str) -> bool {
    path.leading_colon.is_none()
        && path.segments.len() == 1
        && path.segments.first().is_some_and(|s| s.ident == name)
        && cx.is_prelude_name(name)
}

/// The target of a type alias defined in the current module, with its parameters
/// bound to `args` (or their defaults).
fn expand_alias(cx: &Cx<'_, '_>, path: &syn::Path, args: &[syn::Type]) -> Option<(syn::Type, Env)> {
    if path.leading_colon.is_some() || path.segments.len() != 1 {
        return None;
    }
    let name = path.segments.first()?.ident.to_string();
    let text = cx.type_alias(&name)?;
    let alias: syn::ItemType = syn::parse_str(text).ok()?;
    let mut env = Env::new();
    let params = alias.generics.params.iter().filter_map(|p| match p {
        syn::GenericParam::Type(t) => Some(t),
        _ => None,
    });
    for (i, p) in params.enumerate() {
        if let Some(bound) = args.get(i).or(p.default.as_ref()) {
            env.insert(p.ident.to_string(), bound.clone());
        }
    }
    Some((*alias.ty, env))
}
