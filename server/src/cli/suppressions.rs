//! `precept suppressions`: list every `precept:allow` comment with its rules,
//! reason and expiry, so that a review can see what is silenced, why, and what
//! has lapsed. It walks files exactly as `precept check` does and reads comments
//! exactly as the analysis does; it reports, it never fails on what it finds.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use clap::Args;
use precept_rules::registry;
use precept_rules::source::LineIndex;
use precept_rules::suppress::{self, Date, Suppression};
use precept_rules::workspace::absolute;
use serde::Serialize;

use super::check::{collect_files, display_path};
use super::output::line_col;
use super::{write_stdout, ListFormat};
use crate::files::{is_generated, read_source};

const EXAMPLES: &str = "\
Examples:
  precept suppressions                  # every suppression under the current directory
  precept suppressions src/ tests/api.rs
  precept suppressions --format json | jq '.suppressions[] | select(.expired)'";

const DETAILS: &str = "\
Each line shows where the comment is, whether it covers a line or the whole file,
the rules it names, its `until=` date and its reason. Expired suppressions, ones
without a reason and rules precept does not know are marked; `precept check`
reports them too (unused-suppression, suppression-without-reason). The exit code
is 0 whatever is listed; 2 for a path that does not exist or an invalid
configuration.";

#[derive(Debug, Args)]
#[command(after_help = EXAMPLES, after_long_help = format!("{EXAMPLES}\n\n{DETAILS}"))]
pub struct SuppressionsArgs {
    /// Files or directories to search (default: the current directory). Like
    /// `check`, the walk honours .gitignore and config excludes, and a file named
    /// here is searched even if excluded.
    paths: Vec<PathBuf>,

    /// Output format: aligned lines for people, or one JSON document for scripts.
    #[arg(long, value_enum, default_value_t = ListFormat::Human)]
    format: ListFormat,

    /// Use this configuration file instead of discovering precept.toml / Cargo.toml
    /// (it decides excludes and the file size limit).
    #[arg(long, value_name = "FILE")]
    config: Option<PathBuf>,
}

/// One suppression comment as listed. Field names and meanings are a public
/// interface (`--format json`): fields are only ever added.
#[derive(Debug, Serialize)]
struct Entry {
    /// Relative to the current directory, as `precept check` prints it.
    path: String,
    /// 1-based line and column (Unicode scalar values) of the comment.
    line: usize,
    column: usize,
    /// `line` or `file` (`precept:allow-file`).
    kind: &'static str,
    /// 1-based line a line suppression covers; `None` for file suppressions.
    target_line: Option<usize>,
    rules: Vec<String>,
    /// The rules in `rules` that precept does not know.
    unknown_rules: Vec<String>,
    /// `None` when the comment gives no reason.
    reason: Option<String>,
    /// The `until=` date as written; `None` when there is none.
    until: Option<String>,
    /// `until=` is not a `YYYY-MM-DD` date, so the suppression never lapses.
    invalid_until: bool,
    expired: bool,
    missing_reason: bool,
    unknown_rule: bool,
}

/// Counts over the whole listing; `files` counts files that have suppressions.
#[derive(Debug, Serialize)]
struct Summary {
    suppressions: usize,
    files: usize,
    expired: usize,
    missing_reason: usize,
    unknown_rule: usize,
}

#[derive(Debug, Serialize)]
struct Document<'a> {
    /// The date expiry was judged against.
    today: String,
    suppressions: &'a [Entry],
    summary: &'a Summary,
}

pub fn run(args: SuppressionsArgs) -> anyhow::Result<ExitCode> {
    let resolver = super::check::resolver(args.config.as_deref())?;
    let cwd = std::env::current_dir().context("cannot read the current directory")?;
    let roots = super::check::roots(&args.paths)?;
    let today = resolver.today();
    let mut entries = Vec::new();
    for path in collect_files(&roots, &resolver)? {
        let display = display_path(&path, &cwd);
        let text = resolver
            .config_for(&absolute(&path))
            .map_err(|e| e.to_string())
            .and_then(|config| read_source(&path, config.max_file_size));
        let text = match text {
            Ok(text) => text,
            Err(reason) => {
                super::warn(format_args!("{display}: {reason}; skipped"));
                continue;
            }
        };
        // `precept check` does not analyse generated files, so nothing in them
        // suppresses anything.
        if is_generated(&text) {
            continue;
        }
        // The segmenter is the same one the analysis runs; give it the same
        // large stack, and let a failure cost only this file.
        let Some(found) = precept_rules::analysis::with_stack(|| suppress::list(&text)) else {
            super::warn(format_args!(
                "{display}: could not read its comments; skipped"
            ));
            continue;
        };
        let lines = LineIndex::new(&text);
        entries.extend(
            found
                .iter()
                .map(|s| entry(&display, &text, &lines, s, today)),
        );
    }
    entries.sort_by(|a, b| (&a.path, a.line, a.column).cmp(&(&b.path, b.line, b.column)));
    let summary = summarize(&entries);
    let text = match args.format {
        ListFormat::Human => human(&entries, &summary),
        ListFormat::Json => {
            let doc = Document {
                today: today.to_string(),
                suppressions: &entries,
                summary: &summary,
            };
            serde_json::to_string_pretty(&doc).context("cannot encode the listing as JSON")? + "\n"
        }
    };
    write_stdout(&text)?;
    Ok(ExitCode::SUCCESS)
}

