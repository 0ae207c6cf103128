//! Security rules: injection, secrets, transport.

pub mod sql_injection;
