//! The scanner and the segmenter never panic, never overflow the stack and never go
//! quadratic, whatever the input: arbitrary strings, random bytes, soups of Rust
//! fragments, a million levels of nesting, ten-megabyte files. Also an ignored timing
//! test for a 10,000-line file (run it in release, see its doc comment).

#[path = "segment_support.rs"]
mod support;

use std::time::{Duration, Instant};

use precept_rules::lex::{delimiters_balance, nesting_depth, Lexer};
use precept_rules::segment::{resplit, segment, SegmentKind};
use proptest::prelude::*;
use support::{check_invariants, FIXTURE};

/// Everything a caller does with a text: segment it, re-split each leaf, estimate each
/// leaf's depth, and check the invariants.
fn exercise(text: &str) {
    let seg = segment(text);
    check_invariants(text, &seg);
    assert_eq!(
        seg.balanced,
        delimiters_balance(text),
        "one lexer pass decides balance"
    );
    for (_, s) in seg.walk() {
        if !matches!(s.kind, SegmentKind::Container(_)) {
            let pieces = resplit(text, s.range.clone());
            let mut prev = s.range.start;
            for piece in pieces {
                assert!(
                    piece.start >= prev && piece.end <= s.range.end && piece.start <= piece.end
                );
                assert!(text.is_char_boundary(piece.start) && text.is_char_boundary(piece.end));
                prev = piece.end;
            }
            let _ = nesting_depth(s.text(text));
        }
    }
    let _ = Lexer::new(text).count();
}

/// Pieces of Rust that reach the scanner's and the segmenter's corner cases when
/// glued together at random.
const FRAGMENTS: &[&str] = &[
    "fn",
    "fn a() {",
    "pub ",
    "impl X {",
    "impl<T> Y<{ N }> for Z {",
    "mod m {",
    "mod m;",
    "use a::{b, c};",
    "const C: u8 = 1;",
    "static S: [u8; 4] = [0; 4];",
    "struct S {",
    "enum E {",
    "trait T {",
    "macro_rules! m {",
    "m! {",
    "m!(",
    "#[a]",
    "#![a]",
    "#!",
    "///d",
    "//!d",
    "//c",
    "/*",
    "*/",
    "/**",
    "/*!",
    "{",
    "}",
    "(",
    ")",
    "[",
    "]",
    "<",
    ">",
    "->",
    ";",
    ",",
    "\"",
    "\\",
    "'",
    "'a",
    "'a'",
    "b'",
    "b'x'",
    "r\"",
    "r#\"",
    "\"#",
    "r#fn",
    "br#\"",
    "c\"",
    "#",
    "!",
    "x",
    "1.0",
    " ",
    "    ",
    "\t",
    "\n",
    "\r\n",
    "\n    ",
    "\n}\n",
    "é",
    "😀",
    "\u{feff}",
    "\u{2028}",
    "\u{85}",
];

proptest! {
    #![proptest_config(ProptestConfig { cases: 3000, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_strings_never_panic(text in ".*") {
        exercise(&text);
    }

    #[test]
    fn random_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..400)) {
        exercise(&String::from_utf8_lossy(&bytes));
    }

    #[test]
    fn fragment_soup_never_panics(picks in prop::collection::vec(prop::sample::select(FRAGMENTS), 0..120)) {
        exercise(&picks.concat());
    }

}

proptest! {
    // Each case segments a whole file, checks it and re-splits every segment.
    #![proptest_config(ProptestConfig { cases: 400, ..ProptestConfig::default() })]

    /// Random edits anywhere in a realistic file (not only inside functions).
    #[test]
    fn random_edits_of_a_real_file_never_panic(
        at in any::<prop::sample::Index>(),
        len in 0usize..40,
        insert in prop::collection::vec(prop::sample::select(FRAGMENTS), 0..4),
    ) {
        let boundaries: Vec<usize> = (0..=FIXTURE.len()).filter(|&i| FIXTURE.is_char_boundary(i)).collect();
        let start = boundaries[at.index(boundaries.len())];
        let end = (start + len..=FIXTURE.len()).find(|&i| FIXTURE.is_char_boundary(i)).unwrap_or(FIXTURE.len());
        let text = format!("{}{}{}", &FIXTURE[..start], insert.concat(), &FIXTURE[end..]);
        exercise(&text);
    }
}

