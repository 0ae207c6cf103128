//! Inline suppressions: `// precept:allow(rule-id): reason`.
//!
//! A suppression on its own line silences the named rules on the next line of code
//! and on the comment lines in between; at the end of a line it silences
//! that line. `// precept:allow-file(rule-id): reason` silences a rule for the
//! whole file. An optional `until=YYYY-MM-DD` makes a suppression lapse. The reason
//! is required: suppressions without one still work but are reported, and so are
//! suppressions that silence nothing, name an unknown rule or have expired, so that
//! they do not rot.

use std::fmt;
use std::ops::Range;
use std::time::{SystemTime, UNIX_EPOCH};

use crate::analysis::FileContext;
use crate::rule::{Applicability, Edit, Finding, Fix, Severity};
use crate::source::LineIndex;

/// A calendar date (proleptic Gregorian, UTC).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Date {
    pub year: i32,
    pub month: u8,
    pub day: u8,
}

impl Date {
    /// Today in UTC, from the system clock.
    pub fn today() -> Date {
        let secs = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or(0);
        Date::from_days_since_epoch((secs / 86_400) as i64)
    }

    /// Civil date from days since 1970-01-01 (Howard Hinnant's algorithm).
    pub fn from_days_since_epoch(days: i64) -> Date {
        let z = days + 719_468;
        let era = z.div_euclid(146_097);
        let doe = z.rem_euclid(146_097);
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        let mp = (5 * doy + 2) / 153;
        let day = (doy - (153 * mp + 2) / 5 + 1) as u8;
        let month = if mp < 10 { mp + 3 } else { mp - 9 } as u8;
        let year = (yoe + era * 400 + i64::from(month <= 2)) as i32;
        Date { year, month, day }
    }

    /// Parse `YYYY-MM-DD`.
    pub fn parse(s: &str) -> Option<Date> {
        let mut parts = s.trim().splitn(3, '-');
        let year = parts.next()?.parse().ok()?;
        let month: u8 = parts.next()?.parse().ok()?;
        let day: u8 = parts.next()?.parse().ok()?;
        ((1..=12).contains(&month) && (1..=31).contains(&day)).then_some(Date { year, month, day })
    }
}

impl fmt::Display for Date {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}-{:02}", self.year, self.month, self.day)
    }
}

/// One parsed suppression comment.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Suppression {
    /// The whole comment.
    pub comment: Range<usize>,
    pub rules: Vec<String>,
    /// Set when `until=` was given; `Err` holds text that is not a date.
    pub until: Option<Result<Date, String>>,
    pub reason: String,
    pub file_level: bool,
    /// Zero-based line the suppression applies to (ignored for file-level ones).
    pub target_line: usize,
    /// Zero-based line of the comment itself.
    pub line: usize,
    /// The comment follows code on its line.
    pub trailing: bool,
}

impl Suppression {
    /// Whether `until=` names a day before `today`. A suppression whose date does
    /// not parse never expires (it is reported as malformed instead).
    pub fn expired(&self, today: Date) -> bool {
        matches!(self.until, Some(Ok(d)) if d < today)
    }

    /// Whether a line suppression applies to findings starting on `line`: its
    /// target line, and for one on its own line also the comment lines between it
    /// and its target (where comment-based findings such as commented-out code
    /// start).
    fn covers(&self, line: usize) -> bool {
        line == self.target_line || (!self.trailing && self.line < line && line < self.target_line)
    }
}

const MARKER: &str = "precept:allow";

/// Every suppression comment in a file, in the order they appear: what
/// `precept suppressions` lists. The comments come from the segmenter, so the
/// marker inside a string literal or a doc comment is not a suppression. Byte
/// ranges and lines are relative to `text` as given, byte order mark included.
pub fn list(text: &str) -> Vec<Suppression> {
    let (body, bom) = crate::source::strip_bom(text);
    let comments: Vec<Range<usize>> = crate::segment::segment(body)
        .comments
        .iter()
        .map(|c| c.start + bom..c.end + bom)
        .collect();
    parse_all(text, &comments, &LineIndex::new(text))
}

