//! Small syntax helpers shared by rules: ranges as RULES.md defines them, and
//! common shape tests.

use std::ops::Range;

use syn::spanned::Spanned;

/// A method call's range: the method name through the closing parenthesis.
pub fn method_call_range(call: &syn::ExprMethodCall) -> Range<usize> {
    call.method.span().byte_range().start..call.paren_token.span.close().byte_range().end
}

/// A function call's range: the path through the closing parenthesis.
pub fn call_range(call: &syn::ExprCall) -> Range<usize> {
    call.func.span().byte_range().start..call.paren_token.span.close().byte_range().end
}

/// A macro invocation's range: the path through the closing delimiter.
pub fn mac_range(mac: &syn::Macro) -> Range<usize> {
    mac.path.span().byte_range().start..mac.delimiter.span().close().byte_range().end
}

/// The range of any node.
pub fn node_range(node: &impl Spanned) -> Range<usize> {
    node.span().byte_range()
}

/// An expression built only from literals and paths to constants: unwrapping it
/// cannot fail in a way that input controls.
pub fn is_literal_only(expr: &syn::Expr) -> bool {
    match expr {
        syn::Expr::Lit(_) => true,
        syn::Expr::Path(p) => {
            p.qself.is_none()
                && p.path
                    .segments
                    .last()
                    .is_some_and(|s| is_const_name(&s.ident.to_string()))
        }
        // A constructor or parser fed only literals (`Regex::new("^a+$")`). Other
        // calls read the world (`env::var("X")`) however literal their arguments.
        syn::Expr::Call(c) => {
            let constructor = match &*c.func {
                syn::Expr::Path(p) => p
                    .path
                    .segments
                    .last()
                    .is_some_and(|s| is_pure_constructor(&s.ident.to_string())),
                _ => false,
            };
            constructor && !c.args.is_empty() && c.args.iter().all(is_literal_only)
        }
        syn::Expr::MethodCall(m) => {
            is_literal_only(&m.receiver) && m.args.iter().all(is_literal_only)
        }
        syn::Expr::Reference(r) => is_literal_only(&r.expr),
        syn::Expr::Paren(p) => is_literal_only(&p.expr),
        syn::Expr::Group(g) => is_literal_only(&g.expr),
        syn::Expr::Unary(u) => is_literal_only(&u.expr),
        syn::Expr::Binary(b) => is_literal_only(&b.left) && is_literal_only(&b.right),
        syn::Expr::Cast(c) => is_literal_only(&c.expr),
        syn::Expr::Tuple(t) => t.elems.iter().all(is_literal_only),
        syn::Expr::Array(a) => a.elems.iter().all(is_literal_only),
        syn::Expr::Macro(m) => m.mac.path.segments.last().is_some_and(|s| {
            matches!(
                s.ident.to_string().as_str(),
                "concat" | "stringify" | "file" | "env" | "include_str"
            )
        }),
        _ => false,
    }
}

/// Associated functions that build a value from their arguments alone.
fn is_pure_constructor(name: &str) -> bool {
    matches!(
        name,
        "new"
            | "from"
            | "try_from"
            | "try_new"
            | "from_str"
            | "from_static"
            | "from_bytes"
            | "parse"
            | "parse_str"
            | "from_utf8"
            | "try_weeks"
            | "try_days"
            | "try_hours"
            | "try_minutes"
            | "try_seconds"
            | "try_milliseconds"
            | "from_ymd_opt"
            | "from_hms_opt"
    )
}

/// `SCREAMING_CASE` names are constants or statics by convention.
pub fn is_const_name(name: &str) -> bool {
    name.chars().any(|c| c.is_ascii_uppercase())
        && name
            .chars()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_')
}

/// The last path segment of a function's declared return type (`Result`, `Option`, …).
pub fn return_type_name(sig: &syn::Signature) -> Option<String> {
    let syn::ReturnType::Type(_, ty) = &sig.output else {
        return None;
    };
    type_last_name(ty)
}

pub fn type_last_name(ty: &syn::Type) -> Option<String> {
    match ty {
        syn::Type::Path(p) => p.path.segments.last().map(|s| s.ident.to_string()),
        syn::Type::Paren(p) => type_last_name(&p.elem),
        syn::Type::Group(g) => type_last_name(&g.elem),
        _ => None,
    }
}

