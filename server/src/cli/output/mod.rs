//! Output formats of `precept check`: rustc-style text for people, JSON for
//! scripts, SARIF for code-scanning services and workflow commands for GitHub
//! Actions. Every renderer takes the same [`FileReport`]s and returns the whole
//! output as a `String`; writing it to stdout or `--output-file` is the caller's
//! job, so these functions stay pure and easy to snapshot.
//!
//! Findings carry byte ranges. This module is the one place in the CLI that turns
//! them into the 1-based lines and Unicode-scalar columns users see, so all four
//! formats agree on every position.

pub mod github;
pub mod human;
pub mod json;
pub mod sarif;

use std::collections::HashMap;
use std::ops::Range;
use std::sync::Arc;

use precept_rules::source::{Encoding, LineIndex};
use precept_rules::{Applicability, Finding, Level};
use serde::Serialize;

pub use human::summary;

/// The findings of one checked file, with the text their ranges point into.
#[derive(Clone, Debug)]
pub struct FileReport {
    /// Path as shown to the user: relative to the current directory, `/`-separated.
    pub path: String,
    /// The full file text the findings' byte ranges index into.
    pub text: Arc<str>,
    /// Findings sorted by position; includes suppressed ones (`suppressed: true`).
    pub findings: Vec<Finding>,
}

impl FileReport {
    /// The findings a user should see: everything not silenced by a comment.
    pub(crate) fn visible(&self) -> impl Iterator<Item = &Finding> {
        self.findings.iter().filter(|f| !f.suppressed)
    }
}

/// Knobs shared by the formats.
#[derive(Clone, Debug, Default)]
pub struct RenderOptions {
    /// Emit ANSI colours (human format only).
    pub color: bool,
    /// Base URL of the rule pages, from the configuration; `None` means the
    /// published documentation.
    pub docs_url: Option<String>,
}

/// The `--format` values.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default, clap::ValueEnum)]
pub enum Format {
    #[default]
    Human,
    Json,
    Sarif,
    Github,
}

/// Render all reports in a format; returns the whole output text.
///
/// The human format does not include the closing summary line (see [`summary`]):
/// the caller decides where it goes, and needs the number of files checked for it.
pub fn render(format: Format, reports: &[FileReport], opts: &RenderOptions) -> String {
    match format {
        Format::Human => human::render(reports, opts),
        Format::Json => json::render(reports),
        Format::Sarif => sarif::render(reports, opts),
        Format::Github => github::render(reports),
    }
}

/// 1-based (line, column) with columns in Unicode scalar values, as rustc counts.
pub fn line_col(text: &str, index: &LineIndex, offset: usize) -> (usize, usize) {
    let pos = index.position(text, offset, Encoding::Utf32);
    (pos.line as usize + 1, pos.col as usize + 1)
}

/// A 1-based line and column, as the JSON and SARIF formats spell positions.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub(crate) struct Position {
    pub line: usize,
    pub column: usize,
}

/// Start and end positions of a byte range, after [`snap_range`].
pub(crate) fn span_positions(
    text: &str,
    index: &LineIndex,
    range: &Range<usize>,
) -> (Position, Position) {
    let range = snap_range(text, range);
    let at = |offset| {
        let (line, column) = line_col(text, index, offset);
        Position { line, column }
    };
    (at(range.start), at(range.end))
}

/// Clamp a byte range to the text and widen it to character boundaries.
///
/// Ranges come from rules and from the on-disk cache, so a bad one must not take
/// the whole run down: annotate-snippets panics on a span that splits a character
/// or runs past its source. Widening (start down, end up) keeps the flagged
/// character fully underlined, and a reversed range collapses to its start. An
/// offset between the `\r` and `\n` of a line break moves before the `\r`, so
/// that no format reports the `\r` as a column of its own.
pub(crate) fn snap_range(text: &str, range: &Range<usize>) -> Range<usize> {
    let mut start = range.start.min(text.len());
    while !text.is_char_boundary(start) {
        start -= 1;
    }
    let mut end = range.end.clamp(start, text.len());
    while !text.is_char_boundary(end) {
        end += 1;
    }
    let bytes = text.as_bytes();
    let inside_crlf = |offset: usize| {
        offset > 0 && bytes.get(offset - 1) == Some(&b'\r') && bytes.get(offset) == Some(&b'\n')
    };
    if inside_crlf(start) {
        start -= 1;
    }
    if inside_crlf(end) {
        end -= 1;
    }
    start..end
}

/// How a fix is applied from the command line, for help text and counts.
pub(crate) fn fix_hint(applicability: Applicability) -> &'static str {
    match applicability {
        Applicability::Safe => "safe fix: --fix",
        Applicability::Unsafe => "unsafe fix: --fix --unsafe-fixes",
        Applicability::DisplayOnly => "suggestion only, not applied automatically",
    }
}