/// Find the suppression comments among `comments` (byte ranges into `text`).
pub fn parse_all(text: &str, comments: &[Range<usize>], lines: &LineIndex) -> Vec<Suppression> {
    let mut out = Vec::new();
    for c in comments {
        let Some(body) = text.get(c.clone()) else {
            continue;
        };
        let Some(rest) = body.strip_prefix("//") else {
            continue;
        };
        if rest.starts_with('/') || rest.starts_with('!') {
            continue; // doc comments document, they do not suppress
        }
        let rest = rest.trim_start();
        let Some(after) = rest.strip_prefix(MARKER) else {
            continue;
        };
        let (file_level, after) = match after.strip_prefix("-file") {
            Some(a) => (true, a),
            None => (false, after),
        };
        let Some(after) = after.strip_prefix('(') else {
            continue;
        };
        let Some(close) = after.find(')') else {
            continue;
        };
        let mut rules = Vec::new();
        let mut until = None;
        for part in after[..close]
            .split(',')
            .map(str::trim)
            .filter(|p| !p.is_empty())
        {
            match part.strip_prefix("until") {
                Some(v) if v.trim_start().starts_with('=') => {
                    let v = v.trim_start().trim_start_matches('=').trim();
                    until = Some(Date::parse(v).ok_or_else(|| v.to_owned()));
                }
                _ => rules.push(part.to_owned()),
            }
        }
        let tail = &after[close + 1..];
        let reason = tail
            .trim_start()
            .strip_prefix(':')
            .unwrap_or("")
            .trim()
            .to_owned();
        let line = lines.line_of(c.start);
        let line_range = lines.line_range(text, line);
        let trailing = !text[line_range.start..c.start].trim().is_empty();
        let target_line = if trailing {
            line
        } else {
            next_code_line(text, lines, line)
        };
        out.push(Suppression {
            comment: c.clone(),
            rules,
            until,
            reason,
            file_level,
            target_line,
            line,
            trailing,
        });
    }
    out
}

/// The first line after `line` that is not a `//` comment line.
fn next_code_line(text: &str, lines: &LineIndex, line: usize) -> usize {
    let mut l = line + 1;
    while l < lines.line_count() {
        let t = text[lines.line_range(text, l)].trim_start();
        if !t.starts_with("//") {
            return l;
        }
        l += 1;
    }
    l
}