/// Runs `f` and returns how long it took.
fn timed(f: impl FnOnce()) -> Duration {
    let start = Instant::now();
    f();
    start.elapsed()
}

/// The fastest of five runs: other work on the machine (parallel tests, builds) only
/// ever adds time, so the minimum is what the code itself costs.
fn fastest(mut f: impl FnMut()) -> Duration {
    (0..5).map(|_| timed(&mut f)).min().unwrap_or_default()
}

#[test]
fn a_million_levels_of_nesting() {
    let n = 1_000_000;
    let cases: Vec<(String, usize)> = vec![
        ("(".repeat(n), n),
        ("{".repeat(n), n),
        ("[".repeat(n), n),
        (format!("{}{}", "(".repeat(n), ")".repeat(n)), n),
        (format!("fn f() {{{}{}}}", "{".repeat(n), "}".repeat(n)), n),
        (format!("fn f() {{ x = {}y; }}", "!".repeat(n)), n),
        (format!("fn f() {{ x = {}y; }}", "-".repeat(n)), n),
        (format!("fn f() {{ x = {}y; }}", "&".repeat(n)), n),
        (format!("fn f() {{ x = {}y; }}", "*".repeat(n)), n),
        (
            format!("type T = {}u8{};", "Vec<".repeat(n), ">".repeat(n)),
            n,
        ),
        ("{[(".repeat(n / 3), 3 * (n / 3)),
        ("!(".repeat(n / 2), n),
        ("mod a {".repeat(n / 7), n / 7),
        ("impl X {".repeat(n / 8), n / 8),
    ];
    for (text, depth) in cases {
        check_segmentation_shape(&text);
        assert!(
            nesting_depth(&text) >= depth,
            "{}…: {} < {depth}",
            &text[..10],
            nesting_depth(&text)
        );
    }
    // A million nested block comments and a million quotes are just long tokens.
    let text = "/*".repeat(n);
    assert_eq!(segment(&text).comments.len(), 1);
    let text = "\"\n".repeat(n);
    check_segmentation_shape(&text);
}

#[test]
fn nesting_depth_is_linear() {
    for unit in ["(", "{", "!", "<", "&", "{[(", "!("] {
        let small = unit.repeat(250_000);
        let large = unit.repeat(1_000_000);
        let t_small = fastest(|| {
            nesting_depth(&small);
        });
        let t_large = fastest(|| {
            nesting_depth(&large);
        });
        // Four times the input: linear is about 4x; quadratic would be 16x.
        assert!(
            t_large < t_small * 10 + Duration::from_millis(50),
            "{unit}: {t_small:?} -> {t_large:?}"
        );
    }
}

#[test]
fn segmenting_is_linear_on_pathological_inputs() {
    let units: &[&str] = &[
        ";",
        "}",
        ")",
        "{",
        "(",
        "\"",
        "'",
        "#",
        "r#",
        "b'",
        "/*",
        "*/",
        "fn x(\n",
        "fn \n",
        "mod a {",
        "impl X {",
        "    ",
        "x",
        "\"\nfn x() {\n",
        "a::",
        "'a ",
        "#![a]",
        "//!\n",
        "///\n",
        "} fn a() {\n",
        "#[a(\n",
        "\n}\n",
        "r#\"\"",
        "'\\'",
    ];
    for unit in units {
        let small = unit.repeat(100_000 / unit.len().max(1));
        let large = unit.repeat(400_000 / unit.len().max(1));
        let t_small = fastest(|| check_segmentation_shape(&small));
        let t_large = fastest(|| check_segmentation_shape(&large));
        assert!(
            t_large < t_small * 10 + Duration::from_millis(100),
            "{unit:?}: {t_small:?} -> {t_large:?}"
        );
    }
}

/// Cheap structural checks that keep the timed part dominated by segmentation.
fn check_segmentation_shape(text: &str) {
    let seg = segment(text);
    let mut prev = 0;
    for s in &seg.segments {
        assert!(s.range.start >= prev && s.range.end <= text.len());
        prev = s.range.end;
    }
    // Runs of stray `;` and `}` share segments, so even these stay small.
    assert!(
        seg.segments.len() <= text.len() / 2 + 1,
        "{} segments for {} bytes",
        seg.segments.len(),
        text.len()
    );
}

