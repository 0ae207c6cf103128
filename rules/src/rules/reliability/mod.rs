//! Reliability rules: failures, timeouts, retries, backpressure.

pub mod blocking_in_async;
pub mod detached_spawn;
pub mod missing_timeout;
pub mod swallowed_error;
pub mod unbounded_channel;
pub mod unbounded_retry;
pub mod unwrap_in_boundary;
