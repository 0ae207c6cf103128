//! `precept check`: walk, analyse in parallel, fix, report, and pick the exit code.

use std::collections::BTreeMap;
use std::io::{IsTerminal, Read};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::{bail, Context};
use clap::{Args, ValueEnum};
use precept_rules::analysis::{Analyzer, FileContext, STACK_SIZE};
use precept_rules::fix::{apply_fixes, MAX_ROUNDS};
use precept_rules::workspace::Resolver;
use precept_rules::{registry, Applicability, Finding, Level, Severity};
use rayon::prelude::*;

use super::cache::DiskCache;
use super::output::{self, FileReport, Format, RenderOptions};
use super::{parse_level, write_stdout};
use crate::files::{self, is_generated, read_source};

#[derive(Debug, Args)]
pub struct CheckArgs {
    /// Files or directories to check (default: the current directory). A file named
    /// here is checked even if the configuration excludes it.
    paths: Vec<PathBuf>,

    /// Output format.
    #[arg(long, value_enum, default_value_t = FormatArg::Human)]
    format: FormatArg,

    /// Apply safe fixes in place.
    #[arg(long)]
    fix: bool,

    /// With --fix, also apply unsafe fixes (they may change behaviour; review them).
    #[arg(long, requires = "fix")]
    unsafe_fixes: bool,

    /// Only run these rules (comma-separated ids).
    #[arg(long, value_delimiter = ',', value_name = "RULE,...")]
    select: Vec<String>,

    /// Do not run these rules (comma-separated ids).
    #[arg(long, value_delimiter = ',', value_name = "RULE,...")]
    ignore: Vec<String>,

    /// Use this configuration file instead of discovering precept.toml / Cargo.toml.
    #[arg(long, value_name = "FILE")]
    config: Option<PathBuf>,

    /// Exit with 1 when a finding reaches this level [default: from config, else warning].
    #[arg(long, value_parser = parse_level, value_name = "LEVEL")]
    fail_level: Option<Level>,

    /// Only report findings at or above this level.
    #[arg(long, value_parser = parse_level, value_name = "LEVEL", default_value = "hint")]
    min_level: Level,

    /// Always exit with 0 unless precept itself fails.
    #[arg(long)]
    exit_zero: bool,

    /// Check text from stdin as if it were the file at PATH (for editors and hooks).
    /// With --fix, the fixed text is written to stdout.
    #[arg(long, value_name = "PATH")]
    stdin_filename: Option<PathBuf>,

    /// Write the report to this file instead of stdout.
    #[arg(long, value_name = "FILE")]
    output_file: Option<PathBuf>,

    /// When to use colours in human output.
    #[arg(long, value_enum, default_value_t = ColorArg::Auto)]
    color: ColorArg,

    /// Print how many findings each rule produced.
    #[arg(long)]
    statistics: bool,

    /// Do not read or write the on-disk cache (.precept_cache/).
    #[arg(long)]
    no_cache: bool,