/// `--statistics`: a table of counts per rule (rule id, level, count, how many
/// fixable), most frequent first.
///
/// A rule may report some shapes at a lower level than others, so rows are per
/// (rule, level) pair rather than per rule: a single level column would
/// otherwise misstate part of the count. "fixable" counts findings that
/// `--fix` or `--fix --unsafe-fixes` can resolve; suggestions that are only
/// displayed do not count. Suppressed findings are left out, as everywhere a
/// user reads counts.
pub fn statistics(reports: &[FileReport]) -> String {
    #[derive(Default)]
    struct Row {
        count: usize,
        fixable: usize,
    }
    let mut rows: HashMap<(&str, Level), Row> = HashMap::new();
    for finding in reports.iter().flat_map(FileReport::visible) {
        let row = rows
            .entry((finding.rule.as_str(), finding.level))
            .or_default();
        row.count += 1;
        if finding
            .fix
            .as_ref()
            .is_some_and(|fix| fix.applicability >= Applicability::Unsafe)
        {
            row.fixable += 1;
        }
    }
    if rows.is_empty() {
        return "No findings\n".to_owned();
    }
    let mut rows: Vec<_> = rows.into_iter().collect();
    // Most frequent first; ties broken by rule id, then the more severe level,
    // so the table is identical from run to run.
    rows.sort_by(|((rule_a, level_a), a), ((rule_b, level_b), b)| {
        b.count
            .cmp(&a.count)
            .then_with(|| rule_a.cmp(rule_b))
            .then_with(|| level_b.cmp(level_a))
    });

    let header = ("count", "rule", "level", "fixable");
    let count_width = rows
        .iter()
        .map(|(_, row)| row.count.to_string().len())
        .chain([header.0.len()])
        .max()
        .unwrap_or(0);
    let rule_width = rows
        .iter()
        .map(|((rule, _), _)| rule.len())
        .chain([header.1.len()])
        .max()
        .unwrap_or(0);
    let level_width = "warning".len();

    let mut out = String::new();
    let mut line = |count: &str, rule: &str, level: &str, fixable: &str| {
        let text =
            format!("{count:>count_width$}  {rule:<rule_width$}  {level:<level_width$}  {fixable}");
        out.push_str(text.trim_end());
        out.push('\n');
    };
    line(header.0, header.1, header.2, header.3);
    for ((rule, level), row) in &rows {
        line(
            &row.count.to_string(),
            rule,
            level.as_str(),
            &row.fixable.to_string(),
        );
    }
    out
}

#[cfg(test)]
pub(crate) mod test_support {
    //! Hand-built reports shared by the format tests, covering the awkward
    //! cases: non-ASCII text before and inside ranges, CRLF line endings, a
    //! range over several lines, safe and unsafe fixes, a suppressed finding
    //! and an empty range at the end of the file.

    use std::ops::Range;
    use std::sync::Arc;

    use precept_rules::{Applicability, Edit, Finding, Fix, Level};

    use super::FileReport;

    /// Byte range of the `nth` (0-based) occurrence of `needle` in `text`.
    pub fn find(text: &str, needle: &str, nth: usize) -> Range<usize> {
        let start = text
            .match_indices(needle)
            .nth(nth)
            .map(|(i, _)| i)
            .unwrap_or_else(|| panic!("{needle:?} #{nth} not in fixture"));
        start..start + needle.len()
    }

    pub fn finding(rule: &str, level: Level, message: &str, range: Range<usize>) -> Finding {
        Finding {
            rule: rule.to_owned(),
            level,
            message: message.to_owned(),
            range,
            fix: None,
            suppressed: false,
            baselined: false,
            unnecessary: false,
        }
    }

    /// Handlers with an emoji and CJK text ahead of the flagged code, an
    /// unsafe fix, a safe fix, a multi-line range and a suppressed duplicate.
    pub fn handlers() -> FileReport {
        let text = "\
// 😀 ハンドラー
async fn get_user(id: u32) -> Json<User> {
    let name = \"名前\"; let user = db.find(id).await.unwrap();
    let client = reqwest::Client::builder()
        .build()?;
    // precept:allow(unwrap-in-boundary): checked above
    let cfg = load().unwrap();
    Json(user)
}
";
        let unwrap = find(text, ".unwrap()", 0);
        let mut unwrap_finding = finding(
            "unwrap-in-boundary",
            Level::Warning,
            "`.unwrap()` in a request handler panics the worker on failure",
            unwrap.clone(),
        );
        unwrap_finding.fix = Some(Fix::new(
            "Replace `.unwrap()` with `?`",
            Applicability::Unsafe,
            vec![Edit::replace(unwrap, "?")],
        ));

        let builder = find(text, "reqwest::Client::builder()\n        .build()", 0);
        let build_call = find(text, ".build()", 0);
        let mut timeout = finding(
            "missing-timeout",
            Level::Error,
            "HTTP client built without a timeout",
            builder,
        );
        timeout.fix = Some(Fix::new(
            "Add a 30 s timeout",
            Applicability::Safe,
            vec![Edit::insert(
                build_call.start,
                "\n        .timeout(std::time::Duration::from_secs(30))",
            )],
        ));

        let mut suppressed = finding(
            "unwrap-in-boundary",
            Level::Warning,
            "`.unwrap()` in a request handler panics the worker on failure",
            find(text, ".unwrap()", 1),
        );
        suppressed.suppressed = true;

        FileReport {
            path: "src/handlers.rs".to_owned(),
            text: Arc::from(text),
            findings: vec![unwrap_finding, timeout, suppressed],
        }
    }

