//! ## What it does
//! Flags SQL literals passed to a SQL execution call (the calls `sql-injection`
//! knows: `sqlx::query`, `query_as`, `query_scalar`, `raw_sql`, `diesel::sql_query`,
//! `sea_orm::Statement::from_string`, and the driver methods of tokio-postgres,
//! postgres, rusqlite and mysql) whose outermost query is `SELECT *` (or
//! `SELECT t.*`).
//!
//! Not flagged: `COUNT(*)`, `EXISTS (SELECT * …)` and other subqueries, the bodies
//! of `WITH` clauses, and `RETURNING *`.
//!
//! ## Why is this bad?
//! `SELECT *` fetches every column whether the code needs it or not: more bytes
//! from the database, no covering index, and a query whose result changes shape
//! when someone adds a column — a new `TEXT` blob column slows every caller, and a
//! positional row mapping silently reads the wrong column. Naming the columns
//! documents what the code depends on.
//!
//! ## Example
//! ```rust
//! pub async fn users(pool: &sqlx::PgPool) -> sqlx::Result<Vec<sqlx::postgres::PgRow>> {
//!     sqlx::query("SELECT * FROM users").fetch_all(pool).await
//! }
//! ```
//!
//! Use instead:
//! ```rust
//! pub async fn users(pool: &sqlx::PgPool) -> sqlx::Result<Vec<sqlx::postgres::PgRow>> {
//!     sqlx::query("SELECT id, email FROM users").fetch_all(pool).await
//! }
//! ```

use crate::rule::{Category, FixAvailability, Level, RuleMeta};
use crate::rules::security::sql_injection::sql_call_argument;
use crate::rules::util::node_range;
use crate::walk::{Cx, Rule, Sink};

pub struct SelectStar;

pub static META: RuleMeta = RuleMeta {
    id: "select-star",
    category: Category::Security,
    default_level: Level::Hint,
    standard: "Fetch only the columns you need.",
    summary: "query selects every column with `SELECT *`",
    fix: FixAvailability::None,
    clippy_lints: &[],
    source: include_str!("select_star.rs"),
};

impl Rule for SelectStar {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check_expr(&self, cx: &Cx<'_, '_>, expr: &syn::Expr, out: &mut Sink<'_>) {
        if cx.skip_by_default() {
            return;
        }
        let Some((arg, _)) = sql_call_argument(cx, expr) else {
            return;
        };
        let Some(lit) = str_lit(arg) else { return };
        if selects_star(&lit.value()) {
            out.report(
                node_range(lit),
                "query selects every column with `SELECT *`; name the columns the code uses",
            );
        }
    }
}

/// SQL tokens: words, `*`, `.`, parentheses and commas, with comments and string
/// literals dropped.
fn tokens(sql: &str) -> Vec<String> {
    let mut out = Vec::new();
    let chars: Vec<char> = sql.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c == '-' && chars.get(i + 1) == Some(&'-') {
            while i < chars.len() && chars[i] != '\n' {
                i += 1;
            }
        } else if c == '/' && chars.get(i + 1) == Some(&'*') {
            i += 2;
            while i + 1 < chars.len() && !(chars[i] == '*' && chars[i + 1] == '/') {
                i += 1;
            }
            i += 2;
        } else if c == '\'' || c == '"' || c == '`' {
            i += 1;
            while i < chars.len() && chars[i] != c {
                i += 1;
            }
            out.push("'".to_owned());
            i += 1;
        } else if c.is_alphanumeric() || c == '_' || c == '$' {
            let start = i;
            while i < chars.len()
                && (chars[i].is_alphanumeric() || chars[i] == '_' || chars[i] == '$')
            {
                i += 1;
            }
            out.push(
                chars[start..i]
                    .iter()
                    .collect::<String>()
                    .to_ascii_uppercase(),
            );
        } else {
            if !c.is_whitespace() {
                out.push(c.to_string());
            }
            i += 1;
        }
    }
    out
}

/// Whether the outermost query's select list starts with `*` or `t.*`.
fn selects_star(sql: &str) -> bool {
    let toks = tokens(sql);
    let mut i = 0;
    // Leading parentheses around the whole query.
    while toks.get(i).is_some_and(|t| t == "(") {
        i += 1;
    }
    if toks.get(i).is_some_and(|t| t == "WITH") {
        // Skip the common table expressions to the statement at depth 0.
        let mut depth = 0i32;
        i += 1;
        loop {
            let Some(t) = toks.get(i) else { return false };
            match t.as_str() {
                "(" => depth += 1,
                ")" => depth -= 1,
                "SELECT" | "INSERT" | "UPDATE" | "DELETE" | "MERGE" if depth == 0 => break,
                _ => {}
            }
            i += 1;
        }
    }
    if toks.get(i).is_none_or(|t| t != "SELECT") {
        return false;
    }
    i += 1;
    if toks.get(i).is_some_and(|t| t == "DISTINCT" || t == "ALL") {
        i += 1;
    }
    match toks.get(i).map(String::as_str) {
        Some("*") => true,
        Some(_) => {
            toks.get(i + 1).is_some_and(|t| t == ".") && toks.get(i + 2).is_some_and(|t| t == "*")
        }
        None => false,
    }
}

/// The string literal an expression is, through the conversions this rule accepts.
fn str_lit(expr: &syn::Expr) -> Option<&syn::LitStr> {
    crate::rules::util::str_literal(expr, &[], Some(&[]))
}

#[cfg(test)]
mod tests {
    use super::selects_star;

    #[test]
    fn outermost_select_star() {
        assert!(selects_star("SELECT * FROM users"));
        assert!(selects_star("  select distinct u.* from users u"));
        assert!(selects_star("WITH a AS (SELECT id FROM t) SELECT * FROM a"));
        assert!(!selects_star("SELECT COUNT(*) FROM users"));
        assert!(!selects_star("SELECT EXISTS (SELECT * FROM users)"));
        assert!(!selects_star("SELECT id FROM (SELECT * FROM users) s"));
        assert!(!selects_star(
            "WITH a AS (SELECT * FROM t) SELECT id FROM a"
        ));
        assert!(!selects_star("INSERT INTO t (a) VALUES ($1) RETURNING *"));
        assert!(!selects_star("SELECT a * b FROM t"));
    }
}
