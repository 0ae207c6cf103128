//! Maintainability rules: code shapes that make a codebase harder to read and change.

pub mod glob_import;
