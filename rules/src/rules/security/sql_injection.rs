//! ## What it does
//! Flags SQL execution calls whose SQL text is assembled at run time — with
//! `format!`, `+` or `push_str` concatenation, `concat!` of non-literals, or sqlx
//! 0.9's `AssertSqlSafe(format!(..))` — either directly in the call or through a
//! local variable built that way in the same function.
//!
//! Calls recognised: `sqlx::query`, `query_as`, `query_scalar`, `raw_sql`,
//! `QueryBuilder::new` and `.push(..)` on a query builder, `diesel::sql_query`,
//! `diesel::dsl::sql`, `sea_orm::Statement::from_string`, and the `execute`,
//! `query`, `query_one`, `query_opt`, `prepare`, `batch_execute`, `simple_query`,
//! `query_row` and `execute_batch` methods in crates that use tokio-postgres,
//! postgres, rusqlite or mysql. The literal part of the text must start like a SQL
//! statement (`SELECT`, `INSERT`, `UPDATE`, `DELETE`, `WITH`, `MERGE`, `UPSERT`,
//! `CREATE`, `ALTER`, `DROP`, `TRUNCATE`).
//!
//! Reported at `info` instead, as a design note rather than an injection: text whose
//! interpolated values are all constants or literals (a table name from a `const`),
//! or a placeholder list built from `$1, $2, …` or `?`; interpolations in an
//! identifier or fragment position, which no bind parameter can replace
//! (`FROM {table}`, `users_active_{suffix}`, `r.{func}(..)`, `({where_clause})`;
//! a quoted `'{}'` is always a value); and DDL (`CREATE`, `ALTER`, `DROP`,
//! `TRUNCATE`), which takes no bind parameters at all.
//!
//! ## Why is this bad?
//! A value spliced into SQL text is parsed as SQL. Whoever controls the value
//! controls the query: `' OR '1'='1` reads every row, `'; DROP TABLE users; --`
//! does worse. Bind parameters send values separately from the statement, so no
//! value can change what the statement does. They also let the database reuse the
//! query plan.
//!
//! ## Example
//! ```rust
//! pub async fn find(pool: &sqlx::PgPool, name: &str) -> sqlx::Result<sqlx::postgres::PgRow> {
//!     sqlx::query(&format!("SELECT * FROM users WHERE name = '{}'", name))
//!         .fetch_one(pool)
//!         .await
//! }
//! ```
//!
//! Use instead:
//! ```rust
//! pub async fn find(pool: &sqlx::PgPool, name: &str) -> sqlx::Result<sqlx::postgres::PgRow> {
//!     sqlx::query("SELECT * FROM users WHERE name = $1")
//!         .bind(name)
//!         .fetch_one(pool)
//!         .await
//! }
//! ```
//!
//! ## Fix safety
//! For sqlx calls whose argument is a `format!`, the fix moves each interpolated
//! value into a `.bind(..)` and puts a placeholder in its place — `$1, $2, …` for
//! Postgres, `?` for MySQL and SQLite — removing the quotes around it (`'{}'`). The
//! dialect comes from `sql.dialect` in the configuration, else from sqlx's database
//! features in Cargo.toml; with neither, no fix is offered. It is unsafe: a bound
//! value is typed, so a value that was formatted as text may now need a cast, and an
//! interpolated identifier (a column name) cannot be bound at all.

use std::collections::HashMap;
use std::ops::Range;

use syn::punctuated::Punctuated;
use syn::visit::Visit;

use crate::config::SqlDialect;
use crate::rule::{Applicability, Category, Edit, Finding, Fix, FixAvailability, Level, RuleMeta};
use crate::rules::util::{call_range, chain, is_const_name, method_call_range, node_range};
use crate::walk::{Cx, Rule, Sink};

pub struct SqlInjection;

pub static META: RuleMeta = RuleMeta {
    id: "sql-injection",
    category: Category::Security,
    default_level: Level::Error,
    standard: "Parameterised queries only; never build SQL from strings.",
    summary: "SQL text built from runtime values",
    fix: FixAvailability::Sometimes,
    clippy_lints: &[],
    source: include_str!("sql_injection.rs"),
};

