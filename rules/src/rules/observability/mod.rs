//! Observability rules: output that should be structured log records.

pub mod print_logging;
pub mod unstructured_log;
