//! Name resolution from `use` declarations.
//!
//! precept has no type information, so "what does `Client` mean here?" is answered
//! from the file's `use` items alone: `use reqwest::Client;` makes `Client::new()`
//! mean `reqwest::Client::new()`. Anything that cannot be resolved with confidence
//! stays unresolved, and rules treat unresolved names as "not the thing I look for".
//! The map also keeps the type aliases a module defines (`type Result<T> = …;`), the
//! other way a module gives a name its meaning.

use std::collections::{BTreeMap, HashMap};
use std::hash::{Hash, Hasher};

/// What a name imported into scope stands for.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ImportMap {
    /// Local name -> full path segments (`Client` -> `["reqwest", "Client"]`).
    names: HashMap<String, Vec<String>>,
    /// Prefixes imported with a glob (`use axum::extract::*;`).
    globs: Vec<Vec<String>>,
    /// Type aliases the module defines (`type Result<T> = …;`), by name: the alias
    /// item without its attributes, as source text. `None` when the name is defined
    /// more than once (alternatives under different `cfg`s), so it means nothing sure.
    aliases: BTreeMap<String, Option<String>>,
}

impl ImportMap {
    pub fn new() -> Self {
        Self::default()
    }

    /// Record every name a `use` tree brings into scope.
    pub fn add_use(&mut self, tree: &syn::UseTree) {
        let mut prefix = Vec::new();
        self.add_tree(&mut prefix, tree);
    }

    fn add_tree(&mut self, prefix: &mut Vec<String>, tree: &syn::UseTree) {
        match tree {
            syn::UseTree::Path(p) => {
                prefix.push(p.ident.to_string());
                self.add_tree(prefix, &p.tree);
                prefix.pop();
            }
            syn::UseTree::Name(n) => {
                let name = n.ident.to_string();
                if name == "self" {
                    if let Some(last) = prefix.last() {
                        self.names.insert(last.clone(), prefix.clone());
                    }
                } else {
                    let mut full = prefix.clone();
                    full.push(name.clone());
                    self.names.insert(name, full);
                }
            }
            syn::UseTree::Rename(r) => {
                let name = r.ident.to_string();
                let mut full = prefix.clone();
                if name != "self" {
                    full.push(name);
                }
                let alias = r.rename.to_string();
                if alias != "_" {
                    self.names.insert(alias, full);
                }
            }
            syn::UseTree::Glob(_) => self.globs.push(prefix.clone()),
            syn::UseTree::Group(g) => {
                for item in &g.items {
                    self.add_tree(prefix, item);
                }
            }
        }
    }

    /// Merge another map into this one; names in `other` win (inner scopes shadow).
    pub fn extend_from(&mut self, other: &ImportMap) {
        for (k, v) in &other.names {
            self.names.insert(k.clone(), v.clone());
        }
        self.globs.extend(other.globs.iter().cloned());
        // Two definitions of one alias are alternatives (`cfg`), not shadowing.
        for (k, v) in &other.aliases {
            match v {
                Some(item) => self.add_alias(k.clone(), item.clone()),
                None => {
                    self.aliases.insert(k.clone(), None);
                }
            }
        }
    }

    /// Record a type alias defined in the module: its name and its item's text.
    pub fn add_alias(&mut self, name: String, item: String) {
        match self.aliases.get_mut(&name) {
            Some(known) if known.as_deref() != Some(item.as_str()) => *known = None,
            Some(_) => {}
            None => {
                self.aliases.insert(name, Some(item));
            }
        }
    }

    /// The text of the type alias `name` defined in the module, when there is
    /// exactly one.
    pub fn alias(&self, name: &str) -> Option<&str> {
        self.aliases.get(name).and_then(Option::as_deref)
    }

    /// True when the module defines a type alias `name` (once or more).
    pub fn defines_alias(&self, name: &str) -> bool {
        self.aliases.contains_key(name)
    }

    /// True when the module imports anything with a glob, so a bare name may come
    /// from it rather than from the prelude.
    pub fn has_globs(&self) -> bool {
        !self.globs.is_empty()
    }

    pub fn get(&self, name: &str) -> Option<&[String]> {
        self.names.get(name).map(Vec::as_slice)
    }

    pub fn has_glob_from(&self, krate: &str) -> bool {
        self.globs
            .iter()
            .any(|g| g.first().is_some_and(|s| s == krate))
    }

    /// True when any import comes from `krate` (e.g. the file imports from `tonic`).
    pub fn imports_from(&self, krate: &str) -> bool {
        self.names
            .values()
            .any(|p| p.first().is_some_and(|s| s == krate))
            || self.has_glob_from(krate)
    }

    pub fn is_empty(&self) -> bool {
        self.names.is_empty() && self.globs.is_empty() && self.aliases.is_empty()
    }

    /// Order-independent digest, for cache keys.
    pub fn digest(&self) -> u64 {
        let mut entries: Vec<_> = self.names.iter().collect();
        entries.sort();
        let mut globs = self.globs.clone();
        globs.sort();
        let mut h = crate::hash::Hasher64::default();
        entries.hash(&mut h);
        globs.hash(&mut h);
        self.aliases.hash(&mut h);
        h.finish()
    }
}

/// A path as written, resolved through the imports where possible.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Resolved {
    pub segments: Vec<String>,
    /// False when the first segment is neither imported nor a known crate root, so the
    /// path may name something local.
    pub confident: bool,
}

impl Resolved {
    /// Compare against a canonical path such as `["reqwest", "Client", "new"]`.
    pub fn is(&self, path: &[&str]) -> bool {
        self.confident
            && self.segments.len() == path.len()
            && self.segments.iter().zip(path).all(|(a, b)| a == b)
    }

