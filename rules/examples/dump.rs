//! Debugging aid: print the segments and findings of a file as the engine sees it.
//! `cargo run -p precept-rules --example dump -- path/to/file.rs [pretend/path.rs]`

// A benchmark report is printed for a person to read.
#![allow(clippy::print_stdout)]

use std::sync::Arc;

use precept_rules::analysis::{analyze, FileContext};

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let Some(path) = args.get(1) else {
        eprintln!("usage: dump FILE [PRETEND_PATH]");
        std::process::exit(2);
    };
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let seg = precept_rules::segment::segment(&text);
    for s in &seg.segments {
        eprintln!(
            "segment {:?} {:?}: {:?}",
            s.range,
            std::mem::discriminant(&s.kind),
            text.get(s.range.clone()).map(|t| t.lines().next())
        );
    }
    let mut ctx = FileContext::for_path(args.get(2).cloned().unwrap_or_else(|| path.clone()));
    ctx.crate_facts = Arc::new(precept_rules::crate_facts::CrateFacts::none());
    let analysis = analyze(&text, &ctx);
    for f in &analysis.findings {
        eprintln!(
            "{:?} {} {:?} {}: {:?}",
            f.range, f.rule, f.level, f.message, f.fix
        );
    }
    eprintln!("unparsed: {:?}", analysis.unparsed);
}