    /// Report every finding, including those recorded in the configured baseline.
    #[arg(long)]
    no_baseline: bool,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum FormatArg {
    Human,
    Json,
    Sarif,
    Github,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum ColorArg {
    Auto,
    Always,
    Never,
}

/// One file's outcome.
struct Checked {
    display: String,
    text: Arc<str>,
    findings: Vec<Finding>,
    fail_level: Level,
    fixed: usize,
}

/// A file that could not be checked (reported once on stderr, run goes on).
struct Skipped {
    display: String,
    reason: String,
}

pub fn run(args: CheckArgs) -> anyhow::Result<ExitCode> {
    let mut resolver = resolver(args.config.as_deref())?;
    resolver.set_severity_overrides(rule_selection(&args.select, &args.ignore)?);
    resolver.set_ignore_baseline(args.no_baseline);
    let cwd = std::env::current_dir().context("cannot read the current directory")?;

    if let Some(stdin_path) = &args.stdin_filename {
        return run_stdin(&args, &resolver, &cwd, stdin_path);
    }

    let roots = roots(&args.paths)?;
    let files = collect_files(&roots, &resolver)?;
    // A baseline that cannot be read would silently report everything: stop.
    for file in &files {
        let config = resolver
            .config_for(&precept_rules::workspace::absolute(file))
            .map_err(|e| anyhow::anyhow!("invalid configuration: {e}"))?;
        resolver.baseline_for(&config)?;
    }

    let cache = if args.no_cache || args.fix {
        None
    } else {
        Some(DiskCache::open(&cwd))
    };
    let pool = rayon::ThreadPoolBuilder::new()
        .stack_size(STACK_SIZE)
        .thread_name(|i| format!("precept-check-{i}"))
        .build()
        .context("cannot start worker threads")?;
    let results: Vec<Result<Option<Checked>, Skipped>> = pool.install(|| {
        files
            .par_iter()
            .map(|file| check_file(file, &cwd, &resolver, &args, cache.as_ref()))
            .collect()
    });

    let mut reports = Vec::new();
    let mut fail = false;
    let mut fixed = 0;
    let mut checked_files = 0;
    for result in results {
        match result {
            Ok(Some(c)) => {
                checked_files += 1;
                fixed += c.fixed;
                let fail_level = args.fail_level.unwrap_or(c.fail_level);
                fail |= c
                    .findings
                    .iter()
                    .any(|f| !f.suppressed && f.level >= fail_level);
                reports.push(FileReport {
                    path: c.display,
                    text: c.text,
                    findings: c.findings,
                });
            }
            Ok(None) => {}
            Err(s) => super::warn(format_args!("{}: {}; skipped", s.display, s.reason)),
        }
    }
    if let Some(cache) = cache {
        if let Err(e) = cache.save() {
            tracing::warn!(error = %e, "could not write the cache");
        }
    }
    // Deterministic output whatever the parallelism: by path, then position and rule
    // (findings within a file are already sorted by position).
    reports.sort_by(|a, b| a.path.cmp(&b.path));
    for r in &mut reports {
        r.findings.retain(|f| f.level >= args.min_level);
    }
    let docs_url = resolver
        .config_for_dir(&cwd)
        .ok()
        .and_then(|c| c.docs_url.clone());
    emit(&args, &reports, checked_files, fixed, docs_url)?;
    Ok(if fail && !args.exit_zero {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

fn emit(
    args: &CheckArgs,
    reports: &[FileReport],
    checked_files: usize,
    fixed: usize,
    docs_url: Option<String>,
) -> anyhow::Result<()> {
    let color = match args.color {
        ColorArg::Always => true,
        ColorArg::Never => false,
        ColorArg::Auto => {
            args.output_file.is_none()
                && std::io::stdout().is_terminal()
                && std::env::var_os("NO_COLOR").is_none()
        }
    };
    let format = match args.format {
        FormatArg::Human => Format::Human,
        FormatArg::Json => Format::Json,
        FormatArg::Sarif => Format::Sarif,
        FormatArg::Github => Format::Github,
    };
    let opts = RenderOptions { color, docs_url };
    let mut text = output::render(format, reports, &opts);
    if matches!(format, Format::Human) {
        if fixed > 0 {
            text.push_str(&format!(
                "Fixed {fixed} finding{}.\n",
                if fixed == 1 { "" } else { "s" }
            ));
        }
        text.push_str(&output::summary(reports, checked_files));
        if !text.ends_with('\n') {
            text.push('\n');
        }
    }
    if args.statistics {
        text.push_str(&output::statistics(reports));
    }
    match &args.output_file {
        Some(path) => {
            std::fs::write(path, text).with_context(|| format!("cannot write {}", path.display()))
        }
        None => write_stdout(&text),
    }
}

/// A resolver that reads from disk, with `--config FILE` in force when given.
pub(super) fn resolver(config: Option<&Path>) -> anyhow::Result<Resolver> {
    let mut resolver = Resolver::new();
    if let Some(path) = config {
        resolver
            .set_explicit_config(path)
            .map_err(|e| anyhow::anyhow!("invalid configuration: {e}"))?;
    }
    Ok(resolver)
}

/// The paths a command walks: those given, each of which must exist, or the
/// current directory.
pub(super) fn roots(paths: &[PathBuf]) -> anyhow::Result<Vec<PathBuf>> {
    if paths.is_empty() {
        return Ok(vec![PathBuf::from(".")]);
    }
    for root in paths {
        if !root.exists() {
            bail!("{}: no such file or directory", root.display());
        }
    }
    Ok(paths.to_vec())
}

/// `--select` and `--ignore` as per-rule levels laid over the configuration.
fn rule_selection(
    select: &[String],
    ignore: &[String],
) -> anyhow::Result<BTreeMap<String, Severity>> {
    for id in select.iter().chain(ignore) {
        if !registry::is_known(id) {
            bail!("unknown rule `{id}`; `precept rules` lists them");
        }
    }
    let mut out = BTreeMap::new();
    if !select.is_empty() {
        for rule in registry::all() {
            let id = rule.meta().id;
            if !select.iter().any(|s| s == id) {
                out.insert(id.to_owned(), Severity::Off);
            }
        }
    }
    for id in ignore {
        out.insert(id.clone(), Severity::Off);
    }
    Ok(out)
}

/// [`files::collect_files`] for a command: walk problems are notices, an invalid
/// configuration ends the run.
pub(super) fn collect_files(
    roots: &[PathBuf],
    resolver: &Resolver,
) -> anyhow::Result<Vec<PathBuf>> {
    files::collect_files(roots, resolver, &mut |problem| {
        super::warn(format_args!("{problem}; skipped"))
    })
    .map_err(|e| anyhow::anyhow!("invalid configuration: {e}"))
}

/// A path for display: relative to the current directory when inside it, with `/`.
pub(super) fn display_path(path: &Path, cwd: &Path) -> String {
    let abs = precept_rules::workspace::absolute(path);
    let shown = abs.strip_prefix(cwd).map(Path::to_path_buf).unwrap_or(abs);
    let s = shown.to_string_lossy().replace('\\', "/");
    s.strip_prefix("./").map(str::to_owned).unwrap_or(s)
}

fn check_file(
    path: &Path,
    cwd: &Path,
    resolver: &Resolver,
    args: &CheckArgs,
    cache: Option<&DiskCache>,
) -> Result<Option<Checked>, Skipped> {
    let display = display_path(path, cwd);
    let skip = |reason: String| Skipped {
        display: display.clone(),
        reason,
    };
    let ctx = resolver
        .context_for(path)
        .map_err(|e| skip(format!("{e}")))?;
    let text = read_source(path, ctx.config.max_file_size).map_err(skip)?;
    if is_generated(&text) {
        return Ok(None);
    }
    let fail_level = ctx.config.fail_level;
    if args.fix {
        let (text, findings, fixed) = fix_loop(text, &ctx, args.unsafe_fixes);
        if fixed > 0 {
            std::fs::write(path, text.as_bytes())
                .map_err(|e| skip(format!("cannot write fixes: {e}")))?;
        }
        return Ok(Some(Checked {
            display,
            text: text.into(),
            findings,
            fail_level,
            fixed,
        }));
    }
    let key = cache.map(|c| c.key(&display, &text, &ctx));
    if let (Some(cache), Some(key)) = (cache, key) {
        if let Some(findings) = cache.get(key) {
            return Ok(Some(Checked {
                display,
                text: text.into(),
                findings,
                fail_level,
                fixed: 0,
            }));
        }
    }
    let analysis = Analyzer::new().analyze(&text, &ctx);
    log_problems(&display, &analysis);
    if let (Some(cache), Some(key)) = (cache, key) {
        cache.put(key, analysis.findings.clone());
    }
    Ok(Some(Checked {
        display,
        text: text.into(),
        findings: analysis.findings,
        fail_level,
        fixed: 0,
    }))
}

fn log_problems(display: &str, analysis: &precept_rules::analysis::Analysis) {
    for range in &analysis.too_deep {
        super::warn(format_args!(
            "{display}: an item at byte {} nests too deeply to check; skipped",
            range.start
        ));
    }
    for (range, panic) in &analysis.panics {
        super::warn(format_args!("{display}: rule `{}` failed on the item at byte {} ({}); its findings there are missing — please report this",
            panic.rule, range.start, panic.message
        ));
    }
}

/// Apply fixes round by round until nothing changes. Returns the final text, its
/// findings and how many fixes were applied.
fn fix_loop(
    mut text: String,
    ctx: &FileContext,
    unsafe_fixes: bool,
) -> (String, Vec<Finding>, usize) {
    let min = if unsafe_fixes {
        Applicability::Unsafe
    } else {
        Applicability::Safe
    };
    let mut total = 0;
    let mut analyzer = Analyzer::new();
    for _ in 0..MAX_ROUNDS {
        let analysis = analyzer.analyze(&text, ctx);
        let applied = apply_fixes(&text, &analysis.findings, min);
        if applied.fixed == 0 || applied.text == text {
            return (text, analysis.findings, total);
        }
        total += applied.fixed;
        text = applied.text;
    }
    let findings = analyzer.analyze(&text, ctx).findings;
    (text, findings, total)
}

fn run_stdin(
    args: &CheckArgs,
    resolver: &Resolver,
    cwd: &Path,
    path: &Path,
) -> anyhow::Result<ExitCode> {
    let mut text = String::new();
    std::io::stdin()
        .read_to_string(&mut text)
        .context("cannot read stdin as UTF-8 text")?;
    let ctx = resolver
        .context_for(path)
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    let display = display_path(path, cwd);
    let fail_level = args.fail_level.unwrap_or(ctx.config.fail_level);
    let result = precept_rules::analysis::with_stack(|| {
        if args.fix {
            let (text, findings, _) = fix_loop(text.clone(), &ctx, args.unsafe_fixes);
            (text, findings)
        } else {
            let analysis = Analyzer::new().analyze(&text, &ctx);
            log_problems(&display, &analysis);
            (text.clone(), analysis.findings)
        }
    });
    let Some((text, findings)) = result else {
        bail!("analysis failed")
    };
    let fail = findings
        .iter()
        .any(|f| !f.suppressed && f.level >= fail_level);
    if args.fix {
        write_stdout(&text)?;
    } else {
        let mut findings = findings;
        findings.retain(|f| f.level >= args.min_level);
        let reports = vec![FileReport {
            path: display,
            text: text.into(),
            findings,
        }];
        emit(args, &reports, 1, 0, ctx.config.docs_url.clone())?;
    }
    Ok(if fail && !args.exit_zero {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}
