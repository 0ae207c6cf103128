//! Security rules: injection, secrets, transport.

pub mod debug_derive_secret;
pub mod hardcoded_secret;
pub mod plaintext_http;
pub mod secret_in_log;
pub mod select_star;
pub mod sql_injection;
pub mod tls_verification_disabled;
pub mod weak_password_hash;
