//! Applying fixes to text.
//!
//! Fixes of different findings may touch the same text; one round applies the
//! fixes whose edits do not overlap any edit already taken, in order of position.
//! Callers re-analyse and apply again until nothing changes (the CLI's `--fix`
//! does at most [`MAX_ROUNDS`] rounds), which is also how a fix that needs the
//! result of another gets applied.

use crate::rule::{Applicability, Finding};

/// Upper bound on fix rounds, so a pair of fixes that undo each other cannot loop.
pub const MAX_ROUNDS: usize = 10;

/// The outcome of one round.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Applied {
    pub text: String,
    /// Number of findings whose fix was applied.
    pub fixed: usize,
}

/// Apply, in one round, the fixes of `findings` that are at least as safe as
/// `min` (Safe only, or Safe and Unsafe). Suppressed findings are not fixed.
pub fn apply_fixes(text: &str, findings: &[Finding], min: Applicability) -> Applied {
    let mut candidates: Vec<_> = findings
        .iter()
        .filter(|f| !f.suppressed)
        .filter_map(|f| f.fix.as_ref())
        .filter(|fix| fix.applicability >= min && fix.applicability != Applicability::DisplayOnly)
        .filter(|fix| !fix.edits.is_empty())
        .collect();
    candidates.sort_by_key(|fix| fix.edits.first().map(|e| (e.range.start, e.range.end)));

    let mut taken: Vec<&crate::rule::Edit> = Vec::new();
    let mut fixed = 0;
    for fix in candidates {
        let valid = fix.edits.iter().all(|e| {
            e.range.start <= e.range.end
                && e.range.end <= text.len()
                && text.is_char_boundary(e.range.start)
                && text.is_char_boundary(e.range.end)
        });
        let overlaps = fix
            .edits
            .iter()
            .any(|e| taken.iter().any(|t| overlap(&e.range, &t.range)));
        if valid && !overlaps {
            taken.extend(fix.edits.iter());
            fixed += 1;
        }
    }
    taken.sort_by_key(|e| (e.range.start, e.range.end));
    let mut out = String::with_capacity(text.len());
    let mut last = 0;
    for e in taken {
        out.push_str(&text[last..e.range.start]);
        out.push_str(&e.text);
        last = e.range.end;
    }
    out.push_str(&text[last..]);
    Applied { text: out, fixed }
}

/// Two ranges conflict when they share a byte, or when both insert at one point.
fn overlap(a: &std::ops::Range<usize>, b: &std::ops::Range<usize>) -> bool {
    if a.start == a.end && b.start == b.end {
        return a.start == b.start;
    }
    a.start < b.end && b.start < a.end
        || (a.start == a.end && b.contains(&a.start) && a.start != b.start)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rule::{Edit, Fix, Level};

    fn finding(edits: Vec<Edit>, applicability: Applicability) -> Finding {
        Finding {
            rule: "x".into(),
            level: Level::Warning,
            message: String::new(),
            range: 0..0,
            fix: Some(Fix::new("t", applicability, edits)),
            suppressed: false,
            baselined: false,
            unnecessary: false,
        }
    }

    #[test]
    fn applies_non_overlapping_and_respects_applicability() {
        let text = "abcdef";
        let fs = vec![
            finding(vec![Edit::replace(0..1, "A")], Applicability::Safe),
            finding(vec![Edit::replace(0..2, "ZZ")], Applicability::Safe),
            finding(vec![Edit::insert(6, "!")], Applicability::Unsafe),
        ];
        assert_eq!(
            apply_fixes(text, &fs, Applicability::Safe),
            Applied {
                text: "Abcdef".into(),
                fixed: 1
            }
        );
        assert_eq!(
            apply_fixes(text, &fs, Applicability::Unsafe),
            Applied {
                text: "Abcdef!".into(),
                fixed: 2
            }
        );
    }
}
