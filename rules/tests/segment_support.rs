//! Shared material for the segmenter's integration tests: a realistic, valid,
//! rustfmt-formatted file with many kinds of items, and a checker for the structural
//! invariants every segmentation must satisfy whatever the input. The other
//! `segment_*` test files include this one with `#[path]`; compiled on its own it only
//! checks that the fixture is what the tests assume.

#![allow(dead_code)]

use precept_rules::segment::{Segment, SegmentKind, Segmentation};

/// A service-like file: imports, config structs, an error enum, a trait, impl blocks
/// with methods, nested modules, macros, statics, and a test module. Every function
/// body is indented by four spaces per level, as rustfmt does.
pub const FIXTURE: &str = r####"//! Order service: HTTP handlers, storage and pricing.
//!
//! Strings like "}" and chars like '{' must not confuse the segmenter.
#![allow(dead_code)]
#![warn(missing_docs)]

use std::collections::{BTreeMap, HashMap};
use std::fmt::{self, Display};
use std::sync::{Arc, Mutex};
use std::time::Duration;

// Ordinary comments between items belong to no item.

/// How long a request may take.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);

/// Greeting bytes.
pub static GREETING: &[u8; 5] = b"hello";

const TABLE: [u8; 4] = [1, 2, 3, 4];

static COUNTERS: Mutex<[u64; 2]> = Mutex::new([0; 2]);

/// A map from order id to order.
pub type OrderMap = HashMap<u64, Order>;

type Callback = Box<dyn Fn(&str) -> Result<(), String> + Send + Sync>;

/// An order.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct Order {
    /// Identifier.
    pub id: u64,
    /// Line items.
    pub lines: Vec<Line>,
    pub note: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Line(pub String, pub u32);

/// What can go wrong.
#[derive(Debug)]
pub enum OrderError {
    /// Not found.
    NotFound { id: u64 },
    Invalid(String),
    Storage,
}

impl Display for OrderError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            OrderError::NotFound { id } => write!(f, "order {id} not found {{}}"),
            OrderError::Invalid(why) => write!(f, "invalid: {why}"),
            OrderError::Storage => f.write_str("storage }"),
        }
    }
}

impl std::error::Error for OrderError {}

/// Storage of orders.
pub trait Store: Send + Sync {
    /// Fetch one order.
    fn get(&self, id: u64) -> Result<Order, OrderError>;

    /// Store one order.
    fn put(&self, order: Order) -> Result<(), OrderError>;

    fn count(&self) -> usize {
        0
    }
}

/// In-memory store.
#[derive(Default)]
pub struct MemoryStore {
    orders: Mutex<OrderMap>,
}

impl MemoryStore {
    /// A new, empty store.
    pub fn new() -> Self {
        Self { orders: Mutex::new(HashMap::new()) }
    }

    pub const CAPACITY: usize = 1024;

    fn lock(&self) -> std::sync::MutexGuard<'_, OrderMap> {
        match self.orders.lock() {
            Ok(guard) => guard,
            Err(poisoned) => poisoned.into_inner(),
        }
    }

    pub fn ids(&self) -> Vec<u64> {
        let mut ids: Vec<u64> = self.lock().keys().copied().collect();
        ids.sort_unstable();
        ids
    }
}

impl Store for MemoryStore {
    fn get(&self, id: u64) -> Result<Order, OrderError> {
        self.lock().get(&id).cloned().ok_or(OrderError::NotFound { id })
    }

    fn put(&self, order: Order) -> Result<(), OrderError> {
        if order.lines.is_empty() {
            return Err(OrderError::Invalid("no lines: '}'".to_string()));
        }
        self.lock().insert(order.id, order);
        Ok(())
    }

    fn count(&self) -> usize {
        self.lock().len()
    }
}

/// Price of an order in cents.
pub fn price(order: &Order, prices: &BTreeMap<String, u32>) -> u64 {
    let mut total = 0u64;
    'lines: for Line(sku, qty) in &order.lines {
        let unit = match prices.get(sku) {
            Some(p) => *p,
            None => continue 'lines,
        };
        total += u64::from(unit) * u64::from(*qty);
    }
    total
}

pub async fn handle(store: Arc<dyn Store>, id: u64) -> Result<String, OrderError> {
    let order = store.get(id)?;
    let body = format!("{{\"id\": {}, \"lines\": {}}}", order.id, order.lines.len());
    Ok(body)
}

fn parse_line<'a>(text: &'a str) -> Option<(&'a str, u32)> {
    let (sku, qty) = text.split_once(':')?;
    let qty = qty.trim().parse().ok()?;
    let _quote = '"';
    let _brace = b'{';
    Some((sku, qty))
}

const fn double(x: u32) -> u32 {
    x * 2
}

unsafe fn raw_sum(ptr: *const u32, len: usize) -> u32 {
    let mut sum = 0;
    for i in 0..len {
        sum += *ptr.add(i);
    }
    sum
}

pub fn render<T>(items: &[T]) -> String
where
    T: Display,
{
    let mut out = String::new();
    for (i, item) in items.iter().enumerate() {
        if i > 0 {
            out.push_str(", ");
        }
        out.push_str(&item.to_string());
    }
    out
}

fn template() -> &'static str {
    r#"{"status": "ok", "items": [}"#
}

pin_project_lite::pin_project! {
    /// A future with a deadline.
    pub struct Deadline<F> {
        #[pin]
        inner: F,
        fn_like: u8,
    }
}

thread_local! {
    static LOCAL: std::cell::Cell<u32> = const { std::cell::Cell::new(0) };
}

