//! The segments of a valid file parse on their own, and parse to the same items that
//! parsing the whole file gives: item-level analysis sees exactly what whole-file
//! analysis would.

#[path = "segment_support.rs"]
mod support;

use precept_rules::segment::{segment, ContainerKind, Segment, SegmentKind};
use quote::ToTokens;
use support::{check_invariants, FIXTURE};

/// Parses one segment the way the analysis does, returning its tokens as a string to
/// compare with the whole-file parse.
fn parse_segment(text: &str, s: &Segment, in_impl: bool) -> Result<String, String> {
    let src = s.text(text);
    match &s.kind {
        SegmentKind::InnerAttr => {
            syn::parse_str::<syn::File>(src).map(|f| f.to_token_stream().to_string())
        }
        SegmentKind::Item if in_impl => {
            syn::parse_str::<syn::ImplItem>(src).map(|i| i.to_token_stream().to_string())
        }
        SegmentKind::Item => {
            syn::parse_str::<syn::Item>(src).map(|i| i.to_token_stream().to_string())
        }
        SegmentKind::Container(c) => {
            let header = format!("{}}}", &text[c.header.clone()]);
            syn::parse_str::<syn::Item>(&header).map(|i| i.to_token_stream().to_string())
        }
    }
    .map_err(|e| format!("{e}: {src:?}"))
}

/// Checks every segment at one level and its children, returning how many parsed.
fn check_level(text: &str, segments: &[Segment], in_impl: bool) -> usize {
    let mut parsed = 0;
    for s in segments {
        if let Err(e) = parse_segment(text, s, in_impl) {
            panic!("segment does not parse: {e}");
        }
        parsed += 1;
        if let SegmentKind::Container(c) = &s.kind {
            parsed += check_level(text, &c.children, c.kind == ContainerKind::Impl);
        }
    }
    parsed
}

#[test]
fn every_segment_of_a_valid_file_parses() {
    let seg = segment(FIXTURE);
    assert!(seg.balanced);
    check_invariants(FIXTURE, &seg);
    let parsed = check_level(FIXTURE, &seg.segments, false);
    assert!(parsed > 60, "only {parsed} segments");
}

#[test]
fn top_level_segments_match_whole_file_items() {
    let file = syn::parse_file(FIXTURE).unwrap_or_else(|e| panic!("{e}"));
    let seg = segment(FIXTURE);
    let inner: Vec<_> = seg
        .segments
        .iter()
        .filter(|s| s.kind == SegmentKind::InnerAttr)
        .collect();
    let items: Vec<_> = seg
        .segments
        .iter()
        .filter(|s| s.kind != SegmentKind::InnerAttr)
        .collect();
    assert_eq!(
        inner.len(),
        file.attrs.len(),
        "one segment per inner attribute or inner doc line"
    );
    assert_eq!(items.len(), file.items.len());
    for (s, whole) in items.iter().zip(&file.items) {
        let alone = syn::parse_str::<syn::Item>(s.text(FIXTURE)).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            alone.to_token_stream().to_string(),
            whole.to_token_stream().to_string()
        );
    }
}

