//! Start-up: configuration, database pool, router.

use std::net::SocketAddr;

use orders_demo::handlers;
use sqlx::postgres::PgPoolOptions;

#[tokio::main]
async fn main() {
    tracing_subscriber::fmt().json().init();

    // Failing fast before the service accepts traffic is fine: `main` is not a
    // boundary, so these unwraps are not reported.
    let url = std::env::var("DATABASE_URL").expect("DATABASE_URL must be set");
    let pool = PgPoolOptions::new().max_connections(20).connect(&url).await.unwrap();

    let app = handlers::router(pool);
    let addr: SocketAddr = "0.0.0.0:8080".parse().unwrap();
    let listener = tokio::net::TcpListener::bind(addr).await.unwrap();
    axum::serve(listener, app).await.unwrap();
}