fn entry(display: &str, text: &str, lines: &LineIndex, s: &Suppression, today: Date) -> Entry {
    let (line, column) = line_col(text, lines, s.comment.start);
    let unknown_rules: Vec<String> = s
        .rules
        .iter()
        .filter(|r| !registry::is_known(r))
        .cloned()
        .collect();
    Entry {
        path: display.to_owned(),
        line,
        column,
        kind: if s.file_level { "file" } else { "line" },
        target_line: (!s.file_level).then_some(s.target_line + 1),
        rules: s.rules.clone(),
        unknown_rule: !unknown_rules.is_empty(),
        unknown_rules,
        reason: (!s.reason.is_empty()).then(|| s.reason.clone()),
        until: s.until.as_ref().map(|u| match u {
            Ok(date) => date.to_string(),
            Err(raw) => raw.clone(),
        }),
        invalid_until: matches!(s.until, Some(Err(_))),
        expired: s.expired(today),
        missing_reason: s.reason.is_empty(),
    }
}

fn summarize(entries: &[Entry]) -> Summary {
    let mut files: Vec<&str> = entries.iter().map(|e| e.path.as_str()).collect();
    files.dedup();
    Summary {
        suppressions: entries.len(),
        files: files.len(),
        expired: entries.iter().filter(|e| e.expired).count(),
        missing_reason: entries.iter().filter(|e| e.missing_reason).count(),
        unknown_rule: entries.iter().filter(|e| e.unknown_rule).count(),
    }
}

/// One aligned line per suppression under a header, then the summary. Problems
/// are bracketed in front of the reason, where the eye lands last.
fn human(entries: &[Entry], summary: &Summary) -> String {
    if entries.is_empty() {
        return "No suppressions.\n".to_owned();
    }
    let rows: Vec<[String; 5]> = entries
        .iter()
        .map(|e| {
            [
                format!("{}:{}:{}", e.path, e.line, e.column),
                e.kind.to_owned(),
                e.rules.join(", "),
                e.until.clone().unwrap_or_else(|| "-".to_owned()),
                remarks(e),
            ]
        })
        .collect();
    let header = [
        "location".to_owned(),
        "kind".to_owned(),
        "rules".to_owned(),
        "until".to_owned(),
        "reason".to_owned(),
    ];
    let mut widths = [0usize; 4];
    for row in rows.iter().chain(std::iter::once(&header)) {
        for (width, cell) in widths.iter_mut().zip(row) {
            *width = (*width).max(cell.chars().count());
        }
    }
    let mut out = String::new();
    for row in std::iter::once(&header).chain(&rows) {
        let mut line = String::new();
        for (width, cell) in widths.iter().zip(row) {
            line.push_str(&format!("{cell:<width$}  "));
        }
        line.push_str(&row[4]);
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out.push('\n');
    out.push_str(&format!(
        "{} in {}, {} expired, {} without a reason, {} with an unknown rule\n",
        plural(summary.suppressions, "suppression"),
        plural(summary.files, "file"),
        summary.expired,
        summary.missing_reason,
        summary.unknown_rule,
    ));
    out
}

/// The reason, preceded by a bracketed mark for each problem.
fn remarks(e: &Entry) -> String {
    let mut marks = Vec::new();
    if e.expired {
        marks.push("[EXPIRED]".to_owned());
    }
    if e.invalid_until {
        marks.push("[INVALID DATE]".to_owned());
    }
    for rule in &e.unknown_rules {
        marks.push(format!("[UNKNOWN RULE {rule}]"));
    }
    match &e.reason {
        Some(reason) => marks.push(reason.clone()),
        None => marks.push("[NO REASON]".to_owned()),
    }
    marks.join(" ")
}

fn plural(n: usize, noun: &str) -> String {
    if n == 1 {
        format!("1 {noun}")
    } else {
        format!("{n} {noun}s")
    }
}
