//! Command-line surface: `precept check`, `baseline`, `suppressions`, `rules`,
//! `explain`, `config`, `server`.

mod baseline;
mod cache;
mod check;
pub mod output;
mod suppressions;

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{bail, Context};
use clap::{Parser, Subcommand, ValueEnum};
use precept_rules::registry;
use precept_rules::Level;

/// Live standards hints for Rust backend code.
///
/// precept checks Rust services against engineering standards — panics across API
/// boundaries, network calls without timeouts, SQL built from strings and more — in
/// your editor as you type (`precept server`) and in CI (`precept check`).
#[derive(Debug, Parser)]
#[command(name = "precept", version, about, long_about = None, propagate_version = true)]
pub struct Cli {
    #[command(subcommand)]
    command: Command,

    /// Log level for messages on stderr (error, warn, info, debug, trace). The
    /// PRECEPT_LOG environment variable accepts full tracing filter directives.
    #[arg(long, global = true, value_name = "LEVEL")]
    pub log_level: Option<String>,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Check files or directories (default: the current directory).
    Check(check::CheckArgs),
    /// List every rule with its category, default level and whether it can fix.
    Rules {
        /// Output format.
        #[arg(long, value_enum, default_value_t = ListFormat::Human)]
        format: ListFormat,
    },
    /// Print a rule's documentation.
    Explain {
        /// The rule id, e.g. `unwrap-in-boundary`.
        rule: String,
    },
    /// Print the configuration in force for a file or directory and where it came from.
    Config {
        /// File or directory (default: the current directory).
        path: Option<PathBuf>,
    },
    /// Record today's findings in a baseline file, so that `check` and the editor
    /// report only new ones.
    ///
    /// Findings are keyed by file, rule, enclosing item and a hash of the flagged
    /// code, not by line: moving code around or adding lines above it keeps them
    /// hidden, while changing the flagged code, renaming its function or renaming
    /// the file brings them back. Point the configuration at the file to use it:
    /// `baseline = "precept-baseline.json"` in precept.toml.
    ///
    /// Example: `precept baseline` then `precept check` (reports only new findings).
    Baseline(baseline::BaselineArgs),
    /// List every `precept:allow` suppression with its rules, reason and expiry.
    Suppressions(suppressions::SuppressionsArgs),
    /// Run the language server on stdin/stdout.
    Server,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum ListFormat {
    Human,
    Json,
}

/// Send logs to stderr: stdout carries results (and, for the server, the protocol).
pub fn init_logging(level: Option<&str>) {
    use tracing_subscriber::EnvFilter;
    let filter = match (std::env::var("PRECEPT_LOG").ok(), level) {
        (_, Some(level)) => EnvFilter::try_new(level),
        (Some(env), None) => EnvFilter::try_new(env),
        (None, None) => EnvFilter::try_new("warn"),
    }
    .unwrap_or_else(|_| EnvFilter::new("warn"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_target(false)
        .try_init();
}

pub fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    match cli.command {
        Command::Check(args) => check::run(args),
        Command::Baseline(args) => baseline::run(args),
        Command::Rules { format } => {
            write_stdout(&list_rules(format)?)?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Explain { rule } => {
            let Some(meta) = registry::meta(&rule) else {
                bail!("unknown rule `{rule}`; `precept rules` lists them");
            };
            let mut text = format!("# {}\n\n", meta.id);
            text.push_str(&format!(
                "Category: {} · Default level: {} · Fix: {}\n\nStandard: {}\n\n",
                meta.category.as_str(),
                meta.default_level,
                fix_label(meta.fix),
                meta.standard
            ));
            text.push_str(&meta.docs());
            text.push('\n');
            write_stdout(&text)?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Config { path } => {
            let path = match path {
                Some(p) => p,
                None => std::env::current_dir().context("cannot read the current directory")?,
            };
            if !path.exists() {
                bail!("{}: no such file or directory", path.display());
            }
            let abs = std::path::absolute(&path)
                .with_context(|| format!("cannot resolve {}", path.display()))?;
            let config = if abs.is_dir() {
                precept_rules::config::discover_from_dir(
                    &abs,
                    &precept_rules::config::read_from_disk,
                    &registry::is_known,
                )
            } else {
                precept_rules::config::discover(
                    &abs,
                    &precept_rules::config::read_from_disk,
                    &registry::is_known,
                )
            };
            match config {
                Ok(config) => {
                    write_stdout(&config.describe())?;
                    Ok(ExitCode::SUCCESS)
                }
                Err(e) => bail!("invalid configuration: {e}"),
            }
        }
        Command::Suppressions(args) => suppressions::run(args),
        Command::Server => {
            crate::lsp::run_stdio()?;
            Ok(ExitCode::SUCCESS)
        }
    }
}

fn fix_label(fix: precept_rules::FixAvailability) -> &'static str {
    match fix {
        precept_rules::FixAvailability::None => "no",
        precept_rules::FixAvailability::Sometimes => "sometimes",
        precept_rules::FixAvailability::Always => "yes",
    }
}

fn list_rules(format: ListFormat) -> anyhow::Result<String> {
    let rules = registry::all();
    match format {
        ListFormat::Json => {
            let items: Vec<serde_json::Value> = rules
                .iter()
                .map(|r| {
                    let m = r.meta();
                    serde_json::json!({
                        "id": m.id,
                        "category": m.category.as_str(),
                        "default_level": m.default_level.as_str(),
                        "fix": fix_label(m.fix),
                        "summary": m.summary,
                        "standard": m.standard,
                    })
                })
                .collect();
            Ok(serde_json::to_string_pretty(&items)? + "\n")
        }
        ListFormat::Human => {
            let width = rules.iter().map(|r| r.meta().id.len()).max().unwrap_or(0);
            let mut out = format!(
                "{:width$}  {:15}  {:7}  {:9}  summary\n",
                "rule", "category", "level", "fix"
            );
            for r in rules {
                let m = r.meta();
                out.push_str(&format!(
                    "{:width$}  {:15}  {:7}  {:9}  {}\n",
                    m.id,
                    m.category.as_str(),
                    m.default_level.as_str(),
                    fix_label(m.fix),
                    m.summary
                ));
            }
            Ok(out)
        }
    }
}

/// A notice for the person running the command (a file skipped, a rule that
/// failed), on stderr as `warning: …`. It is part of the command's output, next to
/// its results, not a log record: logs go through `tracing` (`--log-level`).
pub(crate) fn warn(message: std::fmt::Arguments<'_>) {
    eprintln!("warning: {message}");
}

/// Write to stdout, treating a closed pipe (`precept rules | head`) as success.
pub fn write_stdout(text: &str) -> anyhow::Result<()> {
    let mut out = std::io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        Err(e) => Err(e).context("cannot write to stdout"),
    }
}

/// Parse a level name for clap.
pub fn parse_level(s: &str) -> Result<Level, String> {
    s.parse::<Level>().map_err(|e| e.to_string())
}
