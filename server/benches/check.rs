//! `precept check` throughput over a generated multi-file corpus, against a bare
//! `syn::parse_file` pass over the same files with the same parallelism.
//!
//! Run with `cargo bench -p precept --bench check`. It writes the corpus to a
//! temporary directory, times the real release binary (best of several runs, so a
//! busy machine hurts less), and prints lines per second for: bare parsing, a cold
//! check (`--no-cache`), and a warm check (on-disk cache filled).

// A benchmark report is printed for a person to read.
#![allow(clippy::print_stdout)]

#[path = "../../rules/benches/corpus.rs"]
mod corpus;

/// The same allocator as the `precept` binary, so the bare-parse baseline is fair.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

const FILES: usize = 100;
const LINES_PER_FILE: usize = 1_000;

fn write_corpus(dir: &Path) -> std::io::Result<(Vec<PathBuf>, usize)> {
    std::fs::create_dir_all(dir.join("src"))?;
    std::fs::write(
        dir.join("Cargo.toml"),
        "[package]\nname = \"bench\"\nversion = \"0.1.0\"\nedition = \"2021\"\n\n[dependencies]\naxum = \"0.8\"\nsqlx = { version = \"0.8\", features = [\"postgres\"] }\ntokio = { version = \"1\", features = [\"full\"] }\ntracing = \"0.1\"\n",
    )?;
    let mut files = Vec::new();
    let mut lines = 0;
    for i in 0..FILES {
        let text = corpus::file(LINES_PER_FILE);
        lines += text.lines().count();
        let path = dir.join("src").join(format!("m{i}.rs"));
        std::fs::write(&path, text)?;
        files.push(path);
    }
    Ok((files, lines))
}

fn best_of(runs: usize, mut f: impl FnMut()) -> Duration {
    (0..runs)
        .map(|_| {
            let start = Instant::now();
            f();
            start.elapsed()
        })
        .min()
        .unwrap_or_default()
}

fn bare_parse(files: &[PathBuf], threads: usize) {
    let chunks: Vec<&[PathBuf]> = files.chunks(files.len().div_ceil(threads)).collect();
    std::thread::scope(|s| {
        for chunk in chunks {
            let builder = std::thread::Builder::new().stack_size(64 << 20);
            let spawned = builder.spawn_scoped(s, move || {
                for f in chunk {
                    let text = std::fs::read_to_string(f).unwrap_or_default();
                    let parsed = syn::parse_file(&text).map(|f| f.items.len()).unwrap_or(0);
                    std::hint::black_box(parsed);
                    proc_macro2::extra::invalidate_current_thread_spans();
                }
            });
            if let Err(e) = spawned {
                eprintln!("cannot spawn: {e}");
            }
        }
    });
}

fn check(dir: &Path, extra: &[&str]) {
    let status = Command::new(env!("CARGO_BIN_EXE_precept"))
        .args([
            "check",
            "--exit-zero",
            "--format",
            "json",
            "--output-file",
            "/dev/null",
        ])
        .args(extra)
        .arg(".")
        .current_dir(dir)
        .status();
    match status {
        Ok(s) if s.success() => {}
        other => {
            eprintln!("precept check failed: {other:?}");
            std::process::exit(1);
        }
    }
}

fn main() {
    let tmp = match tempfile::tempdir() {
        Ok(t) => t,
        Err(e) => {
            eprintln!("cannot create a temporary directory: {e}");
            std::process::exit(1);
        }
    };
    let dir = tmp.path();
    let (files, lines) = match write_corpus(dir) {
        Ok(x) => x,
        Err(e) => {
            eprintln!("cannot write the corpus: {e}");
            std::process::exit(1);
        }
    };
    let threads = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1);
    let per_sec = |d: Duration| lines as f64 / d.as_secs_f64();

    let bare = best_of(5, || bare_parse(&files, threads));
    let cold = best_of(5, || check(dir, &["--no-cache"]));
    check(dir, &[]);
    let warm = best_of(10, || check(dir, &[]));

    println!("corpus: {FILES} files, {lines} lines, {threads} threads");
    println!("{:<34} {:>10} {:>14}", "pass", "time", "lines/s");
    println!(
        "{:<34} {:>8.1}ms {:>14.0}",
        "bare syn::parse_file",
        bare.as_secs_f64() * 1e3,
        per_sec(bare)
    );
    println!(
        "{:<34} {:>8.1}ms {:>14.0}",
        "precept check, empty cache",
        cold.as_secs_f64() * 1e3,
        per_sec(cold)
    );
    println!(
        "{:<34} {:>8.1}ms {:>14.0}",
        "precept check, warm cache",
        warm.as_secs_f64() * 1e3,
        per_sec(warm)
    );
    println!(
        "cold check / bare parse speed: {:.0} %",
        100.0 * bare.as_secs_f64() / cold.as_secs_f64()
    );
}
