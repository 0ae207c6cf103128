//! Calls to partner APIs.

use std::time::Duration;

use reqwest::Client;
use serde::Deserialize;

#[derive(Deserialize)]
pub struct Rate {
    pub currency: String,
    pub rate: f64,
}

/// Clean: a client with a timeout, built once.
pub fn partner_client() -> Result<Client, reqwest::Error> {
    Client::builder().timeout(Duration::from_secs(5)).build()
}

pub fn shipping_client() -> Result<Client, reqwest::Error> {
    Client::builder().user_agent("orders/1.0").build()
}

pub async fn exchange_rate(currency: &str) -> Result<Rate, reqwest::Error> {
    let client = Client::new();
    client
        .get(format!("https://rates.example.com/v1/{currency}"))
        .send()
        .await?
        .json()
        .await
}

pub async fn ping_partner() -> Result<bool, reqwest::Error> {
    let response = reqwest::get("https://partner.example.com/health").await?;
    Ok(response.status().is_success())
}

pub async fn fraud_check(order_id: i64) -> Result<bool, tonic::transport::Error> {
    let _channel = tonic::transport::Endpoint::from_static("https://fraud.internal:50051").connect().await?;
    Ok(order_id > 0)
}

pub async fn inventory_socket() -> std::io::Result<tokio::net::TcpStream> {
    tokio::time::timeout(Duration::from_secs(3), tokio::net::TcpStream::connect("inventory:7000"))
        .await
        .map_err(|_| std::io::Error::from(std::io::ErrorKind::TimedOut))?
}

// precept:allow(missing-timeout): nothing here builds a client any more
pub fn user_agent() -> &'static str {
    "orders/1.0"
}
