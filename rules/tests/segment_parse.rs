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
        SegmentKind::InnerAttr => syn::parse_str::<syn::File>(src).map(|f| f.to_token_stream().to_string()),
        SegmentKind::Item if in_impl => syn::parse_str::<syn::ImplItem>(src).map(|i| i.to_token_stream().to_string()),
        SegmentKind::Item => syn::parse_str::<syn::Item>(src).map(|i| i.to_token_stream().to_string()),
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
    let inner: Vec<_> = seg.segments.iter().filter(|s| s.kind == SegmentKind::InnerAttr).collect();
    let items: Vec<_> = seg.segments.iter().filter(|s| s.kind != SegmentKind::InnerAttr).collect();
    assert_eq!(inner.len(), file.attrs.len(), "one segment per inner attribute or inner doc line");
    assert_eq!(items.len(), file.items.len());
    for (s, whole) in items.iter().zip(&file.items) {
        let alone = syn::parse_str::<syn::Item>(s.text(FIXTURE)).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(alone.to_token_stream().to_string(), whole.to_token_stream().to_string());
    }
}

#[test]
fn container_children_match_whole_file_items() {
    let file = syn::parse_file(FIXTURE).unwrap_or_else(|e| panic!("{e}"));
    let seg = segment(FIXTURE);
    let items: Vec<_> = seg.segments.iter().filter(|s| s.kind != SegmentKind::InnerAttr).collect();
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
                    let alone = syn::parse_str::<syn::ImplItem>(child.text(FIXTURE)).unwrap_or_else(|e| panic!("{e}"));
                    assert_eq!(alone.to_token_stream().to_string(), whole_child.to_token_stream().to_string());
                }
            }
            (ContainerKind::Mod, syn::Item::Mod(m)) => {
                mods += 1;
                let Some((_, content)) = &m.content else {
                    panic!("inline module without content");
                };
                let non_inner: Vec<_> = c.children.iter().filter(|s| s.kind != SegmentKind::InnerAttr).collect();
                assert_eq!(non_inner.len(), content.len());
                for (child, whole_child) in non_inner.iter().zip(content) {
                    let alone = syn::parse_str::<syn::Item>(child.text(FIXTURE)).unwrap_or_else(|e| panic!("{e}"));
                    assert_eq!(alone.to_token_stream().to_string(), whole_child.to_token_stream().to_string());
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
            .find(|s| s.text(FIXTURE).contains(needle) && !matches!(s.kind, SegmentKind::Container(_)))
            .map(|s| s.text(FIXTURE))
            .unwrap_or_else(|| panic!("no segment with {needle:?}"))
    };
    assert_eq!(find("use std::collections"), "use std::collections::{BTreeMap, HashMap};");
    assert!(find("pub struct Order").starts_with("/// An order.\n#[derive(Debug, Clone, PartialEq)]\n#[non_exhaustive]"));
    assert!(find("pin_project!").ends_with("fn_like: u8,\n    }\n}"), "pin_project! body is one item");
    assert!(find("macro_rules! try_or_log").ends_with("};\n}"));
    assert_eq!(find("pub mod api"), "pub mod api;");
    assert_eq!(find("pub const RATE"), "pub const RATE: u32 = 20;");
    assert!(find("fn empty_order_is_invalid").starts_with("#[test]\n    fn empty_order_is_invalid"));
    // Ordinary comments between items are in no segment.
    assert!(seg.walk().all(|(_, s)| !s.text(FIXTURE).contains("Ordinary comments")));
    assert!(seg.comments.iter().any(|c| FIXTURE[c.clone()].contains("Ordinary comments")));
}
