//! ## What it does
//! Flags a `precept:allow(..)` comment with no reason after the colon.
//!
//! ## Why is this bad?
//! A suppression says "this finding does not apply here". Without the why, a
//! reviewer cannot check the claim and the next reader cannot tell whether it still
//! holds. The suppression keeps working; this hint stays until the reason is written.
//!
//! ## Example
//! ```rust
//! pub fn port() -> u16 {
//!     // precept:allow(unwrap-in-boundary):
//!     std::env::var("PORT").unwrap().parse().unwrap_or(8080)
//! }
//! ```
//!
//! Use instead:
//! ```rust
//! pub fn port() -> u16 {
//!     // precept:allow(unwrap-in-boundary): PORT is set by the platform before start-up
//!     std::env::var("PORT").unwrap().parse().unwrap_or(8080)
//! }
//! ```

use crate::rule::{Category, FixAvailability, Level, RuleMeta};
use crate::walk::Rule;

/// Implemented by [`crate::suppress`]; registered here for its metadata.
pub struct SuppressionWithoutReason;

pub static META: RuleMeta = RuleMeta {
    id: "suppression-without-reason",
    category: Category::Suppression,
    default_level: Level::Hint,
    standard: "Suppressions are deliberate, current and explained.",
    summary: "suppression comment without a reason",
    fix: FixAvailability::None,
    clippy_lints: &[],
    source: include_str!("suppression_without_reason.rs"),
};

impl Rule for SuppressionWithoutReason {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }
}
