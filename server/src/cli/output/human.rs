//! rustc-style text output, drawn by annotate-snippets: a `level[rule]: message`
//! header, the `--> path:line:col` location, the flagged source underlined, a
//! link to the rule's page and the fix title as a `help:` line. Suppressed
//! findings are not shown. The closing one-line [`summary`] is separate so the
//! caller can put it where it belongs (after the findings, or on stderr when the
//! findings go to a file).

use std::borrow::Cow;
use std::ops::Range;

use annotate_snippets::{normalize_untrusted_str, AnnotationKind, Group, Renderer, Snippet};
use precept_rules::source::LineIndex;
use precept_rules::{registry, Applicability, Finding, Level};

use super::{fix_hint, snap_range, FileReport, RenderOptions};

/// Rules whose flagged text is itself a credential. Their snippets are masked so
/// that a CI log or a shared terminal does not repeat the secret the rule is
/// complaining about.
const SECRET_RULES: &[&str] = &["hardcoded-secret"];

/// Render every unsuppressed finding, each followed by a blank line.
pub fn render(reports: &[FileReport], opts: &RenderOptions) -> String {
    let renderer = if opts.color {
        Renderer::styled()
    } else {
        Renderer::plain()
    };
    let mut out = String::new();
    for report in reports {
        // Only files with something to show pay for a line index.
        if report.visible().next().is_none() {
            continue;
        }
        let index = LineIndex::new(&report.text);
        for finding in report.visible() {
            out.push_str(&render_finding(&renderer, report, &index, finding, opts));
            out.push_str("\n\n");
        }
    }
    out
}

fn render_finding(
    renderer: &Renderer,
    report: &FileReport,
    index: &LineIndex,
    finding: &Finding,
    opts: &RenderOptions,
) -> String {
    let text: &str = &report.text;
    let shown = display_range(text, &finding.range);

    // Hand annotate-snippets only the lines the finding touches, numbered from
    // where they sit in the file: it then computes the same `line:col` as the
    // other formats without scanning the whole file once per finding.
    let first_line = index.line_of(shown.start);
    let last_line = index.line_of(shown.end);
    let window = index.line_start(first_line)..index.line_range(text, last_line).end;
    let mut source = Cow::Borrowed(&text[window.clone()]);
    // `display_range` already keeps offsets inside the text and off the middle
    // of a `\r\n`; clamping once more keeps annotate-snippets, which panics on a
    // span outside its source, safe from any case missed there.
    let start = shown.start.min(window.end);
    let end = shown.end.clamp(start, window.end);
    let mut span = start - window.start..end - window.start;
    if SECRET_RULES.contains(&finding.rule.as_str()) {
        let (masked, masked_span) = mask(&source, span);
        source = Cow::Owned(masked);
        span = masked_span;
    }

    let docs_note = registry::meta(&finding.rule).map(|meta| {
        let url = meta.docs_url(opts.docs_url.as_deref());
        format!("see {}", normalize_untrusted_str(&url))
    });
    let mut primary = level(finding.level)
        .primary_title(finding.message.as_str())
        .id(finding.rule.as_str())
        .element(
            Snippet::source(source)
                .line_start(first_line + 1)
                .path(report.path.as_str())
                .annotation(AnnotationKind::Primary.span(span)),
        );
    if let Some(note) = &docs_note {
        primary = primary.element(annotate_snippets::Level::NOTE.message(note.as_str()));
    }

    let help = finding.fix.as_ref().map(|fix| {
        format!(
            "{} ({})",
            normalize_untrusted_str(&fix.title),
            fix_hint(fix.applicability)
        )
    });
    let mut groups = vec![primary];
    if let Some(help) = &help {
        groups.push(Group::with_title(
            annotate_snippets::Level::HELP.secondary_title(help.as_str()),
        ));
    }
    renderer.render(&groups)
}

/// The part of a finding's range to underline.
///
/// Besides snapping to character boundaries, this drops line terminators at
/// the end of the range: a range that swallows a trailing newline would
/// otherwise be drawn as reaching into the next line, pointing at code that is
/// not part of the finding.
fn display_range(text: &str, range: &Range<usize>) -> Range<usize> {
    let mut range = snap_range(text, range);
    while range.end > range.start && matches!(text.as_bytes()[range.end - 1], b'\n' | b'\r') {
        range.end -= 1;
    }
    range
}

