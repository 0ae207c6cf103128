//! ## What it does
//! Flags identifiers generated with `Uuid::new_v4()`.
//!
//! ## Why is this bad?
//! Version 4 UUIDs are random, so consecutive ids land on random pages of a B-tree
//! index: inserts touch the whole index, pages split and fill half-way, and the
//! cache hit rate falls as the table grows. Version 7 UUIDs start with a
//! millisecond timestamp, so new rows append at the end of the index, and the ids
//! sort by creation time, which also helps pagination and debugging. They are just
//! as unique.
//!
//! Not flagged: test code, examples and build scripts, and `new_v4` on types that do
//! not resolve to `uuid::Uuid`. Nor is a value that is a secret rather than an id:
//! one bound by `let` or written to a struct field whose name is secret-like
//! (`token`, `secret`, `password`, … as for the security rules) or has the word
//! `nonce`, `salt` or `csrf` (`let token = Uuid::new_v4().to_string();`,
//! `verification_token: Uuid::new_v4()…`). Such
//! values must not reveal when they were made, and a v7 UUID has fewer random
//! bits. Nor is `new_v4` inside a function whose name asks for v4 (`fn uuid_v4()`).
//! Keep v4 for other values of that kind too and suppress the finding there with
//! a reason.
//!
//! ## Example
//! ```rust
//! use uuid::Uuid;
//!
//! pub fn order_id() -> Uuid {
//!     Uuid::new_v4()
//! }
//! ```
//!
//! Use instead:
//! ```rust
//! use uuid::Uuid;
//!
//! pub fn order_id() -> Uuid {
//!     Uuid::now_v7()
//! }
//! ```
//!
//! ## Fix safety
//! The fix replaces `new_v4` with `now_v7`. It is safe when the crate enables the
//! `v7` feature of its `uuid` dependency: the id is still a `Uuid`, only its
//! layout changes. Without that feature `Uuid::now_v7` does not exist, so the fix
//! is shown as a suggestion only (enable `features = ["v7"]` first).

use crate::rule::{Applicability, Category, Edit, Fix, FixAvailability, Level, RuleMeta};
use crate::rules::util::call_range;
use crate::walk::{Cx, Rule, Sink};

pub struct UuidV4Id;

pub static META: RuleMeta = RuleMeta {
    id: "uuid-v4-id",
    category: Category::Correctness,
    default_level: Level::Hint,
    standard: "Time-ordered ids (UUID v7).",
    summary: "random UUID v4 used as an identifier",
    fix: FixAvailability::Always,
    clippy_lints: &[],
    source: include_str!("uuid_v4_id.rs"),
};

impl Rule for UuidV4Id {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check_expr(&self, cx: &Cx<'_, '_>, expr: &syn::Expr, out: &mut Sink<'_>) {
        if cx.skip_by_default() {
            return;
        }
        let syn::Expr::Call(call) = expr else { return };
        let Some(path) = cx.resolve_call(call) else {
            return;
        };
        if !path.is(&["uuid", "Uuid", "new_v4"]) {
            return;
        }
        if names_a_secret(cx, call) || asks_for_v4(cx) {
            return;
        }
        let syn::Expr::Path(p) = &*call.func else {
            return;
        };
        let Some(last) = p.path.segments.last() else {
            return;
        };
        let method = cx.span_range(last.ident.span());
        let v7 = cx
            .file
            .crate_facts
            .dep_by_package("uuid")
            .is_some_and(|(_, dep)| dep.features.contains("v7"));
        let applicability = if v7 {
            Applicability::Safe
        } else {
            Applicability::DisplayOnly
        };
        let finding = out.report(
            call_range(call),
            "random UUID v4 id scatters index inserts; use time-ordered `Uuid::now_v7()`",
        );
        finding.fix = Some(Fix::new(
            "Use `Uuid::now_v7()`",
            applicability,
            vec![Edit::replace(method, "now_v7")],
        ));
    }
}

/// A function whose name says it makes version 4 ids (`fn uuid_v4()`,
/// `fn random_v4_id()`) wants exactly that.
fn asks_for_v4(cx: &Cx<'_, '_>) -> bool {
    cx.enclosing_fn().is_some_and(|sig| {
        sig.ident
            .to_string()
            .to_ascii_lowercase()
            .split('_')
            .any(|word| word == "v4")
    })
}

/// Words that make a binding or field a secret rather than an identifier.
/// The call starts the value of `let <name> =` or `<field>:` (on its line or, when
/// rustfmt wrapped it, the line before), and the name is secret-like: the
/// project's secret words plus `nonce`, `salt` and `csrf`.
fn names_a_secret(cx: &Cx<'_, '_>, call: &syn::ExprCall) -> bool {
    let before = cx.slice(0..call_range(call).start).trim_end();
    let line = before.rsplit('\n').next().unwrap_or("").trim();
    let name = if let Some(rest) = line.strip_suffix('=') {
        // `let token =`, `let mut token: String =`
        let Some(binding) = rest.trim().strip_prefix("let ") else {
            return false;
        };
        let binding = binding.trim_start_matches("mut ");
        binding.split(':').next().unwrap_or("").trim()
    } else if let Some(field) = line.strip_suffix(':') {
        // `token:` on its own line, or `Reset { token:` on one line.
        field
            .rsplit(|c: char| c == '{' || c == ',' || c.is_whitespace())
            .next()
            .unwrap_or("")
    } else {
        return false;
    };
    let is_ident = !name.is_empty() && name.chars().all(|c| c.is_alphanumeric() || c == '_');
    is_ident && crate::rules::secrets::is_secret_like_with(name, &["nonce", "salt", "csrf"])
}