const STATEMENT_KEYWORDS: &[&str] = &[
    "SELECT", "INSERT", "UPDATE", "DELETE", "WITH", "MERGE", "UPSERT", "CREATE", "ALTER", "DROP",
    "TRUNCATE",
];

/// Query builders receive fragments, so clause keywords count there too.
const CLAUSE_KEYWORDS: &[&str] = &[
    "WHERE", "AND", "OR", "SET", "VALUES", "FROM", "ORDER", "GROUP", "LIMIT", "OFFSET", "JOIN",
    "ON", "IN", "HAVING",
];

const DRIVER_METHODS: &[&str] = &[
    "execute",
    "query",
    "query_one",
    "query_opt",
    "prepare",
    "batch_execute",
    "simple_query",
    "query_row",
    "execute_batch",
];

const DRIVER_CRATES: &[&str] = &[
    "tokio-postgres",
    "tokio_postgres",
    "postgres",
    "rusqlite",
    "mysql",
    "mysql_async",
];

impl Rule for SqlInjection {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check_expr(&self, cx: &Cx<'_, '_>, expr: &syn::Expr, out: &mut Sink<'_>) {
        if cx.skip_by_default() {
            return;
        }
        match expr {
            syn::Expr::Call(call) => check_fn_call(cx, call, out),
            syn::Expr::MethodCall(mc) => check_method_call(cx, mc, out),
            _ => {}
        }
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Target {
    /// sqlx::query / query_as / query_scalar: the bind fix applies.
    SqlxQuery,
    Other,
    Builder,
}

/// The SQL text argument of a SQL execution call and the call's range, for rules
/// that inspect query text (`select-star`). Query-builder `.push(..)` fragments are
/// not whole queries and are left out.
pub(crate) fn sql_call_argument<'e>(
    cx: &Cx<'_, '_>,
    expr: &'e syn::Expr,
) -> Option<(&'e syn::Expr, Range<usize>)> {
    match expr {
        syn::Expr::Call(call) => {
            let (target, index) = fn_call_target(cx, call)?;
            if target == Target::Builder {
                return None;
            }
            Some((call.args.iter().nth(index)?, call_range(call)))
        }
        syn::Expr::MethodCall(mc) => {
            let method = mc.method.to_string();
            let driver = DRIVER_METHODS.contains(&method.as_str())
                && DRIVER_CRATES.iter().any(|c| cx.file.crate_facts.has_dep(c));
            if !driver {
                return None;
            }
            Some((mc.args.first()?, method_call_range(mc)))
        }
        _ => None,
    }
}

/// Which SQL function a call is, and the index of its SQL argument.
fn fn_call_target(cx: &Cx<'_, '_>, call: &syn::ExprCall) -> Option<(Target, usize)> {
    let path = cx.resolve_call(call)?;
    Some(
        if path.is(&["sqlx", "query"])
            || path.is(&["sqlx", "query_as"])
            || path.is(&["sqlx", "query_scalar"])
        {
            (Target::SqlxQuery, 0)
        } else if path.is(&["sqlx", "raw_sql"])
            || path.is(&["diesel", "sql_query"])
            || path.is(&["diesel", "dsl", "sql"])
            || path.is(&["diesel", "expression", "dsl", "sql"])
        {
            (Target::Other, 0)
        } else if path.is(&["sqlx", "QueryBuilder", "new"]) {
            (Target::Builder, 0)
        } else if path.is(&["sea_orm", "Statement", "from_string"]) {
            (Target::Other, 1)
        } else {
            return None;
        },
    )
}

fn check_fn_call(cx: &Cx<'_, '_>, call: &syn::ExprCall, out: &mut Sink<'_>) {
    let Some((target, arg_index)) = fn_call_target(cx, call) else {
        return;
    };
    let Some(arg) = call.args.iter().nth(arg_index) else {
        return;
    };
    let range = call_range(call);
    report(cx, arg, target, range, Some(call), out);
}

fn check_method_call(cx: &Cx<'_, '_>, mc: &syn::ExprMethodCall, out: &mut Sink<'_>) {
    let method = mc.method.to_string();
    let Some(arg) = mc.args.first() else { return };
    if method == "push" {
        if is_query_builder(cx, &mc.receiver, mc.method.span().byte_range().start) {
            report(cx, arg, Target::Builder, method_call_range(mc), None, out);
        }
        return;
    }
    if DRIVER_METHODS.contains(&method.as_str())
        && DRIVER_CRATES.iter().any(|c| cx.file.crate_facts.has_dep(c))
    {
        report(cx, arg, Target::Other, method_call_range(mc), None, out);
    }
}

/// The receiver is `QueryBuilder::new(..)` (possibly through a chain) or a local
/// bound to one.
fn is_query_builder(cx: &Cx<'_, '_>, receiver: &syn::Expr, at: usize) -> bool {
    let (_, base) = chain(receiver);
    match base {
        syn::Expr::Call(c) => cx
            .resolve_call(c)
            .is_some_and(|p| p.is(&["sqlx", "QueryBuilder", "new"])),
        syn::Expr::Path(p) => {
            let Some(name) = p.path.get_ident() else {
                return false;
            };
            match cx.binding(&name.to_string(), at) {
                Some(init) => match chain(init).1 {
                    syn::Expr::Call(c) => cx
                        .resolve_call(c)
                        .is_some_and(|p| p.is(&["sqlx", "QueryBuilder", "new"])),
                    _ => false,
                },
                None => false,
            }
        }
        _ => false,
    }
}

/// What an interpolated value is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Interp {
    /// A literal or a constant: cannot carry input.
    Constant,
    /// A list of `$n`/`?` placeholders.
    Placeholders,
    /// In an identifier or SQL-fragment position (`FROM {table}`, `users_{suffix}`,
    /// `({where_clause})`): it cannot be a bind parameter, so it is not reported
    /// as an injection.
    Identifier,
    /// Anything else: may carry input.
    Value,
}

