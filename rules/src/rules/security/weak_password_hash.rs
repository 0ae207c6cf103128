//! ## What it does
//! Flags a password hashed with a fast digest — MD5, SHA-1, SHA-2, SHA-3 or BLAKE
//! (`md5::compute(password)`, `Sha256::digest(password.as_bytes())`,
//! `hasher.update(password)` on a `Sha256::new()` hasher, `blake3::hash(..)`,
//! ring's `digest::digest(&SHA256, password)`) instead of a password hash (argon2,
//! bcrypt, scrypt).
//!
//! Only identifiers and fields named like a password (`password`, `passwd`, `pwd`,
//! `passphrase`) are matched. Tokens and API keys are random and long, and a fast
//! digest is the right way to store them, so they are not flagged.
//!
//! ## Why is this bad?
//! Fast digests are built to be fast: a single GPU computes billions of SHA-256
//! hashes per second, so a leaked table of unsalted or salted digests gives up most
//! human-chosen passwords in hours. Password hashes (argon2id, bcrypt, scrypt) are
//! deliberately slow and memory-hard, and salt every hash.
//!
//! ## Example
//! ```rust
//! use sha2::{Digest, Sha256};
//!
//! pub fn store(password: &str) -> Vec<u8> {
//!     Sha256::digest(password.as_bytes()).to_vec()
//! }
//! ```
//!
//! Use instead:
//! ```rust
//! use argon2::password_hash::{PasswordHasher, SaltString};
//! use argon2::Argon2;
//!
//! pub fn store(password: &str, salt: &SaltString) -> Option<String> {
//!     Argon2::default().hash_password(password.as_bytes(), salt).ok().map(|h| h.to_string())
//! }
//! ```

use crate::rule::{Category, FixAvailability, Level, RuleMeta};
use crate::rules::secrets::words;
use crate::rules::util::{call_range, chain, method_call_range, node_range};
use crate::walk::{Cx, Rule, Sink};

pub struct WeakPasswordHash;

pub static META: RuleMeta = RuleMeta {
    id: "weak-password-hash",
    category: Category::Security,
    default_level: Level::Error,
    standard: "Passwords are stored with a password hash (argon2, bcrypt, scrypt).",
    summary: "password hashed with a fast digest",
    fix: FixAvailability::None,
    clippy_lints: &[],
    source: include_str!("weak_password_hash.rs"),
};

/// Crates that provide fast digests (as code names).
const DIGEST_CRATES: &[&str] = &[
    "md5",
    "md_5",
    "sha1",
    "sha1_smol",
    "sha2",
    "sha3",
    "blake2",
    "blake3",
    "ring",
];

/// Hasher types of the RustCrypto digest crates.
const DIGEST_TYPES: &[&str] = &[
    "Md5",
    "Sha1",
    "Sha224",
    "Sha256",
    "Sha384",
    "Sha512",
    "Sha512_256",
    "Sha3_224",
    "Sha3_256",
    "Sha3_384",
    "Sha3_512",
    "Keccak256",
    "Keccak512",
    "Blake2b512",
    "Blake2s256",
    "Blake2b",
    "Blake2s",
    "Hasher",
];

impl Rule for WeakPasswordHash {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check_expr(&self, cx: &Cx<'_, '_>, expr: &syn::Expr, out: &mut Sink<'_>) {
        if cx.skip_by_default() {
            return;
        }
        match expr {
            syn::Expr::Call(call) => {
                let Some(algo) = digest_fn(cx, call) else {
                    return;
                };
                let Some(name) = call.args.iter().find_map(password_arg) else {
                    return;
                };
                out.report(call_range(call), message(&name, &algo));
            }
            syn::Expr::MethodCall(mc) => {
                let method = mc.method.to_string();
                if !matches!(method.as_str(), "update" | "chain_update" | "chain") {
                    return;
                }
                let Some(name) = mc.args.first().and_then(password_arg) else {
                    return;
                };
                let Some(algo) = hasher_of(cx, &mc.receiver, node_range(mc).start) else {
                    return;
                };
                out.report(method_call_range(mc), message(&name, &algo));
            }
            _ => {}
        }
    }
}