/// Peel `&`, `(..)`, `.await` and `?` off an expression.
pub fn peel(expr: &syn::Expr) -> &syn::Expr {
    match expr {
        syn::Expr::Reference(r) => peel(&r.expr),
        syn::Expr::Paren(p) => peel(&p.expr),
        syn::Expr::Group(g) => peel(&g.expr),
        syn::Expr::Await(a) => peel(&a.base),
        syn::Expr::Try(t) => peel(&t.expr),
        _ => expr,
    }
}

/// The string literal `expr` is, looking through what [`peel`] removes, calls of
/// the methods in `through` (`.to_string()`, `.into()`, …) and one-argument
/// `T::from(..)` calls: any `T` when `from_types` is `None`, else only those named
/// there (`String::from`).
pub fn str_literal<'e>(
    expr: &'e syn::Expr,
    through: &[&str],
    from_types: Option<&[&str]>,
) -> Option<&'e syn::LitStr> {
    match peel(expr) {
        syn::Expr::Lit(syn::ExprLit {
            lit: syn::Lit::Str(s),
            ..
        }) => Some(s),
        syn::Expr::MethodCall(m) if through.iter().any(|t| m.method == t) => {
            str_literal(&m.receiver, through, from_types)
        }
        syn::Expr::Call(c) if c.args.len() == 1 => {
            let syn::Expr::Path(p) = &*c.func else {
                return None;
            };
            let segments = &p.path.segments;
            let is_from = segments.last().is_some_and(|s| s.ident == "from")
                && from_types.is_none_or(|types| {
                    segments.len() == 2
                        && segments
                            .first()
                            .is_some_and(|s| types.iter().any(|t| s.ident == t))
                });
            if is_from {
                c.args
                    .first()
                    .and_then(|a| str_literal(a, through, from_types))
            } else {
                None
            }
        }
        _ => None,
    }
}

/// Method calls of a builder chain, outermost first, and the expression the chain
/// starts from. `.await` and `?` between calls are looked through.
pub fn chain(expr: &syn::Expr) -> (Vec<&syn::ExprMethodCall>, &syn::Expr) {
    let mut calls = Vec::new();
    let mut cur = expr;
    loop {
        match cur {
            syn::Expr::MethodCall(m) => {
                calls.push(m);
                cur = &m.receiver;
            }
            syn::Expr::Await(a) => cur = &a.base,
            syn::Expr::Try(t) => cur = &t.expr,
            syn::Expr::Paren(p) => cur = &p.expr,
            _ => return (calls, cur),
        }
    }
}

/// True when `expr` is the receiver of a method call in its parent expression, i.e.
/// not the outermost link of a chain.
pub fn is_receiver_of(parent: Option<&syn::Expr>, expr: &syn::Expr) -> bool {
    let Some(parent) = parent else { return false };
    match parent {
        syn::Expr::MethodCall(m) => std::ptr::eq(&*m.receiver, expr),
        syn::Expr::Await(a) => std::ptr::eq(&*a.base, expr),
        syn::Expr::Try(t) => std::ptr::eq(&*t.expr, expr),
        syn::Expr::Paren(p) => std::ptr::eq(&*p.expr, expr),
        _ => false,
    }
}

/// The identifier a `Duration` should be written with in this file: `Duration` when
/// it is imported from std or tokio, the full path otherwise.
pub fn duration_path(cx: &crate::walk::Cx<'_, '_>) -> &'static str {
    let r = cx.resolve_names(&["Duration"]);
    if r.is(&["std", "time", "Duration"])
        || r.is(&["tokio", "time", "Duration"])
        || r.is(&["core", "time", "Duration"])
    {
        "Duration"
    } else {
        "std::time::Duration"
    }
}

/// The name an assignment writes to: `x = ..` or `self.field = ..`.
pub fn assigned_name(assign: &syn::ExprAssign) -> Option<String> {
    match &*assign.left {
        syn::Expr::Field(f) => match &f.member {
            syn::Member::Named(n) => Some(n.to_string()),
            syn::Member::Unnamed(_) => None,
        },
        syn::Expr::Path(p) => p.path.get_ident().map(ToString::to_string),
        _ => None,
    }
}

/// A host on this machine or a development-only name: `localhost`, `127.0.0.0/8`,
/// `[::1]`, `0.0.0.0`, `*.localhost`, `*.local`, `*.test`. `host` is lowercase,
/// without user info or port.
pub fn is_dev_host(host: &str) -> bool {
    host == "localhost"
        || host == "[::1]"
        || host == "0.0.0.0"
        || host.starts_with("127.")
        || [".localhost", ".local", ".test"]
            .iter()
            .any(|s| host.ends_with(s))
}
