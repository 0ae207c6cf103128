//! ## What it does
//! Flags `tracing` events (`trace!`, `debug!`, `info!`, `warn!`, `error!`,
//! `event!`) whose message interpolates values, with `{}`, `{:?}`, `{0}` or an
//! inline name such as `{user_id}`, instead of recording them as fields.
//!
//! Only macros that resolve to `tracing` are checked: `tracing::info!`, or `info!`
//! imported with `use tracing::…`. The `log` crate's macros are not flagged, since
//! `log` has no fields to record values in. Spans are not flagged either (their
//! name is not a format string), nor are messages that are constants.
//!
//! ## Why is this bad?
//! A value baked into the message text can only be found again with a text search.
//! Recorded as a field, it keeps its name and type: log backends index it, so
//! queries such as "every event for this user" or "requests slower than 2 s" work,
//! and the message stays a constant that groups every occurrence of the event.
//!
//! ## Example
//! ```rust
//! use tracing::info;
//!
//! pub fn login(user_id: u64) {
//!     info!("user {} logged in", user_id);
//! }
//! ```
//!
//! Use instead:
//! ```rust
//! use tracing::info;
//!
//! pub fn login(user_id: u64) {
//!     info!(user_id, "user logged in");
//! }
//! ```
//!
//! ## Fix safety
//! When every interpolated value is a plain identifier formatted with `{}` or
//! `{:?}`, the fix records each one as a field (`%name` for `Display`, `?name` for
//! `Debug`), placed before the message, and removes the placeholders from the
//! message text, along with a `name=` label or quotes left around them. The fix is
//! unsafe: the rendered message changes, and anything that parses log text (an
//! alert on a message pattern, a dashboard) must be updated. It is not offered
//! when a value is an expression, a placeholder has formatting options (width,
//! precision, `{:#?}`), a new field would clash with an existing one, or nothing
//! of the message would be left.

use std::ops::Range;

use proc_macro2::TokenTree;

use crate::rule::{Applicability, Category, Edit, Fix, FixAvailability, Level, RuleMeta};
use crate::rules::util::mac_range;
use crate::walk::{log_args, Cx, LogArg, Rule, Sink};

pub struct UnstructuredLog;

pub static META: RuleMeta = RuleMeta {
    id: "unstructured-log",
    category: Category::Observability,
    default_level: Level::Hint,
    standard: "Structured, machine-readable logs.",
    summary: "`tracing` message that interpolates values instead of recording fields",
    fix: FixAvailability::Sometimes,
    clippy_lints: &[],
    source: include_str!("unstructured_log.rs"),
};

impl Rule for UnstructuredLog {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check_macro(&self, cx: &Cx<'_, '_>, mac: &syn::Macro, out: &mut Sink<'_>) {
        if cx.skip_by_default() {
            return;
        }
        let Some(name) = tracing_event(cx, mac) else {
            return;
        };
        let args = log_args(mac.tokens.clone());
        let Some((index, lit)) = message(&args, name == "event") else {
            return;
        };
        let value = lit.value();
        let Some(holes) = placeholders(&value, false) else {
            return;
        };
        if holes.is_empty() {
            return;
        }
        let finding = out.report(
            mac_range(mac),
            "log message interpolates values; record them as fields and keep the message constant",
        );
        finding.fix = structured_fix(cx, &args, index, &lit, &holes);
    }
}

/// The event macro's name when the path resolves to `tracing`.
fn tracing_event(cx: &Cx<'_, '_>, mac: &syn::Macro) -> Option<String> {
    let resolved = cx.resolve(&mac.path);
    let spelled_out = !resolved.confident
        && mac.path.segments.len() == 2
        && mac
            .path
            .segments
            .first()
            .is_some_and(|s| s.ident == "tracing");
    if resolved.krate() != Some("tracing") && !spelled_out {
        return None;
    }
    let name = resolved.last()?;
    matches!(
        name,
        "trace" | "debug" | "info" | "warn" | "error" | "event"
    )
    .then(|| name.to_owned())
}

/// The message: the first argument that is a lone string literal, after the
/// `target:`-style keys, the level of `event!` and any fields.
fn message(args: &[LogArg], has_level: bool) -> Option<(usize, syn::LitStr)> {
    let mut level_pending = has_level;
    for (i, arg) in args.iter().enumerate() {
        if arg.key.is_some() {
            continue;
        }
        if level_pending {
            level_pending = false;
            continue;
        }
        if arg.field.is_some() || arg.sigil.is_some() || arg.field_set {
            continue;
        }
        if let [tt @ TokenTree::Literal(_)] = arg.value.as_slice() {
            if let Ok(lit) = syn::parse2::<syn::LitStr>(tt.clone().into()) {
                return Some((i, lit));
            }
        }
    }
    None
}

/// What a placeholder refers to.
#[derive(Clone, Debug, PartialEq, Eq)]
enum ArgRef {
    Index(usize),
    Name(String),
}

