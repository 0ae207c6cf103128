//! ## What it does
//! Flags glob imports (`use path::*;`).
//!
//! ## Why is this bad?
//! A glob hides where names come from: a reader cannot tell which module defines
//! `Error` or `Config`, and tools without type information cannot either. It also
//! makes upgrades fragile: a new public item in the imported module can shadow or
//! clash with a local name and break the build, or silently change which item is
//! used. Name what you import.
//!
//! Not flagged: `prelude::*` (preludes are designed for globbing), `use super::*;`
//! and other imports in test modules, `use` declarations inside function bodies,
//! and `pub use` re-exports. Nor are two globs whose names a reader can still
//! find:
//!
//! - the variants of a type (`use Either::*;`, `use self::Color::*;`): the last
//!   segment before `*` is written in `UpperCamelCase`, so it names an enum, and
//!   its variants are listed in one place;
//! - `use super::*;` in an inline private module (`mod imp { use super::*; … }`):
//!   the names come from the enclosing code of the same file.
//!
//! ## Example
//! ```rust
//! use std::collections::*;
//!
//! pub fn index() -> HashMap<String, usize> {
//!     HashMap::new()
//! }
//! ```
//!
//! Use instead:
//! ```rust
//! use std::collections::HashMap;
//!
//! pub fn index() -> HashMap<String, usize> {
//!     HashMap::new()
//! }
//! ```

use crate::rule::{Category, FixAvailability, Level, RuleMeta};
use crate::rules::util::node_range;
use crate::walk::{Cx, Rule, Sink};

pub struct GlobImport;

pub static META: RuleMeta = RuleMeta {
    id: "glob-import",
    category: Category::Maintainability,
    default_level: Level::Hint,
    standard: "Imports name what they bring into scope.",
    summary: "glob import that hides where names come from",
    fix: FixAvailability::None,
    clippy_lints: &["wildcard_imports"],
    source: include_str!("glob_import.rs"),
};

impl Rule for GlobImport {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check_item(&self, cx: &Cx<'_, '_>, item: &syn::Item, out: &mut Sink<'_>) {
        let syn::Item::Use(u) = item else { return };
        // Test code (`use super::*;` in a test module), re-exports and imports local
        // to a function body are accepted.
        if cx.skip_by_default()
            || !matches!(u.vis, syn::Visibility::Inherited)
            || cx.enclosing_fn().is_some()
            || cx.fn_body().is_some()
        {
            return;
        }
        let mut prefix = Vec::new();
        let Some(glob) = first_glob(&u.tree, &mut prefix) else {
            return;
        };
        if glob == "super::*" && cx.scope.in_private_mod {
            return;
        }
        out.report(
            node_range(u),
            format!("glob import `{glob}` hides where names come from; import them by name"),
        );
    }
}

/// The first glob in a use tree that is not a prelude, written out in full.
fn first_glob(tree: &syn::UseTree, prefix: &mut Vec<String>) -> Option<String> {
    match tree {
        syn::UseTree::Path(p) => {
            prefix.push(p.ident.to_string());
            let found = first_glob(&p.tree, prefix);
            prefix.pop();
            found
        }
        syn::UseTree::Group(g) => g.items.iter().find_map(|t| first_glob(t, prefix)),
        syn::UseTree::Glob(_) => {
            let variants = prefix
                .last()
                .and_then(|last| last.chars().next())
                .is_some_and(char::is_uppercase);
            if variants || prefix.last().is_some_and(|last| last == "prelude") {
                None
            } else {
                let mut path = prefix.join("::");
                if !path.is_empty() {
                    path.push_str("::");
                }
                path.push('*');
                Some(path)
            }
        }
        syn::UseTree::Name(_) | syn::UseTree::Rename(_) => None,
    }
}