    pub fn starts_with(&self, prefix: &[&str]) -> bool {
        self.confident
            && self.segments.len() >= prefix.len()
            && self.segments.iter().zip(prefix).all(|(a, b)| a == b)
    }

    pub fn last(&self) -> Option<&str> {
        self.segments.last().map(String::as_str)
    }

    pub fn krate(&self) -> Option<&str> {
        if self.confident {
            self.segments.first().map(String::as_str)
        } else {
            None
        }
    }
}

/// Resolve path segments through `imports`. `is_crate` says whether a first segment
/// names an external crate (a dependency, or `std`/`core`/`alloc`); dependency
/// renames are applied by the caller through `crate_name`.
pub fn resolve(
    segments: &[String],
    imports: &ImportMap,
    is_crate: &dyn Fn(&str) -> Option<String>,
) -> Resolved {
    let Some(first) = segments.first() else {
        return Resolved {
            segments: Vec::new(),
            confident: false,
        };
    };
    if let Some(full) = imports.get(first) {
        let mut out: Vec<String> = full.to_vec();
        out.extend(segments[1..].iter().cloned());
        // The import itself may start with a renamed crate.
        if let Some(head) = out.first().and_then(|h| is_crate(h)) {
            out[0] = head;
            return Resolved {
                segments: out,
                confident: true,
            };
        }
        let confident = !matches!(
            out.first().map(String::as_str),
            Some("crate" | "self" | "super")
        );
        let confident = confident && out.len() > 1;
        return Resolved {
            segments: out,
            confident,
        };
    }
    if let Some(out) = through_prelude(segments, imports, is_crate) {
        return Resolved {
            segments: out,
            confident: true,
        };
    }
    if let Some(krate) = is_crate(first) {
        let mut out = segments.to_vec();
        out[0] = krate;
        return Resolved {
            segments: out,
            confident: true,
        };
    }
    Resolved {
        segments: segments.to_vec(),
        confident: false,
    }
}

/// Names that well-known crate preludes bring into scope, as
/// (crate, prelude module, names); each name is the crate's item of that name.
const PRELUDES: &[(&str, &str, &[&str])] = &[(
    "chrono",
    "prelude",
    &[
        "DateTime",
        "Datelike",
        "FixedOffset",
        "Local",
        "Month",
        "NaiveDate",
        "NaiveDateTime",
        "NaiveTime",
        "Offset",
        "SecondsFormat",
        "TimeZone",
        "Timelike",
        "Utc",
        "Weekday",
    ],
)];

/// `Local::now` after `use chrono::prelude::*;` is `chrono::Local::now`: the glob
/// of a known prelude, from a crate that really is a dependency, names it.
fn through_prelude(
    segments: &[String],
    imports: &ImportMap,
    is_crate: &dyn Fn(&str) -> Option<String>,
) -> Option<Vec<String>> {
    let first = segments.first()?;
    imports.globs.iter().find_map(|glob| {
        let [krate, module] = glob.as_slice() else {
            return None;
        };
        let krate = is_crate(krate)?;
        let (_, _, names) = PRELUDES
            .iter()
            .find(|(k, m, _)| *k == krate && m == module)?;
        names.contains(&first.as_str()).then(|| {
            let mut out = vec![krate.clone()];
            out.extend(segments.iter().cloned());
            out
        })
    })
}

/// The identifiers of a syn path, without generics.
pub fn path_segments(path: &syn::Path) -> Vec<String> {
    path.segments.iter().map(|s| s.ident.to_string()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn map(src: &str) -> ImportMap {
        let file: syn::File = match syn::parse_str(src) {
            Ok(f) => f,
            Err(e) => panic!("bad test input: {e}"),
        };
        let mut m = ImportMap::new();
        for item in &file.items {
            if let syn::Item::Use(u) = item {
                m.add_use(&u.tree);
            }
        }
        m
    }

    fn krates(name: &str) -> Option<String> {
        match name {
            "reqwest" | "std" | "tokio" | "chrono" => Some(name.to_owned()),
            "http_client" => Some("reqwest".to_owned()),
            _ => None,
        }
    }

    fn res(m: &ImportMap, p: &str) -> Resolved {
        let segs: Vec<String> = p.split("::").map(str::to_owned).collect();
        resolve(&segs, m, &krates)
    }

    #[test]
    fn known_preludes_resolve_their_names() {
        let m = map("use chrono::prelude::*;");
        let r = res(&m, "Local::now");
        assert!(r.is(&["chrono", "Local", "now"]) && r.confident, "{r:?}");
        // Other names, and preludes of crates that are not dependencies, stay unknown.
        assert!(!res(&m, "Instant::now").confident);
        let m = map("use mytime::prelude::*;");
        assert!(!res(&m, "Local::now").confident);
    }

    #[test]
    fn resolves_through_use_and_renames() {
        let m = map(
            "use reqwest::{self, Client as C}; use tokio::net::TcpStream; use http_client::Client;",
        );
        assert!(res(&m, "C::new").is(&["reqwest", "Client", "new"]));
        assert!(res(&m, "reqwest::get").is(&["reqwest", "get"]));
        assert!(res(&m, "TcpStream::connect").is(&["tokio", "net", "TcpStream", "connect"]));
        assert!(res(&m, "Client::new").is(&["reqwest", "Client", "new"]));
        assert!(res(&m, "std::net::TcpStream::connect").is(&[
            "std",
            "net",
            "TcpStream",
            "connect"
        ]));
    }

    #[test]
    fn local_names_are_not_confident() {
        let m = map("use crate::client::Client;");
        assert!(!res(&m, "Client::new").confident);
        assert!(!res(&m, "Other::new").confident);
    }
}
