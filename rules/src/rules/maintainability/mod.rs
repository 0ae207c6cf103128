//! Maintainability rules: code shapes that make a codebase harder to read and change.

pub mod commented_out_code;
pub mod glob_import;
pub mod hardcoded_config;
pub mod untyped_public_error;