macro_rules! try_or_log {
    ($e:expr) => {
        match $e {
            Ok(v) => v,
            Err(e) => {
                eprintln!("{}", e);
                return;
            }
        }
    };
}

extern "C" {
    fn abs(x: i32) -> i32;
}

#[repr(C)]
union Bits {
    int: u32,
    float: f32,
}

mod pricing {
    //! Pricing rules.

    use super::Order;

    pub fn discount(order: &Order) -> u32 {
        if order.lines.len() > 10 {
            10
        } else {
            0
        }
    }

    pub mod tax {
        pub const RATE: u32 = 20;

        pub fn apply(cents: u64) -> u64 {
            cents + cents * u64::from(RATE) / 100
        }
    }

    impl super::Order {
        pub fn total_lines(&self) -> usize {
            self.lines.len()
        }

        fn first_sku(&self) -> Option<&str> {
            self.lines.first().map(|l| l.0.as_str())
        }
    }
}

pub mod api;

impl<T: Clone> From<Vec<T>> for Wrapper<T> {
    fn from(items: Vec<T>) -> Self {
        Wrapper { items }
    }
}

pub struct Wrapper<T> {
    items: Vec<T>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_order_is_invalid() {
        let store = MemoryStore::new();
        let order = Order { id: 1, lines: vec![], note: None };
        assert!(store.put(order).is_err());
    }

    #[test]
    fn price_counts_quantities() {
        let mut prices = BTreeMap::new();
        prices.insert("a".to_string(), 100);
        let order = Order { id: 2, lines: vec![Line("a".into(), 3)], note: None };
        assert_eq!(price(&order, &prices), 300);
    }
}
"####;

/// All segments of a segmentation with their depth, parents first.
pub fn all(seg: &Segmentation) -> Vec<(usize, &Segment)> {
    seg.walk().collect()
}

/// Checks the structural invariants of a segmentation of `text`: segments are within
/// the text, on char boundaries, in order and non-overlapping at each level; children
/// lie between their container's header and close; comments are ordered and on char
/// boundaries; and every byte that is not whitespace or inside a comment belongs to
/// some segment.
pub fn check_invariants(text: &str, seg: &Segmentation) {
    fn check_level(text: &str, segments: &[Segment], lo: usize, hi: usize) {
        let mut prev_end = lo;
        for s in segments {
            let r = &s.range;
            assert!(
                r.start >= prev_end,
                "segments overlap or are out of order: {:?} after {}",
                r,
                prev_end
            );
            assert!(
                r.start <= r.end && r.end <= hi,
                "segment {:?} outside {}..{}",
                r,
                lo,
                hi
            );
            assert!(
                text.is_char_boundary(r.start) && text.is_char_boundary(r.end),
                "{r:?} not on char boundaries"
            );
            assert!(
                r.start < r.end || matches!(s.kind, SegmentKind::Container(_)),
                "empty segment {r:?}"
            );
            if let SegmentKind::Container(c) = &s.kind {
                assert_eq!(c.header.start, r.start, "header starts the container");
                assert!(c.header.end <= r.end && c.header.end > c.header.start);
                assert_eq!(
                    text.as_bytes().get(c.header.end - 1),
                    Some(&b'{'),
                    "header ends with its brace"
                );
                assert!(
                    c.close.start >= c.header.end && c.close.end <= r.end,
                    "close {:?} in {r:?}",
                    c.close
                );
                assert!(c.close.is_empty() || &text[c.close.clone()] == "}");
                check_level(text, &c.children, c.header.end, c.close.start);
            }
            prev_end = r.end;
        }
    }
    check_level(text, &seg.segments, 0, text.len());
    let mut prev = 0;
    for c in &seg.comments {
        assert!(
            c.start >= prev && c.start < c.end && c.end <= text.len(),
            "comment {c:?}"
        );
        assert!(text.is_char_boundary(c.start) && text.is_char_boundary(c.end));
        prev = c.end;
    }
    // Every token outside comments lies in a segment. Tokens are compared by start
    // only: a string cut by the recovering scanner may end differently in the first
    // pass's view, but where it starts is the same.
    let mut covered: Vec<std::ops::Range<usize>> = Vec::new();
    for (_, s) in seg.walk() {
        match &s.kind {
            SegmentKind::Container(c) => {
                covered.push(c.header.clone());
                covered.push(c.close.clone());
            }
            _ => covered.push(s.range.clone()),
        }
    }
    covered.sort_by_key(|r| r.start);
    let inside = |pos: usize| {
        let i = covered.partition_point(|r| r.start <= pos);
        i > 0
            && covered[..i]
                .iter()
                .rev()
                .take(4)
                .any(|r| r.start <= pos && pos < r.end)
    };
    let in_comment = |pos: usize| {
        let i = seg.comments.partition_point(|c| c.start <= pos);
        i > 0 && seg.comments[i - 1].end > pos
    };
    // Check bytes rather than tokens: the reading the segmenter settled on may cut a
    // runaway string, so its tokens are not always those of a plain scan. A
    // non-whitespace byte outside every comment must be in a segment.
    for (pos, ch) in text.char_indices() {
        // Rust's whitespace also has the two direction marks, which `char` does not.
        let rust_space = ch.is_whitespace() || matches!(ch, '\u{200e}' | '\u{200f}' | '\u{feff}');
        if rust_space || in_comment(pos) {
            continue;
        }
        assert!(
            inside(pos),
            "byte {pos} ({ch:?}) is in no segment and no comment"
        );
    }
}

#[test]
fn fixture_parses_as_a_whole() {
    assert!(syn::parse_file(FIXTURE).is_ok());
    assert!(FIXTURE.lines().count() > 250);
}
