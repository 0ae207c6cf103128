//! Correctness rules: resources, time, identifiers and edge configuration that
//! work in development and fail in production.

pub mod client_per_request;
pub mod error_source_discarded;
pub mod local_time;
pub mod permissive_cors;
pub mod uuid_v4_id;
pub mod wall_clock_duration;