/// Replace the secret part of `span` in `source` with `*`, one per character,
/// and return the new source with the span adjusted to it.
///
/// Quotes and any literal prefix before the first quote (`r#"`, `b"`) stay, so the
/// snippet still reads as a string literal; whitespace and line breaks stay so
/// the layout, and with it every line number, is unchanged.
fn mask(source: &str, span: Range<usize>) -> (String, Range<usize>) {
    let flagged = &source[span.clone()];
    let secret = match (flagged.find('"'), flagged.rfind('"')) {
        (Some(open), Some(close)) if open < close => open + 1..close,
        _ => 0..flagged.len(),
    };
    let mut out = String::with_capacity(source.len());
    out.push_str(&source[..span.start]);
    for (i, ch) in flagged.char_indices() {
        let keep = !secret.contains(&i) || ch.is_whitespace();
        out.push(if keep { ch } else { '*' });
    }
    let end = out.len();
    out.push_str(&source[span.end..]);
    (out, span.start..end)
}

/// annotate-snippets' level for a finding level. Hints show as `help`, the
/// closest rustc word for "a suggestion, nothing is wrong yet".
fn level(level: Level) -> annotate_snippets::Level<'static> {
    match level {
        Level::Error => annotate_snippets::Level::ERROR,
        Level::Warning => annotate_snippets::Level::WARNING,
        Level::Info => annotate_snippets::Level::INFO,
        Level::Hint => annotate_snippets::Level::HELP,
    }
}

/// The closing line of the human output, e.g. `Found 7 findings (2 errors,
/// 4 warnings, 1 info) in 3 of 12 files; 3 fixable with --fix, 2 more with
/// --fix --unsafe-fixes`, or `No findings in 12 files`. No trailing newline.
///
/// Suppressed findings are not counted. `files_checked` is every file that was
/// checked, with or without findings.
pub fn summary(reports: &[FileReport], files_checked: usize) -> String {
    let mut by_level = [0usize; Level::ALL.len()];
    let mut files_with_findings = 0;
    let (mut safe, mut unsafe_) = (0, 0);
    for report in reports {
        let mut any = false;
        for finding in report.visible() {
            any = true;
            by_level[finding.level as usize] += 1;
            match finding.fix.as_ref().map(|fix| fix.applicability) {
                Some(Applicability::Safe) => safe += 1,
                Some(Applicability::Unsafe) => unsafe_ += 1,
                Some(Applicability::DisplayOnly) | None => {}
            }
        }
        files_with_findings += usize::from(any);
    }
    let total: usize = by_level.iter().sum();
    // A caller that counts only some files must not produce "in 3 of 2 files".
    let files_checked = files_checked.max(files_with_findings);
    let baselined = reports
        .iter()
        .flat_map(|r| &r.findings)
        .filter(|f| f.baselined)
        .count();
    let hidden = if baselined == 0 {
        String::new()
    } else {
        format!(
            " ({} in the baseline not shown)",
            plural(baselined, "finding", "findings")
        )
    };
    if total == 0 {
        return format!(
            "No findings in {}{hidden}",
            plural(files_checked, "file", "files")
        );
    }

    let breakdown: Vec<String> = Level::ALL
        .iter()
        .rev()
        .filter(|&&l| by_level[l as usize] > 0)
        .map(|&l| {
            let n = by_level[l as usize];
            match l {
                Level::Error => plural(n, "error", "errors"),
                Level::Warning => plural(n, "warning", "warnings"),
                Level::Info => plural(n, "info", "info"),
                Level::Hint => plural(n, "hint", "hints"),
            }
        })
        .collect();
    let mut line = format!(
        "Found {} ({}) in {} of {}",
        plural(total, "finding", "findings"),
        breakdown.join(", "),
        files_with_findings,
        plural(files_checked, "file", "files"),
    );
    match (safe, unsafe_) {
        (0, 0) => {}
        (safe, 0) => line.push_str(&format!("; {safe} fixable with --fix")),
        (0, unsafe_) => line.push_str(&format!("; {unsafe_} fixable with --fix --unsafe-fixes")),
        (safe, unsafe_) => line.push_str(&format!(
            "; {safe} fixable with --fix, {unsafe_} more with --fix --unsafe-fixes"
        )),
    }
    line.push_str(&hidden);
    line
}

fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::super::test_support::*;
    use super::*;

    fn plain(reports: &[FileReport]) -> String {
        render(reports, &RenderOptions::default())
    }

    #[test]
    fn handlers_file() {
        insta::assert_snapshot!(plain(&[handlers()]));
    }

    #[test]
    fn crlf_and_end_of_file() {
        insta::assert_snapshot!(plain(&[crlf()]));
    }

    #[test]
    fn suppressed_findings_are_hidden() {
        assert_eq!(plain(&quiet()), "");
        let out = plain(&[handlers()]);
        assert_eq!(out.matches("warning[unwrap-in-boundary]").count(), 1);
        assert!(!out.contains("load().unwrap()"));
    }

    #[test]
    fn docs_url_from_config() {
        let opts = RenderOptions {
            color: false,
            docs_url: Some("https://docs.example.com/rules".to_owned()),
        };
        let out = render(&[handlers()], &opts);
        assert!(out.contains("= note: see https://docs.example.com/rules/unwrap-in-boundary.md"));
    }

    #[test]
    fn color_only_when_asked() {
        let colored = render(
            &[handlers()],
            &RenderOptions {
                color: true,
                docs_url: None,
            },
        );
        assert!(colored.contains('\u{1b}'));
        assert!(!plain(&[handlers()]).contains('\u{1b}'));
    }

    #[test]
    fn long_lines_tabs_and_bad_ranges() {
        let text = format!(
            "\tfn f() {{ {} x.unwrap(); {} }}\r\n日本 \r lone",
            "a".repeat(300),
            "b".repeat(300)
        );
        let unwrap = find(&text, ".unwrap()", 0);
        let jp = find(&text, "日本", 0);
        let report = FileReport {
            path: "src/long.rs".to_owned(),
            text: Arc::from(text.as_str()),
            findings: vec![
                finding("unwrap-in-boundary", Level::Warning, "long line", unwrap),
                // Splits a character and runs backwards; must still render.
                finding(
                    "unwrap-in-boundary",
                    Level::Error,
                    "bad range",
                    jp.start + 4..jp.start + 1,
                ),
                // Starts between `\r` and `\n`.
                finding(
                    "unwrap-in-boundary",
                    Level::Hint,
                    "inside a line break",
                    jp.start - 1..jp.start - 1,
                ),
                finding(
                    "unwrap-in-boundary",
                    Level::Hint,
                    "lone carriage return",
                    find(&text, "\r lone", 0),
                ),
                finding(
                    "not-a-rule",
                    Level::Info,
                    "past the end",
                    text.len() + 5..text.len() + 9,
                ),
            ],
        };
        insta::assert_snapshot!(plain(&[report]));
    }

    #[test]
    fn multi_line_range_ending_in_newline() {
        let text = "fn a() {\n    b();\n}\nfn c() {}\n";
        let range = 0..find(text, "fn c", 0).start;
        let report = FileReport {
            path: "src/a.rs".to_owned(),
            text: Arc::from(text),
            findings: vec![finding(
                "missing-timeout",
                Level::Warning,
                "whole fn",
                range,
            )],
        };
        insta::assert_snapshot!(plain(&[report]));
    }

    #[test]
    fn secrets_are_masked() {
        let text = "const API_KEY: &str = \"sk_live_4eC39HqLyjWDarjtT1zdp7dc\";\n";
        let literal = find(text, "\"sk_live_4eC39HqLyjWDarjtT1zdp7dc\"", 0);
        let report = FileReport {
            path: "src/config.rs".to_owned(),
            text: Arc::from(text),
            findings: vec![finding(
                "hardcoded-secret",
                Level::Error,
                "hardcoded secret; read it from the environment or a secret store",
                literal,
            )],
        };
        let out = plain(&[report]);
        assert!(!out.contains("4eC39HqLyjWDarjtT1zdp7dc"), "{out}");
        insta::assert_snapshot!(out);
    }

    #[test]
    fn summary_lines() {
        assert_eq!(
            summary(&all(), 12),
            "Found 4 findings (1 error, 1 warning, 1 info, 1 hint) in 2 of 12 files; \
             1 fixable with --fix, 1 more with --fix --unsafe-fixes"
        );
        assert_eq!(summary(&quiet(), 2), "No findings in 2 files");
        assert_eq!(summary(&[], 1), "No findings in 1 file");
        assert_eq!(
            summary(&[crlf()], 0),
            "Found 2 findings (1 info, 1 hint) in 1 of 1 file"
        );
    }
}
