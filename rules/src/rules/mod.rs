//! The rules, one file each, grouped by category. [`crate::registry`] lists them.

pub mod reliability;
pub mod security;
pub mod suppression;
pub mod util;
