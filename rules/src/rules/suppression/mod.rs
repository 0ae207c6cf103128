//! Rules about suppression comments themselves (implemented in [`crate::suppress`]).

pub mod suppression_without_reason;
pub mod unused_suppression;
