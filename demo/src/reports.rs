//! Reporting queries: only clean code, to show what precept leaves alone.

use sqlx::PgPool;

pub struct Report {
    pub rows: Vec<(String, i64)>,
}

/// Placeholders are generated, values are bound: reported at info level only.
pub async fn totals_for(pool: &PgPool, customers: &[String]) -> Result<Report, sqlx::Error> {
    let placeholders = (1..=customers.len()).map(|i| format!("${i}")).collect::<Vec<_>>().join(", ");
    let sql = format!("SELECT customer, SUM(total_cents) FROM orders WHERE customer IN ({placeholders}) GROUP BY customer");
    let mut query = sqlx::query_as(&sql);
    for c in customers {
        query = query.bind(c);
    }
    Ok(Report { rows: query.fetch_all(pool).await? })
}

pub fn describe(report: &Report) -> String {
    let lines: Vec<String> = report.rows.iter().map(|(c, t)| format!("{c}: {t}")).collect();
    lines.join("\n")
}