    /// CRLF line endings, a hint-level finding, an info-level finding with a
    /// display-only fix, and an empty range at the very end of the file.
    pub fn crlf() -> FileReport {
        let text =
            "fn main() {\r\n\tlet q = format!(\"SELECT * FROM t WHERE id = {}\", id);\r\n}\r\n";
        let sql = find(text, "format!(\"SELECT * FROM t WHERE id = {}\", id)", 0);
        let mut injection = finding(
            "sql-injection",
            Level::Info,
            "SQL built with `format!`",
            sql.clone(),
        );
        injection.fix = Some(Fix::new(
            "Bind the value as a parameter",
            Applicability::DisplayOnly,
            vec![Edit::replace(
                sql,
                "sqlx::query(\"SELECT * FROM t WHERE id = $1\").bind(id)",
            )],
        ));
        let eof = finding(
            "unused-suppression",
            Level::Hint,
            "file ends without a newline marker, 100% \"odd\"\nsecond line: a, b",
            text.len()..text.len(),
        );
        FileReport {
            path: "src/bin/with space, colon:crlf.rs".to_owned(),
            text: Arc::from(text),
            findings: vec![injection, eof],
        }
    }

    /// A file whose only finding is suppressed, and a file without findings.
    pub fn quiet() -> Vec<FileReport> {
        let text = "fn f() { x.unwrap() }";
        let mut suppressed = finding(
            "unwrap-in-boundary",
            Level::Warning,
            "`.unwrap()` in a request handler panics the worker on failure",
            find(text, ".unwrap()", 0),
        );
        suppressed.suppressed = true;
        vec![
            FileReport {
                path: "src/quiet.rs".to_owned(),
                text: Arc::from(text),
                findings: vec![suppressed],
            },
            FileReport {
                path: "src/empty.rs".to_owned(),
                text: Arc::from(""),
                findings: Vec::new(),
            },
        ]
    }

    pub fn all() -> Vec<FileReport> {
        let mut reports = vec![handlers(), crlf()];
        reports.extend(quiet());
        reports
    }
}

#[cfg(test)]
mod tests {
    use super::test_support::*;
    use super::*;

    #[test]
    fn line_col_counts_scalar_values() {
        let text = "a😀b\r\n日本x\n";
        let index = LineIndex::new(text);
        assert_eq!(line_col(text, &index, 0), (1, 1));
        assert_eq!(line_col(text, &index, find(text, "b", 0).start), (1, 3));
        assert_eq!(line_col(text, &index, find(text, "x", 0).start), (2, 3));
        // The end of a file that ends with a newline is the start of an empty line.
        assert_eq!(line_col(text, &index, text.len()), (3, 1));
        // Offsets past the end clamp rather than panic.
        assert_eq!(line_col(text, &index, text.len() + 10), (3, 1));
    }

    #[test]
    fn snap_range_widens_to_char_boundaries() {
        let text = "a日b";
        assert_eq!(snap_range(text, &(2..3)), 1..4);
        // A reversed range (the lint-friendly spelling of `3..1`).
        assert_eq!(snap_range(text, &Range { start: 3, end: 1 }), 1..1);
        assert_eq!(snap_range(text, &(4..99)), 4..5);
        assert_eq!(snap_range(text, &(99..100)), 5..5);
        let crlf = "a\r\nb";
        assert_eq!(snap_range(crlf, &(2..2)), 1..1);
        assert_eq!(snap_range(crlf, &(2..3)), 1..3);
        assert_eq!(snap_range(crlf, &(0..2)), 0..1);
        assert_eq!(snap_range(crlf, &(0..3)), 0..3);
    }

    #[test]
    fn statistics_table() {
        insta::assert_snapshot!(statistics(&all()));
    }

    #[test]
    fn statistics_without_findings() {
        assert_eq!(statistics(&quiet()), "No findings\n");
    }
}
