//! Reliability rules: failures, timeouts, retries, backpressure.

pub mod missing_timeout;
pub mod unwrap_in_boundary;
