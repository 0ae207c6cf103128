//! `--format github`: GitHub Actions workflow commands, one line per finding,
//! which the runner turns into annotations on the pull request's diff:
//! `::warning file=src/a.rs,line=3,col=12,endLine=3,endColumn=21,title=precept (rule)::message`.
//!
//! Errors map to `error`, warnings to `warning`, and info and hints to
//! `notice`. Suppressed findings are left out.

use precept_rules::source::LineIndex;
use precept_rules::Level;

use super::{span_positions, FileReport};

/// One workflow command per unsuppressed finding, each ending in a newline.
pub fn render(reports: &[FileReport]) -> String {
    let mut out = String::new();
    for report in reports {
        if report.visible().next().is_none() {
            continue;
        }
        let text: &str = &report.text;
        let index = LineIndex::new(text);
        for finding in report.visible() {
            let (start, end) = span_positions(text, &index, &finding.range);
            let command = match finding.level {
                Level::Error => "error",
                Level::Warning => "warning",
                Level::Info | Level::Hint => "notice",
            };
            out.push_str(&format!(
                "::{command} file={},line={},col={},endLine={},endColumn={},title={}::{}\n",
                escape_property(&report.path),
                start.line,
                start.column,
                end.line,
                end.column,
                escape_property(&format!("precept ({})", finding.rule)),
                escape_data(&finding.message),
            ));
        }
    }
    out
}

/// Escaping for the message after `::`. The runner splits commands on line
/// breaks and decodes `%XX`, so those characters, and `%` itself, are encoded.
fn escape_data(value: &str) -> String {
    value
        .replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

/// Escaping for `key=value` properties, where `,` separates properties and `:`
/// ends the property list, on top of what messages need.
fn escape_property(value: &str) -> String {
    escape_data(value).replace(':', "%3A").replace(',', "%2C")
}

#[cfg(test)]
mod tests {
    use super::super::test_support::*;
    use super::*;

    #[test]
    fn all_reports() {
        insta::assert_snapshot!(render(&all()));
    }

    #[test]
    fn one_line_per_visible_finding() {
        let out = render(&all());
        assert_eq!(out.lines().count(), 4);
        assert!(out.lines().all(|line| line.starts_with("::")));
        assert_eq!(render(&quiet()), "");
    }

    #[test]
    fn escaping() {
        assert_eq!(escape_data("100% a:b,c\r\nd"), "100%25 a:b,c%0D%0Ad");
        assert_eq!(escape_property("100% a:b,c\nd"), "100%25 a%3Ab%2Cc%0Ad");
    }
}