#[test]
fn container_children_match_whole_file_items() {
    let file = syn::parse_file(FIXTURE).unwrap_or_else(|e| panic!("{e}"));
    let seg = segment(FIXTURE);
    let items: Vec<_> = seg
        .segments
        .iter()
        .filter(|s| s.kind != SegmentKind::InnerAttr)
        .collect();
    let mut impls = 0;
    let mut mods = 0;
    for (s, whole) in items.iter().zip(&file.items) {
        let SegmentKind::Container(c) = &s.kind else {
            continue;
        };
        match (c.kind, whole) {
            (ContainerKind::Impl, syn::Item::Impl(imp)) => {
                impls += 1;
                assert_eq!(c.children.len(), imp.items.len());
                for (child, whole_child) in c.children.iter().zip(&imp.items) {
                    let alone = syn::parse_str::<syn::ImplItem>(child.text(FIXTURE))
                        .unwrap_or_else(|e| panic!("{e}"));
                    assert_eq!(
                        alone.to_token_stream().to_string(),
                        whole_child.to_token_stream().to_string()
                    );
                }
            }
            (ContainerKind::Mod, syn::Item::Mod(m)) => {
                mods += 1;
                let Some((_, content)) = &m.content else {
                    panic!("inline module without content");
                };
                let non_inner: Vec<_> = c
                    .children
                    .iter()
                    .filter(|s| s.kind != SegmentKind::InnerAttr)
                    .collect();
                assert_eq!(non_inner.len(), content.len());
                for (child, whole_child) in non_inner.iter().zip(content) {
                    let alone = syn::parse_str::<syn::Item>(child.text(FIXTURE))
                        .unwrap_or_else(|e| panic!("{e}"));
                    assert_eq!(
                        alone.to_token_stream().to_string(),
                        whole_child.to_token_stream().to_string()
                    );
                }
            }
            (kind, other) => panic!("{kind:?} segment for {}", other.to_token_stream()),
        }
    }
    assert!(impls >= 5 && mods >= 2, "{impls} impls, {mods} mods");
}

#[test]
fn fixture_segments_are_what_a_reader_expects() {
    let seg = segment(FIXTURE);
    let find = |needle: &str| {
        seg.walk()
            .map(|(_, s)| s)
            .find(|s| {
                s.text(FIXTURE).contains(needle) && !matches!(s.kind, SegmentKind::Container(_))
            })
            .map(|s| s.text(FIXTURE))
            .unwrap_or_else(|| panic!("no segment with {needle:?}"))
    };
    assert_eq!(
        find("use std::collections"),
        "use std::collections::{BTreeMap, HashMap};"
    );
    assert!(find("pub struct Order")
        .starts_with("/// An order.\n#[derive(Debug, Clone, PartialEq)]\n#[non_exhaustive]"));
    assert!(
        find("pin_project!").ends_with("fn_like: u8,\n    }\n}"),
        "pin_project! body is one item"
    );
    assert!(find("macro_rules! try_or_log").ends_with("};\n}"));
    assert_eq!(find("pub mod api"), "pub mod api;");
    assert_eq!(find("pub const RATE"), "pub const RATE: u32 = 20;");
    assert!(find("fn empty_order_is_invalid").starts_with("#[test]\n    fn empty_order_is_invalid"));
    // Ordinary comments between items are in no segment.
    assert!(seg
        .walk()
        .all(|(_, s)| !s.text(FIXTURE).contains("Ordinary comments")));
    assert!(seg
        .comments
        .iter()
        .any(|c| FIXTURE[c.clone()].contains("Ordinary comments")));
}

/// Compares item-level parsing with whole-file parsing on every `.rs` file under a
/// directory: for each file syn parses as a whole, the segmentation must be balanced
/// and its segments must parse (each on its own) to exactly the items, impl items and
/// module items of the whole-file parse. The directory is `PRECEPT_CORPUS`, or the
/// cargo registry sources (`$CARGO_HOME/registry/src`, `~/.cargo/registry/src`).
/// Run with `cargo test -p precept-rules --release --test segment_parse -- --ignored
/// --nocapture corpus`.
#[test]
#[ignore = "walks a corpus of real files; run on demand"]
fn corpus_segments_equal_whole_file_items() {
    let root = std::env::var_os("PRECEPT_CORPUS")
        .map(std::path::PathBuf::from)
        .or_else(|| {
            std::env::var_os("CARGO_HOME").map(|h| std::path::PathBuf::from(h).join("registry/src"))
        })
        .or_else(|| {
            std::env::var_os("HOME")
                .map(|h| std::path::PathBuf::from(h).join(".cargo/registry/src"))
        })
        .unwrap_or_default();
    let mut stack = vec![root.clone()];
    let (mut files, mut compared, mut lines) = (0usize, 0usize, 0usize);
    let mut failures = Vec::new();
    while let Some(dir) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
                continue;
            }
            if path.extension().is_none_or(|e| e != "rs") {
                continue;
            }
            let Ok(text) = std::fs::read_to_string(&path) else {
                continue;
            };
            files += 1;
            // syn recurses; skip what could overflow this test thread's stack.
            if precept_rules::lex::nesting_depth(&text) > 200 {
                continue;
            }
            let Ok(file) = syn::parse_file(&text) else {
                continue;
            };
            compared += 1;
            lines += text.lines().count();
            if let Err(e) = compare(&text, &file) {
                failures.push(format!("{}: {e}", path.display()));
            }
        }
    }
    eprintln!(
        "{files} files under {}, {compared} compared ({lines} lines), {} differ",
        root.display(),
        failures.len()
    );
    for f in failures.iter().take(20) {
        eprintln!("  {f}");
    }
    assert!(failures.is_empty());
}