/// SQL text assembled from pieces.
#[derive(Default, Debug)]
struct Built {
    /// The literal pieces, in order.
    literal: String,
    interps: Vec<Interp>,
    /// How it is assembled, for the message.
    how: &'static str,
}

fn report(
    cx: &Cx<'_, '_>,
    arg: &syn::Expr,
    target: Target,
    range: Range<usize>,
    call: Option<&syn::ExprCall>,
    out: &mut Sink<'_>,
) {
    let Some(built) = classify(cx, arg, 0) else {
        return;
    };
    if built.interps.is_empty() || !looks_like_sql(&built.literal, target == Target::Builder) {
        return;
    }
    // DDL (`CREATE`, `ALTER`, `DROP`, `TRUNCATE`) cannot take bind parameters at
    // all, so its interpolations are a design note, not an injection to fix.
    let ddl = matches!(
        first_keyword(&built.literal).as_str(),
        "CREATE" | "ALTER" | "DROP" | "TRUNCATE"
    );
    let dangerous = built.interps.contains(&Interp::Value) && !ddl;
    if ddl && built.interps.contains(&Interp::Value) {
        let message = format!(
            "DDL built with {} from runtime values; DDL cannot take bind parameters, so check them against a fixed allow-list",
            built.how
        );
        out.report(range, message).level = Level::Info;
    } else if dangerous {
        let message = format!(
            "SQL built with {} from runtime values; pass them as bind parameters",
            built.how
        );
        let finding = out.report(range, message);
        if target == Target::SqlxQuery {
            if let Some(call) = call {
                bind_fix(cx, arg, call, finding);
            }
        }
    } else if built.interps.contains(&Interp::Identifier) {
        let message = format!(
            "SQL built with {} from dynamic identifiers or fragments; make sure they come from a fixed allow-list",
            built.how
        );
        out.report(range, message).level = Level::Info;
    } else {
        let message = format!(
            "SQL built with {} from constants; prefer a fixed query string so the text is reviewable",
            built.how
        );
        out.report(range, message).level = Level::Info;
    }
}