/// Several hundred copies of the fixture (rustfmt-style service code).
fn big_file(bytes: usize) -> String {
    let mut text = String::with_capacity(bytes + FIXTURE.len());
    let mut copy = 0;
    while text.len() < bytes {
        // Rename the test module so the copies read like distinct modules.
        text.push_str(&FIXTURE.replace("mod tests", &format!("mod tests_{copy}")));
        copy += 1;
    }
    text
}

#[test]
fn ten_megabyte_file() {
    let text = big_file(10 << 20);
    let per_copy = segment(FIXTURE).segments.len();
    let copies = text.matches("mod tests_").count();
    let mut seg = None;
    let elapsed = timed(|| seg = Some(segment(&text)));
    let Some(seg) = seg else {
        panic!("no segmentation");
    };
    assert!(seg.balanced);
    assert_eq!(seg.segments.len(), per_copy * copies);
    // Generous: about 30 ms in release; a debug build is some ten times slower.
    assert!(elapsed < Duration::from_secs(5), "{elapsed:?}");

    // The same file with an unbalanced brace near the start: recovery runs over
    // almost all of it, and still only the broken function changes.
    let at = text.find("let mut total = 0u64;").unwrap_or_default();
    let broken = format!("{}{{{}", &text[..at], &text[at..]);
    let mut seg2 = None;
    let elapsed = timed(|| seg2 = Some(segment(&broken)));
    let Some(seg2) = seg2 else {
        panic!("no segmentation");
    };
    assert!(!seg2.balanced);
    assert_eq!(seg2.segments.len(), seg.segments.len());
    let differ = seg
        .segments
        .iter()
        .zip(&seg2.segments)
        .filter(|(a, b)| a.text(&text) != b.text(&broken))
        .count();
    assert_eq!(differ, 1, "only the edited function differs");
    assert!(elapsed < Duration::from_secs(5), "{elapsed:?}");
}

/// Timing of `segment` on a 10,000-line file and on a 400 KB file built from the
/// fixture (which is denser than most code: about 22 bytes and 6 tokens a line), valid
/// and with an unbalanced brace or an unterminated string halfway. Run with
/// `cargo test -p precept-rules --release --test segment_robust -- --ignored --nocapture timing`.
#[test]
#[ignore = "timing; run in release with --nocapture"]
fn timing_ten_thousand_lines() {
    let mut ten_k = big_file(0);
    while ten_k.lines().count() < 10_000 {
        ten_k.push_str(&FIXTURE.replace("mod tests", &format!("mod tests_{}", ten_k.len())));
    }
    for text in [ten_k, big_file(400_000)] {
        let lines = text.lines().count();
        let at = text.len() / 2
            + text[text.len() / 2..]
                .find("let mut total = 0u64;")
                .unwrap_or_default();
        let broken = format!("{}{{{}", &text[..at], &text[at..]);
        let quoted = format!("{}\"{}", &text[..at], &text[at..]);
        for (name, input) in [
            ("valid", &text),
            ("unbalanced `{` halfway", &broken),
            ("unterminated string halfway", &quoted),
        ] {
            let median = median_of(|| {
                std::hint::black_box(segment(std::hint::black_box(input)));
            });
            eprintln!(
                "segment {name}: {lines} lines, {} KB: median {median:?}",
                input.len() / 1024
            );
        }
        let lex = median_of(|| {
            std::hint::black_box(Lexer::new(std::hint::black_box(&text)).count());
        });
        let depth = median_of(|| {
            std::hint::black_box(nesting_depth(std::hint::black_box(&text)));
        });
        eprintln!("  every token (Lexer::next): median {lex:?}; nesting_depth: median {depth:?}");
    }
}

/// Median of 200 timed runs.
fn median_of(mut f: impl FnMut()) -> Duration {
    let mut runs: Vec<Duration> = (0..200).map(|_| timed(&mut f)).collect();
    runs.sort();
    runs[runs.len() / 2]
}