fn message(name: &str, algo: &str) -> String {
    format!("`{name}` hashed with {algo}, a fast digest; use argon2, bcrypt or scrypt")
}

/// `Sha256::digest(..)`, `md5::compute(..)`, `blake3::hash(..)`,
/// `ring::digest::digest(..)`: the algorithm's name.
fn digest_fn(cx: &Cx<'_, '_>, call: &syn::ExprCall) -> Option<String> {
    let path = cx.resolve_call(call)?;
    let segs: Vec<&str> = path.segments.iter().map(String::as_str).collect();
    let (last, rest) = segs.split_last()?;
    if !matches!(*last, "digest" | "compute" | "hash" | "new_with_prefix") {
        return None;
    }
    let ty = rest.last().copied()?;
    let from_crate = path.krate().is_some_and(|k| DIGEST_CRATES.contains(&k));
    if DIGEST_TYPES.contains(&ty) && ty != "Hasher" && (from_crate || !path.confident) {
        return Some(ty.to_owned());
    }
    if from_crate {
        let k = path.krate().unwrap_or("");
        return Some(algo_of_crate(k).to_owned());
    }
    None
}

fn algo_of_crate(krate: &str) -> &'static str {
    match krate {
        "md5" | "md_5" => "MD5",
        "sha1" | "sha1_smol" => "SHA-1",
        "sha2" | "ring" => "SHA-2",
        "sha3" => "SHA-3",
        _ => "BLAKE",
    }
}

/// The receiver is a digest hasher: `Sha256::new()` in the chain, or a local bound
/// to one.
fn hasher_of(cx: &Cx<'_, '_>, receiver: &syn::Expr, at: usize) -> Option<String> {
    let (_, base) = chain(receiver);
    let init = match base {
        syn::Expr::Path(p) => {
            let name = p.path.get_ident()?.to_string();
            chain(cx.binding(&name, at)?).1
        }
        other => other,
    };
    let syn::Expr::Call(c) = init else {
        return None;
    };
    let path = cx.resolve_call(c)?;
    let segs: Vec<&str> = path.segments.iter().map(String::as_str).collect();
    match segs.as_slice() {
        [.., ty, "new" | "default"] if DIGEST_TYPES.contains(ty) => {
            let from_crate = path.krate().is_some_and(|k| DIGEST_CRATES.contains(&k));
            if *ty == "Hasher" {
                return (path.krate() == Some("blake3")).then(|| "BLAKE3".to_owned());
            }
            (from_crate || !path.confident).then(|| (*ty).to_owned())
        }
        [.., "Context", "new"] if path.krate() == Some("ring") => Some("SHA-2".to_owned()),
        _ => None,
    }
}

/// The password an argument hashes: `password`, `&password`, `password.as_bytes()`,
/// `req.password.as_bytes()`.
fn password_arg(expr: &syn::Expr) -> Option<String> {
    match expr {
        syn::Expr::Reference(r) => password_arg(&r.expr),
        syn::Expr::Paren(p) => password_arg(&p.expr),
        syn::Expr::MethodCall(m)
            if m.args.is_empty()
                && matches!(
                    m.method.to_string().as_str(),
                    "as_bytes"
                        | "as_ref"
                        | "as_str"
                        | "clone"
                        | "to_string"
                        | "into_bytes"
                        | "to_owned"
                        | "expose_secret"
                ) =>
        {
            password_arg(&m.receiver)
        }
        syn::Expr::Path(p) => {
            let name = p.path.get_ident()?.to_string();
            is_password_name(&name).then_some(name)
        }
        syn::Expr::Field(f) => match &f.member {
            syn::Member::Named(n) => {
                let name = n.to_string();
                is_password_name(&name).then_some(name)
            }
            syn::Member::Unnamed(_) => None,
        },
        _ => None,
    }
}

fn is_password_name(name: &str) -> bool {
    let words = words(name);
    let describes = words.last().is_some_and(|w| {
        matches!(
            w.as_str(),
            "len" | "length" | "hash" | "digest" | "hashed" | "id" | "policy" | "count"
        )
    });
    !describes
        && words
            .iter()
            .any(|w| matches!(w.as_str(), "password" | "passwd" | "pwd" | "passphrase"))
}