/// One `{…}` of a format string.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Hole {
    arg: ArgRef,
    /// What follows the `:` (`?`, `>8`, `.2`), empty without one.
    spec: String,
    /// Byte range of the braces in the text that was scanned.
    range: Range<usize>,
}

/// The placeholders of a format string, or `None` when it is not a valid one.
/// With `escapes`, the text is a string literal's source and `\…` sequences are
/// skipped.
fn placeholders(s: &str, escapes: bool) -> Option<Vec<Hole>> {
    let b = s.as_bytes();
    let mut out = Vec::new();
    let mut next = 0;
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'\\' if escapes => {
                if b.get(i + 1) == Some(&b'u') && b.get(i + 2) == Some(&b'{') {
                    i = s[i..].find('}')? + i + 1;
                } else {
                    i += 2;
                }
            }
            b'{' if b.get(i + 1) == Some(&b'{') => i += 2,
            b'}' if b.get(i + 1) == Some(&b'}') => i += 2,
            b'}' => return None,
            b'{' => {
                let close = s[i + 1..].find('}')? + i + 1;
                let inner = &s[i + 1..close];
                if inner.contains('{') {
                    return None;
                }
                let (arg, spec) = inner.split_once(':').unwrap_or((inner, ""));
                let arg = if arg.is_empty() {
                    next += 1;
                    ArgRef::Index(next - 1)
                } else if arg.bytes().all(|c| c.is_ascii_digit()) {
                    ArgRef::Index(arg.parse().ok()?)
                } else if is_ident(arg) {
                    ArgRef::Name(arg.to_owned())
                } else {
                    return None;
                };
                out.push(Hole {
                    arg,
                    spec: spec.to_owned(),
                    range: i..close + 1,
                });
                i = close + 1;
            }
            _ => i += 1,
        }
    }
    Some(out)
}

fn is_ident(s: &str) -> bool {
    let mut chars = s.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
        && s != "_"
}

/// A plain identifier usable as a field shorthand.
fn simple_ident(tokens: &[TokenTree]) -> Option<String> {
    let [tt @ TokenTree::Ident(_)] = tokens else {
        return None;
    };
    let ident = syn::parse2::<syn::Ident>(tt.clone().into()).ok()?;
    let name = ident.to_string();
    (!name.starts_with("r#")).then_some(name)
}

/// The field name an argument before the message records, if it can be told.
fn field_name(arg: &LogArg) -> Option<String> {
    match &arg.field {
        Some(tokens) => Some(tokens.iter().map(ToString::to_string).collect()),
        None => simple_ident(&arg.value),
    }
}

fn structured_fix(
    cx: &Cx<'_, '_>,
    args: &[LogArg],
    index: usize,
    lit: &syn::LitStr,
    holes: &[Hole],
) -> Option<Fix> {
    let format_args = args.get(index + 1..)?;
    let mut positional: Vec<&LogArg> = Vec::new();
    let mut named: Vec<(String, &LogArg)> = Vec::new();
    for arg in format_args {
        if arg.key.is_some() || arg.sigil.is_some() || arg.field_set {
            return None;
        }
        match &arg.field {
            Some(name) => named.push((simple_ident(name)?, arg)),
            None if named.is_empty() => positional.push(arg),
            None => return None,
        }
    }
    let mut used_positional = vec![false; positional.len()];
    let mut used_named = vec![false; named.len()];
    // (field name, text of the field).
    let mut fields: Vec<(String, String)> = Vec::new();
    for hole in holes {
        let sigil = match hole.spec.as_str() {
            "" => '%',
            "?" => '?',
            _ => return None,
        };
        let (name, value) = match &hole.arg {
            ArgRef::Index(n) => {
                let arg = positional.get(*n)?;
                used_positional[*n] = true;
                let ident = simple_ident(&arg.value)?;
                (ident.clone(), ident)
            }
            ArgRef::Name(name) => match named.iter().position(|(n, _)| n == name) {
                Some(i) => {
                    used_named[i] = true;
                    (name.clone(), simple_ident(&named[i].1.value)?)
                }
                // Captured from the surrounding scope.
                None => (name.clone(), name.clone()),
            },
        };
        let text = if name == value {
            format!("{sigil}{value}")
        } else {
            format!("{name} = {sigil}{value}")
        };
        match fields.iter().find(|(n, _)| *n == name) {
            Some((_, existing)) if *existing == text => {}
            Some(_) => return None,
            None => fields.push((name, text)),
        }
    }
    if used_positional.contains(&false) || used_named.contains(&false) {
        return None;
    }
    // A field recorded twice under one name is ambiguous; leave it to the author.
    for arg in &args[..index] {
        if arg.key.is_some() {
            continue;
        }
        if field_name(arg).is_some_and(|existing| fields.iter().any(|(n, _)| *n == existing)) {
            return None;
        }
    }
    let lit_range = cx.span_range(lit.span());
    let message = constant_message(cx.slice(lit_range.clone()), holes)?;
    let end = format_args
        .last()
        .map_or(lit_range.end, |arg| arg.range().end);
    let mut text: String = fields.iter().map(|(_, f)| format!("{f}, ")).collect();
    text.push_str(&message);
    Some(Fix::new(
        "Record the values as fields",
        Applicability::Unsafe,
        vec![Edit::replace(lit_range.start..end, text)],
    ))
}

