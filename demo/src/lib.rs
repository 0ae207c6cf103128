//! Orders service: HTTP handlers, persistence and calls to partner APIs.

pub mod clients;
pub mod db;
pub mod error;
pub mod handlers;
pub mod jobs;
pub mod reports;
