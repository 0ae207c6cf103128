//! Synthetic service code for benchmarks: handlers, queries, clients, structs,
//! impl blocks and a test module, in realistic proportions. Deterministic, so
//! figures are comparable between runs.

#![allow(dead_code)]

/// One unit of about 50 lines; `i` varies names and shapes.
fn unit(i: usize, out: &mut String) {
    use std::fmt::Write;
    let _ = write!(
        out,
        r#"
/// Order {i} as stored in the database.
#[derive(Debug, Clone, serde::Serialize, sqlx::FromRow)]
pub struct Order{i} {{
    pub id: i64,
    pub customer: String,
    pub total_cents: i64,
    pub status: Status{i},
}}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status{i} {{
    Open,
    Paid,
    Cancelled,
}}

impl Order{i} {{
    pub fn is_open(&self) -> bool {{
        matches!(self.status, Status{i}::Open)
    }}

    pub fn total(&self) -> f64 {{
        self.total_cents as f64 / 100.0
    }}
}}

pub async fn load_order_{i}(pool: &sqlx::PgPool, id: i64) -> Result<Option<Order{i}>, AppError> {{
    let row = sqlx::query_as::<_, Order{i}>("SELECT id, customer, total_cents, status FROM orders WHERE id = $1")
        .bind(id)
        .fetch_optional(pool)
        .await?;
    tracing::debug!(order_id = id, found = row.is_some(), "loaded order");
    Ok(row)
}}

async fn handler_{i}(State(pool): State<sqlx::PgPool>, Path(id): Path<i64>) -> Result<Json<Vec<i64>>, AppError> {{
    let orders: Vec<i64> = (0..{n})
        .filter(|x| x % 3 == {m})
        .map(|x| x * id)
        .collect();
    let label = format!("order {{}} of {{}}", id, orders.len());
    if label.is_empty() {{
        return Err(AppError::NotFound);
    }}
    match orders.first() {{
        Some(first) if *first > 10 => tracing::info!(first, "large"),
        Some(_) => {{}}
        None => tracing::warn!("empty"),
    }}
    Ok(Json(orders))
}}
"#,
        n = 10 + i % 7,
        m = i % 3
    );
}

/// A file of about `lines` lines.
pub fn file(lines: usize) -> String {
    let mut out = String::from("//! Generated benchmark input.\n\nuse axum::extract::{Path, State};\nuse axum::Json;\n\nuse crate::error::AppError;\n");
    let mut i = 0;
    while out.lines().count() < lines {
        unit(i, &mut out);
        i += 1;
    }
    out.push_str("\n#[cfg(test)]\nmod tests {\n    #[test]\n    fn works() {\n        assert_eq!(1 + 1, 2);\n    }\n}\n");
    out
}

/// The offset of a spot inside a function body near the middle of `text`, where a
/// one-character edit changes exactly one item.
pub fn edit_point(text: &str) -> usize {
    let mid = text.len() / 2;
    let at = text[mid..]
        .find("let label = format!")
        .map_or(mid, |i| mid + i);
    at + "let label".len()
}
