//! HTTP handlers for orders.

use axum::extract::{Path, Query, State};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use sqlx::PgPool;

use crate::error::AppError;

#[derive(Serialize, sqlx::FromRow)]
pub struct Order {
    pub id: i64,
    pub customer: String,
    pub total_cents: i64,
}

#[derive(Deserialize)]
pub struct Search {
    pub customer: String,
    pub sort: Option<String>,
}

#[derive(Deserialize)]
pub struct NewOrder {
    pub customer: String,
    pub total_cents: i64,
}

pub fn router(pool: PgPool) -> Router {
    Router::new()
        .route("/orders", get(search_orders).post(create_order))
        .route("/orders/{id}", get(get_order))
        .route("/health", get(health))
        .route("/orders/{id}/cancel", post(cancel_order))
        .with_state(pool)
}

async fn health() -> &'static str {
    "ok"
}

/// Clean: values are bound, errors are returned.
async fn get_order(State(pool): State<PgPool>, Path(id): Path<i64>) -> Result<Json<Order>, AppError> {
    let order = sqlx::query_as::<_, Order>("SELECT id, customer, total_cents FROM orders WHERE id = $1")
        .bind(id)
        .fetch_optional(&pool)
        .await?
        .ok_or(AppError::NotFound)?;
    Ok(Json(order))
}

async fn search_orders(
    State(pool): State<PgPool>,
    Query(search): Query<Search>,
) -> Result<Json<Vec<Order>>, AppError> {
    // The customer name comes straight from the query string.
    let orders = sqlx::query_as::<_, Order>(&format!(
        "SELECT id, customer, total_cents FROM orders WHERE customer = '{}'",
        search.customer
    ))
    .fetch_all(&pool)
    .await?;
    let sort = search.sort.as_deref().unwrap_or("id");
    let mut sql = String::from("SELECT id, customer, total_cents FROM orders ORDER BY ");
    sql.push_str(sort);
    let sorted = sqlx::query_as::<_, Order>(&sql).fetch_all(&pool).await.unwrap();
    Ok(Json(if sorted.is_empty() { orders } else { sorted }))
}

async fn create_order(State(pool): State<PgPool>, Json(new): Json<NewOrder>) -> Result<Json<i64>, AppError> {
    let id: i64 = sqlx::query_scalar(&format!(
        "INSERT INTO orders (customer, total_cents) VALUES ('{}', {}) RETURNING id",
        new.customer, new.total_cents
    ))
    .fetch_one(&pool)
    .await
    .expect("insert failed");
    Ok(Json(id))
}

async fn cancel_order(State(pool): State<PgPool>, Path(id): Path<i64>) -> Json<bool> {
    let done = sqlx::query("UPDATE orders SET status = 'cancelled' WHERE id = $1")
        .bind(id)
        .execute(&pool)
        .await
        .unwrap();
    Json(done.rows_affected() == 1)
}
