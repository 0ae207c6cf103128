//! The `precept` binary: the command-line interface and the language server.
//!
//! Everything here is glue: argument parsing, file walking, output and exit codes.
//! The analysis itself lives in the `precept-rules` crate, so that `precept check`
//! and the editor integration report exactly the same findings for the same text.

use std::process::ExitCode;

use clap::Parser;
use mimalloc::MiMalloc;
use precept::cli;

/// Parsing allocates many small nodes; mimalloc is markedly faster at that than
/// the system allocator (see docs/benchmarks.md).
#[global_allocator]
static GLOBAL: MiMalloc = MiMalloc;

fn main() -> ExitCode {
    let args = cli::Cli::parse();
    cli::init_logging(args.log_level.as_deref());
    match cli::run(args) {
        Ok(code) => code,
        Err(err) => {
            // anyhow's alternate format prints the whole context chain on one line.
            eprintln!("error: {err:#}");
            ExitCode::from(2)
        }
    }
}
