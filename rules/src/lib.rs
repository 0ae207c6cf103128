//! precept's rule engine.
//!
//! This crate turns the text of a Rust file, plus what is known about where it lives
//! (its path, its crate, the configuration in force), into findings with byte ranges
//! and optional fixes. It knows nothing about the Language Server Protocol, async
//! runtimes, terminals or walking a workspace: the `precept` crate provides those
//! front ends and both call [`analysis::Analyzer`].

pub mod analysis;
pub mod baseline;
pub mod config;
pub mod crate_facts;
pub mod fix;
pub mod hash;
pub mod imports;
pub mod lex;
pub mod project;
pub mod registry;
pub mod routes;
pub mod rule;
pub mod rules;
pub mod segment;
pub mod source;
pub mod suppress;
pub mod walk;
pub mod workspace;

pub use rule::{
    Applicability, Category, Edit, Finding, Fix, FixAvailability, Level, RuleMeta, Severity,
};