fn first_keyword(literal: &str) -> String {
    literal
        .trim_start_matches(|c: char| c.is_whitespace() || c == '(')
        .chars()
        .take_while(|c| c.is_ascii_alphabetic())
        .collect::<String>()
        .to_ascii_uppercase()
}

fn looks_like_sql(literal: &str, fragment_ok: bool) -> bool {
    let first_word = first_keyword(literal);
    STATEMENT_KEYWORDS.contains(&first_word.as_str())
        || (fragment_ok && CLAUSE_KEYWORDS.contains(&first_word.as_str()))
}

/// Strip what does not change the text: `&`, `(..)`, `.as_str()`, `.to_string()` …
fn peel_text(expr: &syn::Expr) -> &syn::Expr {
    match expr {
        syn::Expr::Reference(r) => peel_text(&r.expr),
        syn::Expr::Paren(p) => peel_text(&p.expr),
        syn::Expr::Group(g) => peel_text(&g.expr),
        syn::Expr::Unary(u) if matches!(u.op, syn::UnOp::Deref(_)) => peel_text(&u.expr),
        syn::Expr::MethodCall(m)
            if m.args.is_empty()
                && matches!(
                    m.method.to_string().as_str(),
                    "as_str" | "as_ref" | "to_string" | "to_owned" | "into" | "clone" | "as_bytes"
                ) =>
        {
            peel_text(&m.receiver)
        }
        syn::Expr::Call(c) if c.args.len() == 1 => match &*c.func {
            syn::Expr::Path(p)
                if p.path
                    .segments
                    .last()
                    .is_some_and(|s| s.ident == "AssertSqlSafe" || s.ident == "from")
                    && p.path.segments.iter().all(|s| s.ident != "Statement") =>
            {
                c.args.first().map_or(expr, peel_text)
            }
            _ => expr,
        },
        _ => expr,
    }
}

fn classify(cx: &Cx<'_, '_>, expr: &syn::Expr, depth: usize) -> Option<Built> {
    if depth > 4 {
        return None;
    }
    let expr = peel_text(expr);
    match expr {
        syn::Expr::Lit(syn::ExprLit {
            lit: syn::Lit::Str(s),
            ..
        }) => Some(Built {
            literal: s.value(),
            interps: Vec::new(),
            how: "literals",
        }),
        syn::Expr::Macro(m) => classify_macro(cx, &m.mac),
        syn::Expr::Binary(b) if matches!(b.op, syn::BinOp::Add(_)) => {
            let mut out = Built {
                how: "string concatenation",
                ..Built::default()
            };
            for side in [&*b.left, &*b.right] {
                match classify(cx, side, depth + 1) {
                    Some(part) => {
                        out.literal.push_str(&part.literal);
                        out.interps.extend(part.interps);
                    }
                    None => out.interps.push(interp_kind(cx, side)),
                }
            }
            Some(out)
        }
        syn::Expr::Path(p) => {
            let name = p.path.get_ident()?.to_string();
            let at = node_range(expr).start;
            let init = cx.binding(&name, at)?;
            let mut built = classify(cx, init, depth + 1)?;
            // `sql.push_str(..)` / `sql += ..` later in the function.
            if let Some(body) = cx.fn_body() {
                let mut m = Mutations {
                    name: &name,
                    before: at,
                    found: Vec::new(),
                };
                m.visit_block(body);
                for piece in m.found {
                    match classify(cx, piece, depth + 1) {
                        Some(part) => {
                            built.literal.push_str(&part.literal);
                            built.interps.extend(part.interps);
                        }
                        None => {
                            built.interps.push(interp_kind(cx, piece));
                            built.how = "string concatenation";
                        }
                    }
                }
            }
            Some(built)
        }
        _ => None,
    }
}

/// Pieces appended to a local string before a given offset.
struct Mutations<'n, 'ast> {
    name: &'n str,
    before: usize,
    found: Vec<&'ast syn::Expr>,
}

