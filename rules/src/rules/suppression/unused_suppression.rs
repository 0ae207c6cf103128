//! ## What it does
//! Flags a `precept:allow(..)` comment that silences nothing, names a rule precept
//! does not have, or has expired (`until=` a date in the past).
//!
//! ## Why is this bad?
//! Suppressions outlive the code they were written for. One that silences nothing
//! hides the next real finding on that line without anyone deciding it should; one
//! with a typo in the rule name never worked; an expired one was meant to be
//! revisited. Reporting them keeps every suppression a current, deliberate choice.
//!
//! A suppression next to code that does not parse (you are mid-edit) is never
//! reported: precept cannot tell what it would silence.
//!
//! ## Example
//! ```rust
//! // precept:allow(missing-timeout): the client is configured elsewhere
//! pub fn answer() -> u32 {
//!     42
//! }
//! ```
//!
//! Use instead:
//! ```rust
//! pub fn answer() -> u32 {
//!     42
//! }
//! ```
//!
//! ## Fix safety
//! Deleting a suppression that silences nothing is safe. Deleting an expired one is
//! unsafe: the finding it silenced comes back.

use crate::rule::{Category, FixAvailability, Level, RuleMeta};
use crate::walk::Rule;

/// Implemented by [`crate::suppress`]; registered here for its metadata.
pub struct UnusedSuppression;

pub static META: RuleMeta = RuleMeta {
    id: "unused-suppression",
    category: Category::Suppression,
    default_level: Level::Hint,
    standard: "Suppressions are deliberate, current and explained.",
    summary: "suppression comment that silences nothing, names an unknown rule or has expired",
    fix: FixAvailability::Always,
    clippy_lints: &[],
    source: include_str!("unused_suppression.rs"),
};

impl Rule for UnusedSuppression {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }
}