/// Mark suppressed findings and add `unused-suppression` and
/// `suppression-without-reason` findings. Applies configured severities and drops
/// findings of rules that are off. `blocked` are items that did not parse:
/// suppressions aimed at them are never reported as unused.
pub fn apply(
    text: &str,
    comments: &[Range<usize>],
    mut findings: Vec<Finding>,
    blocked: &[Range<usize>],
    ctx: &FileContext,
) -> Vec<Finding> {
    let severity = |rule: &str| ctx.config.severity_for(rule, &ctx.path);
    let lines = LineIndex::new(text);
    let sups = parse_all(text, comments, &lines);

    // Configured levels first: a rule that is off produces nothing to suppress.
    findings.retain_mut(|f| match severity(&f.rule) {
        Some(Severity::Off) => false,
        Some(Severity::On(level)) => {
            f.level = level;
            true
        }
        None => true,
    });

    let mut used: Vec<Vec<bool>> = sups.iter().map(|s| vec![false; s.rules.len()]).collect();
    for f in &mut findings {
        let line = lines.line_of(f.range.start);
        for (si, s) in sups.iter().enumerate() {
            if s.expired(ctx.today) {
                continue;
            }
            if !s.file_level && !s.covers(line) {
                continue;
            }
            if let Some(ri) = s.rules.iter().position(|r| *r == f.rule) {
                f.suppressed = true;
                used[si][ri] = true;
            }
        }
    }

    let mut extra = Vec::new();
    for (si, s) in sups.iter().enumerate() {
        if s.reason.is_empty() {
            extra.push(meta_finding(
                "suppression-without-reason",
                s.comment.clone(),
                "suppression has no reason; say why the rule does not apply here".to_owned(),
                None,
                false,
            ));
        }
        let aimed_at_broken_code = !s.file_level && {
            let target = lines.line_start(s.target_line);
            blocked.iter().any(|b| {
                let first = lines.line_of(b.start);
                let last = lines.line_of(b.end.saturating_sub(1).max(b.start));
                (first..=last).contains(&s.target_line) || b.contains(&target)
            })
        };
        let expired = match &s.until {
            Some(Ok(d)) if s.expired(ctx.today) => Some(*d),
            _ => None,
        };
        if let Some(Err(bad)) = &s.until {
            extra.push(meta_finding(
                "unused-suppression",
                s.comment.clone(),
                format!("`until={bad}` is not a date (expected YYYY-MM-DD); the suppression never expires"),
                None,
                false,
            ));
        }
        let mut keep = Vec::new();
        let mut problems = Vec::new();
        for (ri, rule) in s.rules.iter().enumerate() {
            let known = crate::registry::meta(rule).is_some();
            if !known {
                problems.push(format!("unknown rule `{rule}` in suppression"));
                continue;
            }
            if let Some(d) = expired {
                problems.push(format!("suppression of `{rule}` expired on {d}"));
                continue;
            }
            if used[si][ri] || aimed_at_broken_code || matches!(severity(rule), Some(Severity::Off))
            {
                keep.push(rule.clone());
                continue;
            }
            if is_meta_rule(rule) {
                keep.push(rule.clone());
                continue;
            }
            problems.push(format!("unused suppression: `{rule}` reports nothing here"));
        }
        if problems.is_empty() {
            continue;
        }
        let applicability = if expired.is_some() {
            Applicability::Unsafe
        } else {
            Applicability::Safe
        };
        let fix = if keep.is_empty() {
            Fix::new(
                "Remove the suppression",
                applicability,
                vec![Edit::delete(deletion_range(text, &lines, s))],
            )
        } else {
            Fix::new(
                "Remove the unused rules from the suppression",
                applicability,
                vec![Edit::replace(s.comment.clone(), render(s, &keep))],
            )
        };
        extra.push(meta_finding(
            "unused-suppression",
            s.comment.clone(),
            problems.join("; "),
            Some(fix),
            true,
        ));
    }
    for f in extra {
        match severity(&f.rule) {
            Some(Severity::Off) => {}
            Some(Severity::On(level)) => findings.push(Finding { level, ..f }),
            None => findings.push(f),
        }
    }
    findings
}

fn is_meta_rule(rule: &str) -> bool {
    matches!(rule, "unused-suppression" | "suppression-without-reason")
}

fn meta_finding(
    rule: &str,
    range: Range<usize>,
    message: String,
    fix: Option<Fix>,
    unnecessary: bool,
) -> Finding {
    let level = crate::registry::meta(rule)
        .map(|m| m.default_level)
        .unwrap_or(crate::rule::Level::Hint);
    Finding {
        rule: rule.to_owned(),
        level,
        message,
        range,
        fix,
        suppressed: false,
        baselined: false,
        unnecessary,
    }
}

/// What to delete to remove a suppression comment: its whole line when it stands
/// alone, else the comment and the spaces before it.
fn deletion_range(text: &str, lines: &LineIndex, s: &Suppression) -> Range<usize> {
    let line = lines.line_range(text, s.line);
    if s.trailing {
        let before = &text[line.start..s.comment.start];
        let trimmed = before.trim_end().len();
        return line.start + trimmed..s.comment.end;
    }
    let next = lines.line_start(s.line + 1);
    let end = if next > line.end { next } else { s.comment.end };
    line.start..end.max(s.comment.end)
}