impl<'ast> Visit<'ast> for Mutations<'_, 'ast> {
    fn visit_expr_method_call(&mut self, m: &'ast syn::ExprMethodCall) {
        if m.method == "push_str"
            && is_name(&m.receiver, self.name)
            && m.method.span().byte_range().start < self.before
        {
            if let Some(arg) = m.args.first() {
                self.found.push(arg);
            }
        }
        syn::visit::visit_expr_method_call(self, m);
    }

    fn visit_expr_binary(&mut self, b: &'ast syn::ExprBinary) {
        if matches!(b.op, syn::BinOp::AddAssign(_))
            && is_name(&b.left, self.name)
            && node_range(&*b.left).start < self.before
        {
            self.found.push(&b.right);
        }
        syn::visit::visit_expr_binary(self, b);
    }
}

fn is_name(expr: &syn::Expr, name: &str) -> bool {
    matches!(expr, syn::Expr::Path(p) if p.path.is_ident(name))
}

fn interp_kind(cx: &Cx<'_, '_>, expr: &syn::Expr) -> Interp {
    let expr = peel_text(expr);
    match expr {
        syn::Expr::Lit(_) => Interp::Constant,
        syn::Expr::Path(p) => {
            let Some(last) = p.path.segments.last() else {
                return Interp::Value;
            };
            let name = last.ident.to_string();
            if is_const_name(&name) {
                return Interp::Constant;
            }
            if p.path.segments.len() == 1 {
                if let Some(init) = cx.binding(&name, node_range(expr).start) {
                    if is_placeholder_list(init) {
                        return Interp::Placeholders;
                    }
                    if matches!(peel_text(init), syn::Expr::Lit(_)) {
                        return Interp::Constant;
                    }
                }
            }
            Interp::Value
        }
        other if is_placeholder_list(other) => Interp::Placeholders,
        _ => Interp::Value,
    }
}

/// `(1..=n).map(|i| format!("${i}")).collect::<Vec<_>>().join(", ")`, `vec!["?"; n].join(",")`,
/// `"?,".repeat(n)`: text made only of placeholders.
fn is_placeholder_list(expr: &syn::Expr) -> bool {
    struct Lits {
        placeholder: bool,
        other: bool,
        joins: bool,
    }
    impl<'ast> Visit<'ast> for Lits {
        fn visit_lit_str(&mut self, s: &'ast syn::LitStr) {
            let v = s.value();
            let mut stripped = String::new();
            let mut depth = 0;
            for c in v.chars() {
                match c {
                    '{' => depth += 1,
                    '}' => depth -= 1,
                    _ if depth > 0 => {}
                    _ => stripped.push(c),
                }
            }
            let is_ph = stripped.contains(['$', '?'])
                && stripped
                    .chars()
                    .all(|c| matches!(c, '$' | '?' | ',' | ' ' | '(' | ')') || c.is_ascii_digit());
            let separator = stripped.chars().all(|c| matches!(c, ',' | ' '));
            if is_ph {
                self.placeholder = true;
            } else if !separator {
                self.other = true;
            }
        }
        fn visit_expr_method_call(&mut self, m: &'ast syn::ExprMethodCall) {
            if m.method == "join" || m.method == "repeat" {
                self.joins = true;
            }
            syn::visit::visit_expr_method_call(self, m);
        }
        fn visit_macro(&mut self, mac: &'ast syn::Macro) {
            if let Ok(args) =
                mac.parse_body_with(Punctuated::<syn::Expr, syn::Token![,]>::parse_terminated)
            {
                for a in &args {
                    self.visit_expr(a);
                }
            } else if let Ok(e) = mac.parse_body::<syn::Expr>() {
                self.visit_expr(&e);
            } else if let Ok(lit) = syn::parse2::<syn::LitStr>(
                mac.tokens
                    .clone()
                    .into_iter()
                    .take_while(
                        |t| !matches!(t, proc_macro2::TokenTree::Punct(p) if p.as_char() == ';'),
                    )
                    .collect(),
            ) {
                self.visit_lit_str(&lit);
            }
        }
    }
    let mut l = Lits {
        placeholder: false,
        other: false,
        joins: false,
    };
    l.visit_expr(expr);
    l.placeholder && !l.other && l.joins
}

