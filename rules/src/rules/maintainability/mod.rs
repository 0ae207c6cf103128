//! Maintainability rules: code shapes that make a codebase harder to read and change.

pub mod glob_import;
pub mod untyped_public_error;
