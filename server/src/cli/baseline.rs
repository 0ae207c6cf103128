//! `precept baseline`: record today's findings so that `check` reports only new ones.

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context;
use clap::Args;
use precept_rules::analysis::{Analyzer, STACK_SIZE};
use precept_rules::baseline::{self, Baseline, Entry};
use precept_rules::workspace::{absolute, Resolver};
use rayon::prelude::*;

use super::check::{collect_files, display_path};
use super::write_stdout;
use crate::files::{is_generated, read_source};

#[derive(Debug, Args)]
pub struct BaselineArgs {
    /// Files or directories to record (default: the current directory). Entries for
    /// other files already in the baseline are kept while those files exist.
    paths: Vec<PathBuf>,

    /// Where to write the baseline [default: the file the configuration's
    /// `baseline` names, else precept-baseline.json in the current directory].
    #[arg(long, short, value_name = "FILE")]
    output: Option<PathBuf>,

    /// Use this configuration file instead of discovering precept.toml / Cargo.toml.
    #[arg(long, value_name = "FILE")]
    config: Option<PathBuf>,
}

/// What one file contributes, or why it could not.
enum Recorded {
    /// The file as the baseline names it, and its entries.
    Entries(String, Vec<Entry>),
    Skipped(String),
}

pub fn run(args: BaselineArgs) -> anyhow::Result<ExitCode> {
    let mut resolver = super::check::resolver(args.config.as_deref())?;
    // Record everything that is there today, whatever an older baseline hides.
    resolver.set_ignore_baseline(true);
    let cwd = std::env::current_dir().context("cannot read the current directory")?;
    let roots = super::check::roots(&args.paths)?;
    let configured = resolver
        .config_for_dir(&cwd)
        .map_err(|e| anyhow::anyhow!("invalid configuration: {e}"))?
        .baseline_path();
    let output = match (&args.output, &configured) {
        (Some(path), _) => absolute(path),
        (None, Some(path)) => path.clone(),
        (None, None) => cwd.join(baseline::DEFAULT_FILE_NAME),
    };
    let dir = output.parent().map(Path::to_path_buf).unwrap_or_default();

    let files = collect_files(&roots, &resolver)?;
    let pool = rayon::ThreadPoolBuilder::new()
        .stack_size(STACK_SIZE)
        .thread_name(|i| format!("precept-baseline-{i}"))
        .build()
        .context("cannot start worker threads")?;
    let results: Vec<(PathBuf, Recorded)> = pool.install(|| {
        files
            .par_iter()
            .map(|file| (absolute(file), record(file, &dir, &resolver)))
            .collect()
    });

    let mut entries = Vec::new();
    let mut recorded_files = HashSet::new();
    for (file, result) in results {
        match result {
            Recorded::Entries(rel, found) => {
                entries.extend(found);
                recorded_files.insert(rel);
            }
            Recorded::Skipped(reason) => {
                super::warn(format_args!(
                    "{}: {reason}; skipped",
                    display_path(&file, &cwd)
                ));
            }
        }
    }
    let new_count = entries.len();
    let new_files = entries
        .iter()
        .map(|e| e.path.as_str())
        .collect::<HashSet<_>>()
        .len();
    entries.extend(kept_entries(&output, &dir, &recorded_files)?);

    std::fs::write(&output, baseline::render(entries))
        .with_context(|| format!("cannot write {}", output.display()))?;
    let shown = display_path(&output, &cwd);
    let mut message = format!(
        "Recorded {} in {} to {shown}.\n",
        plural(new_count, "finding", "findings"),
        plural(new_files, "file", "files"),
    );
    if configured.as_deref() != Some(output.as_path()) {
        message.push_str(&format!(
            "To report only new findings, add `baseline = \"{shown}\"` to precept.toml \
             (the path is relative to that file).\n"
        ));
    }
    write_stdout(&message)?;
    Ok(ExitCode::SUCCESS)
}

/// The entries of one file: its active findings, keyed relative to `dir`.
fn record(file: &Path, dir: &Path, resolver: &Resolver) -> Recorded {
    let abs = absolute(file);
    let Some(rel) = baseline::relative_path(dir, &abs) else {
        return Recorded::Skipped("outside the baseline file's directory".to_owned());
    };
    let ctx = match resolver.context_for(&abs) {
        Ok(ctx) => ctx,
        Err(e) => return Recorded::Skipped(e.to_string()),
    };
    let text = match read_source(&abs, ctx.config.max_file_size) {
        Ok(text) => text,
        Err(reason) => return Recorded::Skipped(reason),
    };
    if is_generated(&text) {
        return Recorded::Entries(rel, Vec::new());
    }
    let analysis = Analyzer::new().analyze(&text, &ctx);
    let entries = baseline::entries(&text, &analysis.findings, &rel);
    Recorded::Entries(rel, entries)
}

/// Entries of an existing baseline at `output` for files this run did not record
/// and that still exist, so that `precept baseline src/api` updates only that part.
fn kept_entries(
    output: &Path,
    dir: &Path,
    recorded: &HashSet<String>,
) -> anyhow::Result<Vec<Entry>> {
    let text = match std::fs::read_to_string(output) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(e).with_context(|| format!("cannot read {}", output.display())),
    };
    let old = Baseline::parse(&text, output)
        .map_err(|e| anyhow::anyhow!("{e}; remove the file or pass --output to write a new one"))?;
    let keep: HashSet<String> = old
        .files()
        .filter(|rel| !recorded.contains(*rel) && dir.join(rel).is_file())
        .map(str::to_owned)
        .collect();
    Ok(old
        .entries()
        .filter(|e| keep.contains(&e.path))
        .cloned()
        .collect())
}

fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}