/// A parsed `format!` call: its string literal and arguments.
struct FormatCall {
    lit: syn::LitStr,
    positional: Vec<syn::Expr>,
    named: HashMap<String, syn::Expr>,
}

fn parse_format(mac: &syn::Macro) -> Option<FormatCall> {
    let args = mac
        .parse_body_with(Punctuated::<syn::Expr, syn::Token![,]>::parse_terminated)
        .ok()?;
    let mut iter = args.into_iter();
    let syn::Expr::Lit(syn::ExprLit {
        lit: syn::Lit::Str(lit),
        ..
    }) = iter.next()?
    else {
        return None;
    };
    let mut positional = Vec::new();
    let mut named = HashMap::new();
    for a in iter {
        match a {
            syn::Expr::Assign(assign) => {
                if let syn::Expr::Path(p) = &*assign.left {
                    if let Some(id) = p.path.get_ident() {
                        named.insert(id.to_string(), *assign.right);
                        continue;
                    }
                }
                positional.push(syn::Expr::Assign(assign));
            }
            other => positional.push(other),
        }
    }
    Some(FormatCall {
        lit,
        positional,
        named,
    })
}

/// One `{..}` in a format string.
struct Placeholder {
    /// Byte range in the literal's value.
    range: Range<usize>,
    arg: ArgRef,
    has_spec: bool,
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
enum ArgRef {
    Index(usize),
    Name(String),
}

/// Parse the placeholders of a format string value. `None` when it is malformed.
fn placeholders(value: &str) -> Option<Vec<Placeholder>> {
    let bytes = value.as_bytes();
    let mut out = Vec::new();
    let mut next = 0usize;
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'{' if bytes.get(i + 1) == Some(&b'{') => i += 2,
            b'}' if bytes.get(i + 1) == Some(&b'}') => i += 2,
            b'{' => {
                let close = value[i..].find('}')? + i;
                let inner = &value[i + 1..close];
                let (name, spec) = match inner.find(':') {
                    Some(c) => (&inner[..c], Some(&inner[c + 1..])),
                    None => (inner, None),
                };
                let name = name.trim();
                let arg = if name.is_empty() {
                    next += 1;
                    ArgRef::Index(next - 1)
                } else if let Ok(n) = name.parse::<usize>() {
                    ArgRef::Index(n)
                } else {
                    ArgRef::Name(name.to_owned())
                };
                out.push(Placeholder {
                    range: i..close + 1,
                    arg,
                    has_spec: spec.is_some_and(|s| !s.is_empty()),
                });
                i = close + 1;
            }
            _ => i += 1,
        }
    }
    Some(out)
}

fn classify_macro(cx: &Cx<'_, '_>, mac: &syn::Macro) -> Option<Built> {
    let name = mac.path.segments.last()?.ident.to_string();
    match name.as_str() {
        "format" => {
            let f = parse_format(mac)?;
            let value = f.lit.value();
            let phs = placeholders(&value)?;
            let mut literal = String::new();
            let mut last = 0;
            let mut interps = Vec::new();
            for ph in &phs {
                literal.push_str(&value[last..ph.range.start]);
                last = ph.range.end;
                let kind = match &ph.arg {
                    ArgRef::Index(i) => f
                        .positional
                        .get(*i)
                        .map_or(Interp::Value, |e| interp_kind(cx, e)),
                    ArgRef::Name(n) => match f.named.get(n) {
                        Some(e) => interp_kind(cx, e),
                        None if is_const_name(n) => Interp::Constant,
                        None => {
                            let path: syn::Expr = syn::Expr::Path(syn::ExprPath {
                                attrs: Vec::new(),
                                qself: None,
                                path: syn::Ident::new(n, f.lit.span()).into(),
                            });
                            interp_kind(cx, &path)
                        }
                    },
                };
                let kind = if kind == Interp::Value
                    && is_identifier_position(&value, ph.range.clone(), &arg_hint(&f, &ph.arg))
                {
                    Interp::Identifier
                } else {
                    kind
                };
                interps.push(kind);
            }
            literal.push_str(&value[last..]);
            Some(Built {
                literal,
                interps,
                how: "`format!`",
            })
        }
        "concat" => {
            let args = mac
                .parse_body_with(Punctuated::<syn::Expr, syn::Token![,]>::parse_terminated)
                .ok()?;
            let mut out = Built {
                how: "`concat!`",
                ..Built::default()
            };
            for a in &args {
                match a {
                    syn::Expr::Lit(syn::ExprLit {
                        lit: syn::Lit::Str(s),
                        ..
                    }) => out.literal.push_str(&s.value()),
                    syn::Expr::Lit(_) => out.interps.push(Interp::Constant),
                    _ => out.interps.push(Interp::Value),
                }
            }
            Some(out)
        }
        _ => None,
    }
}

