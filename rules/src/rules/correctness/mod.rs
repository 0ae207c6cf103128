//! Correctness rules: resources, time, identifiers and edge configuration that
//! work in development and fail in production.

pub mod client_per_request;
pub mod permissive_cors;