fn render(s: &Suppression, keep: &[String]) -> String {
    let mut inner = keep.join(", ");
    if let Some(Ok(d)) = &s.until {
        inner.push_str(&format!(", until={d}"));
    }
    let kind = if s.file_level { "allow-file" } else { "allow" };
    if s.reason.is_empty() {
        format!("// precept:{kind}({inner}):")
    } else {
        format!("// precept:{kind}({inner}): {}", s.reason)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates() {
        assert_eq!(
            Date::from_days_since_epoch(0),
            Date {
                year: 1970,
                month: 1,
                day: 1
            }
        );
        assert_eq!(
            Date::from_days_since_epoch(20_414),
            Date {
                year: 2025,
                month: 11,
                day: 22
            }
        );
        assert_eq!(
            Date::parse("2027-03-31"),
            Some(Date {
                year: 2027,
                month: 3,
                day: 31
            })
        );
        assert_eq!(Date::parse("2027-13-01"), None);
        assert!(Date::parse("2026-01-01") < Date::parse("2026-01-02"));
    }

    #[test]
    fn parses_comments() {
        let text = "fn a() {\n    // precept:allow(unwrap-in-boundary, until=2027-01-01): config is validated\n    // other\n    x.unwrap();\n    y.unwrap(); // precept:allow(unwrap-in-boundary)\n}\n";
        let lines = LineIndex::new(text);
        let comments: Vec<Range<usize>> = text
            .match_indices("//")
            .map(|(i, _)| i..text[i..].find('\n').map_or(text.len(), |e| i + e))
            .collect();
        let sups = parse_all(text, &comments, &lines);
        assert_eq!(sups.len(), 2);
        assert_eq!(sups[0].rules, vec!["unwrap-in-boundary"]);
        assert_eq!(sups[0].target_line, 3);
        assert_eq!(sups[0].reason, "config is validated");
        assert_eq!(
            sups[0].until,
            Some(Ok(Date {
                year: 2027,
                month: 1,
                day: 1
            }))
        );
        assert!(sups[1].trailing);
        assert_eq!(sups[1].target_line, 4);
        assert_eq!(sups[1].reason, "");
    }

    #[test]
    fn lists_every_suppression_comment() {
        let text = concat!(
            "\u{feff}// precept:allow-file(missing-timeout, sql-injection): legacy module\n",
            "/// precept:allow(unwrap-in-boundary): a doc comment documents\n",
            "//! precept:allow(unwrap-in-boundary): so does an inner one\n",
            "fn a() {\n",
            "    let s = \"// precept:allow(unwrap-in-boundary): in a string\";\n",
            "    // precept:allow(unwrap-in-boundary, until=2001-01-01): lapsed\n",
            "    x.unwrap();\n",
            "    y.unwrap(); // precept:allow(no-such-rule)\n",
            "    /* precept:allow(unwrap-in-boundary): block comments are not suppressions */\n",
            "}\n",
        );
        let sups = list(text);
        assert_eq!(sups.len(), 3, "{sups:#?}");

        assert!(sups[0].file_level);
        assert_eq!(sups[0].rules, vec!["missing-timeout", "sql-injection"]);
        assert_eq!(sups[0].reason, "legacy module");
        assert_eq!(sups[0].line, 0);
        // Offsets count the byte order mark, so they index the text as given.
        assert!(text[sups[0].comment.clone()].starts_with("// precept:allow-file("));

        let today = Date {
            year: 2026,
            month: 1,
            day: 1,
        };
        assert_eq!(sups[1].line, 5);
        assert_eq!(sups[1].target_line, 6);
        assert!(sups[1].expired(today));
        assert!(!sups[0].expired(today));

        assert_eq!(sups[2].line, 7);
        assert!(sups[2].trailing);
        assert_eq!(sups[2].rules, vec!["no-such-rule"]);
        assert_eq!(sups[2].reason, "");
    }

    #[test]
    fn unparsable_dates_never_expire() {
        let sups = list("// precept:allow(missing-timeout, until=soon): later\nfn a() {}\n");
        assert_eq!(sups.len(), 1);
        assert_eq!(sups[0].until, Some(Err("soon".to_owned())));
        assert!(!sups[0].expired(Date {
            year: 9999,
            month: 12,
            day: 31
        }));
    }
}
