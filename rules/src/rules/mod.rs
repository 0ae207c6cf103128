//! The rules, one file each, grouped by category. [`crate::registry`] lists them.

pub mod correctness;
pub mod maintainability;
pub mod observability;
pub mod reliability;
pub mod secrets;
pub mod security;
pub mod suppression;
pub mod util;
