//! Which functions a file registers as HTTP request handlers.
//!
//! A function passed by name to a routing call in the same file (`.route("/", get(list))`,
//! `web::get().to(list)`, `post(create)`) is a request handler even without an
//! attribute or extractor parameters. This is a file-level fact: the registration
//! usually lives in another item (a `router()` function or `main`).

use syn::visit::{self, Visit};

/// Method routers of axum (`get`, `post`, …) and actix-web's `web::get()` family.
fn is_method_router(name: &str) -> bool {
    matches!(
        name,
        "get" | "post" | "put" | "delete" | "patch" | "head" | "options" | "trace" | "any"
    )
}

struct Collect {
    names: Vec<String>,
}

impl Collect {
    fn take_path_args<'a>(&mut self, args: impl Iterator<Item = &'a syn::Expr>) {
        for arg in args {
            if let syn::Expr::Path(p) = arg {
                if let Some(last) = p.path.segments.last() {
                    self.names.push(last.ident.to_string());
                }
            }
        }
    }
}

/// True for an expression that is itself a routing call, so that `.post(h)` chained
/// on `get(list)` is known to be a method router rather than, say, `HashMap::get`.
fn is_routing_expr(expr: &syn::Expr) -> bool {
    match expr {
        syn::Expr::Call(call) => match &*call.func {
            syn::Expr::Path(p) => p
                .path
                .segments
                .last()
                .is_some_and(|s| is_method_router(&s.ident.to_string())),
            _ => false,
        },
        syn::Expr::MethodCall(mc) => {
            let m = mc.method.to_string();
            (is_method_router(&m) || m == "route") && is_routing_expr(&mc.receiver)
        }
        _ => false,
    }
}

impl<'ast> Visit<'ast> for Collect {
    fn visit_expr_call(&mut self, call: &'ast syn::ExprCall) {
        if let syn::Expr::Path(p) = &*call.func {
            if p.path
                .segments
                .last()
                .is_some_and(|s| is_method_router(&s.ident.to_string()))
            {
                self.take_path_args(call.args.iter());
            }
        }
        visit::visit_expr_call(self, call);
    }

    fn visit_expr_method_call(&mut self, mc: &'ast syn::ExprMethodCall) {
        let m = mc.method.to_string();
        let registers = matches!(m.as_str(), "to" | "route" | "route_service")
            || (is_method_router(&m) && is_routing_expr(&mc.receiver));
        if registers {
            self.take_path_args(mc.args.iter());
        }
        visit::visit_expr_method_call(self, mc);
    }
}

/// Names of functions an item registers as handlers.
pub fn handler_names(item: &syn::Item) -> Vec<String> {
    let mut c = Collect { names: Vec::new() };
    c.visit_item(item);
    c.names
}

/// Names of functions a method (or other impl item) registers as handlers.
pub fn handler_names_in_impl_item(item: &syn::ImplItem) -> Vec<String> {
    let mut c = Collect { names: Vec::new() };
    c.visit_impl_item(item);
    c.names
}
