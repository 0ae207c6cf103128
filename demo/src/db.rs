//! Persistence helpers used by handlers and jobs.

use sqlx::PgPool;

const ORDERS_TABLE: &str = "orders";

/// Public API: callers get a typed error, never a panic.
pub async fn count_orders(pool: &PgPool) -> Result<i64, sqlx::Error> {
    // Only a constant is interpolated: reported as a design note, not an injection.
    let sql = format!("SELECT COUNT(*) FROM {}", ORDERS_TABLE);
    sqlx::query_scalar(&sql).fetch_one(pool).await
}

pub async fn delete_customer(pool: &PgPool, customer: &str) -> Result<u64, sqlx::Error> {
    let result = sqlx::query(&format!("DELETE FROM orders WHERE customer = '{customer}'"))
        .execute(pool)
        .await?;
    Ok(result.rows_affected())
}

pub async fn archive_before(pool: &PgPool, cutoff: &str) -> Result<u64, sqlx::Error> {
    let sql = "INSERT INTO orders_archive SELECT * FROM orders WHERE created_at < '".to_owned() + cutoff + "'";
    let result = sqlx::raw_sql(&sql).execute(pool).await?;
    Ok(result.rows_affected())
}

/// Clean: a bound parameter.
pub async fn orders_for(pool: &PgPool, customer: &str) -> Result<Vec<(i64,)>, sqlx::Error> {
    sqlx::query_as("SELECT id FROM orders WHERE customer = $1").bind(customer).fetch_all(pool).await
}

pub fn parse_limit(raw: &str) -> usize {
    // The reason is missing, so precept asks for one.
    // precept:allow(unwrap-in-boundary):
    raw.parse().unwrap()
}

pub fn default_page_size() -> usize {
    // A literal cannot fail to parse: not reported.
    "50".parse().unwrap()
}
