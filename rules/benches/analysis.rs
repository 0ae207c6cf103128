//! Engine benchmarks: full analysis of 1k/10k/50k-line files, re-analysis after a
//! one-character edit with a warm cache, and a bare `syn::parse_file` of the same
//! text for reference. Run with `cargo bench -p precept-rules --bench analysis`.
//! Memory over 10,000 re-analyses: `cargo bench -p precept-rules --bench memory`.

mod corpus;

/// The same allocator as the `precept` binary, so figures match the product.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

use std::sync::OnceLock;

use divan::Bencher;
use precept_rules::analysis::{Analyzer, FileContext};

fn main() {
    // The analysis recurses; run the benchmarks on a large stack like the tools do.
    let handle = std::thread::Builder::new()
        .stack_size(precept_rules::analysis::STACK_SIZE)
        .spawn(divan::main);
    match handle.map(|h| h.join()) {
        Ok(Ok(())) => {}
        _ => std::process::exit(1),
    }
}

fn text(lines: usize) -> &'static str {
    static T1: OnceLock<String> = OnceLock::new();
    static T10: OnceLock<String> = OnceLock::new();
    static T50: OnceLock<String> = OnceLock::new();
    let cell = match lines {
        1_000 => &T1,
        10_000 => &T10,
        _ => &T50,
    };
    cell.get_or_init(|| corpus::file(lines))
}

fn ctx() -> FileContext {
    FileContext::for_path("/bench/src/handlers.rs")
}

#[divan::bench(args = [1_000, 10_000, 50_000], sample_count = 20)]
fn full_analysis(bencher: Bencher, lines: usize) {
    let text = text(lines);
    let ctx = ctx();
    bencher
        .counter(divan::counter::BytesCount::of_str(text))
        .bench(|| Analyzer::new().analyze(text, &ctx));
}

#[divan::bench(args = [1_000, 10_000, 50_000], sample_count = 20)]
fn bare_syn_parse_file(bencher: Bencher, lines: usize) {
    let text = text(lines);
    bencher
        .counter(divan::counter::BytesCount::of_str(text))
        .bench(|| {
            let file = syn::parse_file(text).map(|f| f.items.len()).unwrap_or(0);
            proc_macro2::extra::invalidate_current_thread_spans();
            file
        });
}

/// The keystroke path: one character typed inside one function of a 10,000-line
/// file, with the cache warm from the previous version.
#[divan::bench(sample_count = 200)]
fn reanalyze_after_one_char_edit(bencher: Bencher) {
    let original = text(10_000);
    let at = corpus::edit_point(original);
    let mut edited = original.to_owned();
    edited.insert(at, 'x');
    let versions = [original.to_owned(), edited];
    let ctx = ctx();
    let mut analyzer = Analyzer::new();
    analyzer.analyze(&versions[0], &ctx);
    let mut i = 0usize;
    bencher.bench_local(|| {
        i += 1;
        analyzer.analyze(&versions[i % 2], &ctx)
    });
}

/// The keystroke path with a baseline in force that records every finding of the
/// file: each analysis also keys and matches all of them. The 10,000-line corpus
/// gets 200 more functions with two findings each.
#[divan::bench(args = [false, true], sample_count = 200)]
fn reanalyze_with_baseline(bencher: Bencher, with_baseline: bool) {
    use precept_rules::baseline::{self, Baseline};
    let mut original = text(10_000).to_owned();
    for i in 0..200 {
        original.push_str(&format!(
            "\npub fn legacy_{i}(s: &str) -> u64 {{\n    let _t = std::time::SystemTime::now().elapsed();\n    s.parse().unwrap()\n}}\n"
        ));
    }
    let at = corpus::edit_point(&original);
    let mut edited = original.clone();
    edited.insert(at, 'x');
    let versions = [original.to_owned(), edited];
    let mut ctx = ctx();
    let mut analyzer = Analyzer::new();
    let findings = analyzer.analyze(&versions[0], &ctx).findings;
    let json = baseline::render(baseline::entries(
        &versions[0],
        &findings,
        "src/handlers.rs",
    ));
    let Ok(parsed) = Baseline::parse(&json, std::path::Path::new("/bench/b.json")) else {
        return;
    };
    if with_baseline {
        ctx.baseline = parsed.for_file(std::path::Path::new("/bench/src/handlers.rs"));
        assert_eq!(ctx.baseline.as_ref().map_or(0, |b| b.len()), findings.len());
    }
    let mut i = 0usize;
    bencher.bench_local(|| {
        i += 1;
        analyzer.analyze(&versions[i % 2], &ctx)
    });
}
