//! Memory over time: resident set size before and after 10,000 re-analyses of a
//! 10,000-line file with one-character edits. Run with
//! `cargo bench -p precept-rules --bench memory`. Prints a small report; exits
//! non-zero if memory grows by more than 10 MB.

// A benchmark report is printed for a person to read.
#![allow(clippy::print_stdout)]

mod corpus;

/// The same allocator as the `precept` binary, so figures match the product.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

use precept_rules::analysis::{Analyzer, FileContext};

fn rss_kb() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1).and_then(|v| v.parse().ok()))
        })
        .unwrap_or(0)
}

fn run() -> bool {
    let original = corpus::file(10_000);
    let at = corpus::edit_point(&original);
    let ctx = FileContext::for_path("/bench/src/handlers.rs");
    let mut analyzer = Analyzer::new();
    let mut text = original.clone();
    // Warm up: caches and allocator pools reach their steady state.
    for i in 0..500 {
        text.insert(at, char::from(b'a' + (i % 26) as u8));
        analyzer.analyze(&text, &ctx);
    }
    let before = rss_kb();
    let start = std::time::Instant::now();
    for i in 0..10_000 {
        if i % 2 == 0 {
            text.insert(at, char::from(b'a' + (i % 26) as u8));
        } else {
            text.remove(at);
        }
        analyzer.analyze(&text, &ctx);
    }
    let elapsed = start.elapsed();
    let after = rss_kb();
    println!(
        "re-analyses:        10000 of a {}-line file",
        original.lines().count()
    );
    println!(
        "mean per analysis:  {:.3} ms",
        elapsed.as_secs_f64() * 1000.0 / 10_000.0
    );
    println!("RSS before:         {:.1} MB", before as f64 / 1024.0);
    println!("RSS after:          {:.1} MB", after as f64 / 1024.0);
    println!(
        "growth:             {:.1} MB",
        (after as f64 - before as f64) / 1024.0
    );
    after <= before + 10 * 1024
}

fn main() {
    let ok = std::thread::Builder::new()
        .stack_size(precept_rules::analysis::STACK_SIZE)
        .spawn(run)
        .ok()
        .and_then(|h| h.join().ok())
        .unwrap_or(false);
    if !ok {
        eprintln!("memory grew by more than 10 MB");
        std::process::exit(1);
    }
}