/// The literal rewritten without its placeholders, or `None` when its source does
/// not match its value placeholder for placeholder or nothing would be left.
fn constant_message(source: &str, holes: &[Hole]) -> Option<String> {
    let (open, close, raw) = if source.starts_with('"') {
        ("\"".to_owned(), "\"".to_owned(), false)
    } else if let Some(rest) = source.strip_prefix('r') {
        let hashes = rest.bytes().take_while(|&c| c == b'#').count();
        let h = "#".repeat(hashes);
        (format!("r{h}\""), format!("\"{h}"), true)
    } else {
        return None;
    };
    let inner = source.strip_prefix(&open)?.strip_suffix(&close)?;
    let found = placeholders(inner, !raw)?;
    let same = found.len() == holes.len()
        && found
            .iter()
            .zip(holes)
            .all(|(a, b)| a.arg == b.arg && a.spec == b.spec);
    if !same {
        return None;
    }
    let ranges: Vec<Range<usize>> = found.into_iter().map(|h| h.range).collect();
    let text = without_holes(inner, &ranges, raw);
    if !text.chars().any(char::is_alphanumeric) {
        return None;
    }
    Some(format!("{open}{text}{close}"))
}

/// `inner` with the placeholder ranges removed, and what they leave behind tidied:
/// a `name=` label, a pair of quotes or brackets, doubled spaces, dangling
/// separators at either end.
fn without_holes(inner: &str, holes: &[Range<usize>], raw: bool) -> String {
    let quote = if raw { "\"" } else { "\\\"" };
    let pairs = [
        ("(", ")"),
        ("[", "]"),
        ("<", ">"),
        ("'", "'"),
        ("`", "`"),
        (quote, quote),
    ];
    let mut out = String::new();
    let mut pos = 0;
    for hole in holes {
        out.push_str(inner.get(pos..hole.start).unwrap_or(""));
        pos = hole.end;
        let rest = inner.get(pos..).unwrap_or("");
        if let Some((o, c)) = pairs
            .iter()
            .find(|(o, c)| out.ends_with(o) && rest.starts_with(c))
        {
            out.truncate(out.len() - o.len());
            pos += c.len();
        } else if out.ends_with('=') {
            let label = out[..out.len() - 1]
                .trim_end_matches(|c: char| c.is_alphanumeric() || matches!(c, '_' | '.' | '-'));
            if label.len() < out.len() - 1 {
                out.truncate(label.len());
            }
        }
        let rest = inner.get(pos..).unwrap_or("");
        let next_is_separator =
            rest.is_empty() || rest.starts_with(|c: char| " ,.:;!?".contains(c));
        if next_is_separator {
            let kept = out.trim_end_matches(' ').len();
            out.truncate(kept);
        }
        if out.is_empty() {
            pos += rest.len() - rest.trim_start_matches(' ').len();
        }
    }
    out.push_str(inner.get(pos..).unwrap_or(""));
    let junk = |c: char| c.is_whitespace() || ":,;=-".contains(c);
    out.trim_matches(junk).to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tidy(source: &str) -> Option<String> {
        let lit = syn::parse_str::<syn::LitStr>(source).ok()?;
        let holes = placeholders(&lit.value(), false)?;
        constant_message(source, &holes)
    }

    #[test]
    fn placeholders_are_parsed() {
        let holes = placeholders("a {} {{x}} {name:?} {0:>4} }}", false).unwrap_or_default();
        let args: Vec<ArgRef> = holes.into_iter().map(|h| h.arg).collect();
        assert_eq!(
            args,
            vec![
                ArgRef::Index(0),
                ArgRef::Name("name".into()),
                ArgRef::Index(0)
            ]
        );
        assert_eq!(placeholders("a } b", false), None);
        assert_eq!(placeholders("a {", false), None);
        assert_eq!(placeholders("{{}}", false), Some(Vec::new()));
    }

    #[test]
    fn messages_are_tidied() {
        assert_eq!(
            tidy("\"user {} logged in\"").as_deref(),
            Some("\"user logged in\"")
        );
        assert_eq!(
            tidy("\"done status={} elapsed={:?}\"").as_deref(),
            Some("\"done\"")
        );
        assert_eq!(
            tidy("\"cannot reach {host}: {err}\"").as_deref(),
            Some("\"cannot reach\"")
        );
        assert_eq!(
            tidy("\"user '{}' not found\"").as_deref(),
            Some("\"user not found\"")
        );
        assert_eq!(
            tidy("\"order \\\"{}\\\" shipped\"").as_deref(),
            Some("\"order shipped\"")
        );
        assert_eq!(tidy("\"{}: {}\""), None);
        assert_eq!(tidy("\"{} \\u{7b}\""), None);
    }
}