fn compare(text: &str, file: &syn::File) -> Result<(), String> {
    let seg = segment(text);
    if !seg.balanced {
        return Err("not balanced".into());
    }
    let inner = seg
        .segments
        .iter()
        .filter(|s| s.kind == SegmentKind::InnerAttr)
        .count();
    // A shebang is a segment but not an attribute.
    let shebang = usize::from(precept_rules::lex::shebang(text).is_some());
    if inner != file.attrs.len() + shebang {
        return Err(format!(
            "{inner} inner segments for {} inner attributes",
            file.attrs.len()
        ));
    }
    compare_items(text, &seg.segments, &file.items)
}

fn compare_items(text: &str, segments: &[Segment], items: &[syn::Item]) -> Result<(), String> {
    let tokens = |t: &dyn ToTokens| t.to_token_stream().to_string();
    let segs: Vec<&Segment> = segments
        .iter()
        .filter(|s| s.kind != SegmentKind::InnerAttr)
        .collect();
    if segs.len() != items.len() {
        let first = segs.iter().zip(items).position(|(s, i)| {
            syn::parse_str::<syn::Item>(s.text(text))
                .map(|p| tokens(&p))
                .ok()
                != Some(tokens(i))
        });
        let at = first
            .and_then(|n| segs.get(n))
            .map(|s| s.text(text).lines().next().unwrap_or_default().to_string());
        return Err(format!(
            "{} segments for {} items; first difference at {at:?}",
            segs.len(),
            items.len()
        ));
    }
    for (s, item) in segs.iter().zip(items) {
        match (&s.kind, item) {
            (SegmentKind::Container(c), syn::Item::Impl(imp)) => {
                let header = syn::parse_str::<syn::Item>(&format!("{}}}", &text[c.header.clone()]))
                    .map_err(|e| format!("impl header: {e}"))?;
                let syn::Item::Impl(mut empty) = item.clone() else {
                    return Err("not an impl".into());
                };
                empty.items.clear();
                if tokens(&header) != tokens(&empty) {
                    return Err(format!("impl header differs: {}", tokens(&header)));
                }
                let children: Vec<&Segment> = c
                    .children
                    .iter()
                    .filter(|s| s.kind != SegmentKind::InnerAttr)
                    .collect();
                if children.len() != imp.items.len() {
                    return Err(format!(
                        "impl with {} children for {} items",
                        children.len(),
                        imp.items.len()
                    ));
                }
                for (child, whole) in children.iter().zip(&imp.items) {
                    let alone = syn::parse_str::<syn::ImplItem>(child.text(text))
                        .map_err(|e| format!("impl item: {e}: {}", child.text(text)))?;
                    if tokens(&alone) != tokens(whole) {
                        return Err(format!("impl item differs: {}", child.text(text)));
                    }
                }
            }
            (SegmentKind::Container(c), syn::Item::Mod(m)) => {
                let Some((_, content)) = &m.content else {
                    return Err("module without body".into());
                };
                compare_items(text, &c.children, content)?;
            }
            (SegmentKind::Container(_), _) => return Err("container for another item".into()),
            _ => {
                let alone = syn::parse_str::<syn::Item>(s.text(text)).map_err(|e| {
                    format!("{e}: {}", s.text(text).lines().next().unwrap_or_default())
                })?;
                if tokens(&alone) != tokens(item) {
                    return Err(format!(
                        "item differs: {}",
                        s.text(text).lines().next().unwrap_or_default()
                    ));
                }
            }
        }
    }
    Ok(())
}
