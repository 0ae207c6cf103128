//! `--format json`: one pretty-printed array of findings for scripts.
//!
//! Each finding is `{"rule", "level", "message", "path", "start", "end", "fix"}`
//! with 1-based lines and columns counted in Unicode scalar values, the way
//! rustc reports them, so a script can hand them to an editor unchanged. The
//! shape is a public interface: fields are only ever added. Suppressed findings
//! are left out.

use precept_rules::source::LineIndex;
use precept_rules::{Finding, Fix};
use serde::Serialize;

use super::{span_positions, FileReport, Position};

#[derive(Serialize)]
struct JsonFinding<'a> {
    rule: &'a str,
    level: &'static str,
    message: &'a str,
    path: &'a str,
    start: Position,
    end: Position,
    fix: Option<JsonFix<'a>>,
}

#[derive(Serialize)]
struct JsonFix<'a> {
    title: &'a str,
    applicability: &'static str,
    edits: Vec<JsonEdit<'a>>,
}

#[derive(Serialize)]
struct JsonEdit<'a> {
    start: Position,
    end: Position,
    text: &'a str,
}

/// The JSON array, with a trailing newline.
pub fn render(reports: &[FileReport]) -> String {
    let mut findings = Vec::new();
    for report in reports {
        if report.visible().next().is_none() {
            continue;
        }
        let index = LineIndex::new(&report.text);
        findings.extend(
            report
                .visible()
                .map(|finding| convert(report, &index, finding)),
        );
    }
    let mut out = match serde_json::to_string_pretty(&findings) {
        Ok(json) => json,
        // Serializing plain structs of strings and numbers cannot fail; should it
        // ever, an empty array is still valid JSON for the consumer, and the log
        // says why it is empty.
        Err(error) => {
            tracing::error!(%error, "could not serialize findings as JSON");
            "[]".to_owned()
        }
    };
    out.push('\n');
    out
}

fn convert<'a>(report: &'a FileReport, index: &LineIndex, finding: &'a Finding) -> JsonFinding<'a> {
    let text: &str = &report.text;
    let (start, end) = span_positions(text, index, &finding.range);
    JsonFinding {
        rule: &finding.rule,
        level: finding.level.as_str(),
        message: &finding.message,
        path: &report.path,
        start,
        end,
        fix: finding
            .fix
            .as_ref()
            .map(|fix| convert_fix(text, index, fix)),
    }
}

fn convert_fix<'a>(text: &str, index: &LineIndex, fix: &'a Fix) -> JsonFix<'a> {
    JsonFix {
        title: &fix.title,
        applicability: fix.applicability.as_str(),
        edits: fix
            .edits
            .iter()
            .map(|edit| {
                let (start, end) = span_positions(text, index, &edit.range);
                JsonEdit {
                    start,
                    end,
                    text: &edit.text,
                }
            })
            .collect(),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // A failed unwrap is a failed test.
mod tests {
    use super::super::test_support::*;
    use super::*;

    #[test]
    fn all_reports() {
        insta::assert_snapshot!(render(&all()));
    }

    #[test]
    fn empty_is_an_empty_array() {
        assert_eq!(render(&quiet()), "[]\n");
        assert_eq!(render(&[]), "[]\n");
    }

    #[test]
    fn shape_and_positions() {
        let parsed: serde_json::Value = serde_json::from_str(&render(&all())).unwrap();
        let items = parsed.as_array().unwrap();
        // Two in handlers.rs (the suppressed one is left out), two in the CRLF file.
        assert_eq!(items.len(), 4);
        for item in items {
            let keys: Vec<&str> = item
                .as_object()
                .unwrap()
                .keys()
                .map(String::as_str)
                .collect();
            let mut sorted = keys.clone();
            sorted.sort_unstable();
            assert_eq!(
                sorted,
                ["end", "fix", "level", "message", "path", "rule", "start"]
            );
        }
        // `.unwrap()` sits after `    let name = "名前"; let user = db.find(id).await`:
        // 49 scalar values, so it starts in column 50.
        let unwrap = &items[0];
        assert_eq!(
            unwrap["start"],
            serde_json::json!({"line": 3, "column": 50})
        );
        assert_eq!(unwrap["end"], serde_json::json!({"line": 3, "column": 59}));
        assert_eq!(unwrap["fix"]["applicability"], "unsafe");
        // The empty range at the end of the CRLF file is the start of the empty
        // line after the last line break.
        let eof = &items[3];
        assert_eq!(eof["start"], serde_json::json!({"line": 4, "column": 1}));
        assert_eq!(eof["end"], eof["start"]);
        assert!(eof["fix"].is_null());
    }
}