/// Keywords after which a name, not a value, follows.
const IDENTIFIER_KEYWORDS: &[&str] = &[
    "FROM", "JOIN", "UPDATE", "INTO", "TABLE", "EXISTS", "TRUNCATE", "BY", "AS",
];

/// The text of the argument behind a placeholder, for name hints.
fn arg_hint(f: &FormatCall, arg: &ArgRef) -> String {
    let expr = match arg {
        ArgRef::Index(i) => f.positional.get(*i),
        ArgRef::Name(n) => match f.named.get(n) {
            Some(e) => Some(e),
            None => return n.clone(),
        },
    };
    expr.map(|e| quote::ToTokens::to_token_stream(e).to_string())
        .unwrap_or_default()
}

/// A placeholder that stands for an identifier or a SQL fragment rather than a
/// value: glued to a name (`users_{}`, `r.{func}`, `{prefix}_count`), right after
/// `FROM`/`JOIN`/`UPDATE`/`INTO`/`TABLE`/`EXISTS`/`BY`/`AS`, or named like a
/// fragment (`where_clause`, `order_sql`, `table_name`). A quoted placeholder
/// (`'{}'`) is always a value.
fn is_identifier_position(value: &str, range: Range<usize>, hint: &str) -> bool {
    let before = &value[..range.start];
    let after = &value[range.end..];
    let prev = before.chars().next_back();
    let next = after.chars().next();
    if prev == Some('\'') || next == Some('\'') {
        return false;
    }
    let name_char = |c: char| c.is_ascii_alphanumeric() || c == '_' || c == '.' || c == '"';
    if prev.is_some_and(name_char) || next.is_some_and(name_char) {
        return true;
    }
    let word: String = before
        .trim_end()
        .chars()
        .rev()
        .take_while(char::is_ascii_alphabetic)
        .collect::<Vec<_>>()
        .into_iter()
        .rev()
        .collect::<String>()
        .to_ascii_uppercase();
    if IDENTIFIER_KEYWORDS.contains(&word.as_str()) {
        return true;
    }
    let hint = hint.to_ascii_lowercase();
    let last = hint
        .rsplit(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .find(|s| !s.is_empty())
        .unwrap_or("");
    ["clause", "_sql", "table", "table_name", "column", "columns"]
        .iter()
        .any(|suffix| last.ends_with(suffix))
}

/// The sqlx bind fix: placeholders in the text, values in `.bind(..)` calls.
fn bind_fix(cx: &Cx<'_, '_>, arg: &syn::Expr, call: &syn::ExprCall, finding: &mut Finding) {
    let Some(dialect) = dialect(cx) else { return };
    // Only a `format!` written directly as the argument (behind `&` or `.as_str()`).
    let syn::Expr::Macro(m) = peel_text(arg) else {
        return;
    };
    if m.mac
        .path
        .segments
        .last()
        .is_none_or(|s| s.ident != "format")
    {
        return;
    }
    let Some(f) = parse_format(&m.mac) else {
        return;
    };
    let lit_range = cx.span_range(f.lit.span());
    let source = cx.slice(lit_range.clone());
    // Work on the literal as written so escapes and raw-string hashes survive.
    let Some(phs) = placeholders(source) else {
        return;
    };
    if phs.is_empty() || phs.iter().any(|p| p.has_spec) {
        return;
    }
    let value = f.lit.value();
    if value.contains('?') || has_dollar_placeholder(&value) {
        return; // mixed with existing placeholders: numbering would be guesswork
    }
    let mut text = String::with_capacity(source.len());
    let mut binds: Vec<String> = Vec::new();
    let mut numbered: HashMap<ArgRef, usize> = HashMap::new();
    let mut last = 0;
    for ph in &phs {
        let mut before = unescape_braces(&source[last..ph.range.start]);
        let after_start = ph.range.end;
        // Inside a SQL string literal (an odd number of quotes so far), only a value
        // that is the whole literal (`'{}'`) can become a parameter; `'%{}%'` cannot.
        let inside_quotes = source[..ph.range.start].matches('\'').count() % 2 == 1;
        let quoted_before = before.ends_with('\'');
        let quoted_after = source[after_start..].starts_with('\'');
        if inside_quotes && !(quoted_before && quoted_after) {
            return;
        }
        if inside_quotes {
            before.pop();
        }
        text.push_str(&before);
        let expr_text = match &ph.arg {
            ArgRef::Index(i) => match f.positional.get(*i) {
                Some(e) => cx.slice(node_range(e)).to_owned(),
                None => return,
            },
            ArgRef::Name(n) => match f.named.get(n) {
                Some(e) => cx.slice(node_range(e)).to_owned(),
                None => n.clone(),
            },
        };
        if expr_text.is_empty() {
            return;
        }
        match dialect {
            SqlDialect::Postgres => {
                let n = match numbered.get(&ph.arg) {
                    Some(n) => *n,
                    None => {
                        binds.push(expr_text);
                        numbered.insert(ph.arg.clone(), binds.len());
                        binds.len()
                    }
                };
                text.push_str(&format!("${n}"));
            }
            _ => {
                binds.push(expr_text);
                text.push('?');
            }
        }
        last = if inside_quotes {
            after_start + 1
        } else {
            after_start
        };
    }
    text.push_str(&unescape_braces(&source[last..]));
    let arg_range = node_range(arg);
    let close = cx.span_range(call.paren_token.span.close()).end;
    let bind_calls: String = binds.iter().map(|b| format!(".bind({b})")).collect();
    finding.fix = Some(Fix::new(
        "Bind the values as query parameters",
        Applicability::Unsafe,
        vec![
            Edit::replace(arg_range, text),
            Edit::insert(close, bind_calls),
        ],
    ));
}

fn has_dollar_placeholder(value: &str) -> bool {
    value
        .as_bytes()
        .windows(2)
        .any(|w| w[0] == b'$' && w[1].is_ascii_digit())
}

fn unescape_braces(s: &str) -> String {
    s.replace("{{", "{").replace("}}", "}")
}

fn dialect(cx: &Cx<'_, '_>) -> Option<SqlDialect> {
    if let Some(d) = cx.file.config.sql_dialect {
        return Some(d);
    }
    let facts = cx.file.crate_facts;
    let found: Vec<SqlDialect> = [
        ("postgres", SqlDialect::Postgres),
        ("mysql", SqlDialect::MySql),
        ("sqlite", SqlDialect::Sqlite),
    ]
    .into_iter()
    .filter(|(feature, _)| facts.has_feature("sqlx", feature))
    .map(|(_, d)| d)
    .collect();
    match found.as_slice() {
        [one] => Some(*one),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholder_parsing() {
        let phs = placeholders("a {} b {{x}} {name} {0:?} {}").unwrap_or_default();
        assert_eq!(phs.len(), 4);
        assert_eq!(phs[0].arg, ArgRef::Index(0));
        assert_eq!(phs[1].arg, ArgRef::Name("name".into()));
        assert!(phs[2].has_spec);
        assert_eq!(phs[3].arg, ArgRef::Index(1));
    }

    #[test]
    fn sql_detection() {
        assert!(looks_like_sql("  SELECT * FROM t WHERE id = ", false));
        assert!(looks_like_sql("(select 1)", false));
        assert!(!looks_like_sql("failed to update user ", false));
        assert!(!looks_like_sql(" WHERE id = ", false));
        assert!(looks_like_sql(" WHERE id = ", true));
    }
}
