//! ## What it does
//! Flags retries that never give up:
//!
//! - a `loop` or `while` loop that runs an operation, leaves the loop when it
//!   succeeds (`break` or `return` in the `Ok` arm) and goes round again when it
//!   fails, with no sleep or backoff call in the loop and no attempt bound;
//! - `tokio-retry` strategies (`ExponentialBackoff`, `FixedInterval`,
//!   `FibonacciBackoff`) passed to `Retry::spawn`/`RetryIf::spawn` without
//!   `.take(n)`: they are infinite iterators, so the retry never stops.
//!
//! At `hint` level: `backon` builders (`ExponentialBuilder`, `ConstantBuilder`,
//! `FibonacciBuilder`) passed to `.retry(..)` without `.with_jitter()`.
//!
//! ## Why is this bad?
//! A retry without a bound turns an outage into a permanent hang: the caller never
//! gets an error to act on. Without a delay it is worse — a tight loop hammers the
//! failing dependency (and burns a CPU) exactly when it is struggling. Without
//! jitter, every client that failed at the same moment retries at the same moment,
//! and the synchronised waves keep the dependency down. Bound the attempts, back
//! off exponentially and add jitter; the `backon` crate does all three.
//!
//! Not flagged: accept and serve loops (success does not leave the loop), loops
//! with a counter compared to a bound, `for _ in 0..n` retries, loops that sleep or
//! back off, `while let` loops, and test code.
//!
//! ## Example
//! ```rust
//! pub async fn fetch(client: &reqwest::Client, url: &str) -> String {
//!     loop {
//!         match client.get(url).send().await {
//!             Ok(resp) => break resp.text().await.unwrap_or_default(),
//!             Err(e) => tracing::warn!(error = %e, "retrying"),
//!         }
//!     }
//! }
//! ```
//!
//! Use instead:
//! ```rust
//! pub async fn fetch(client: &reqwest::Client, url: &str) -> Result<String, reqwest::Error> {
//!     let mut attempt = 0;
//!     loop {
//!         match client.get(url).send().await {
//!             Ok(resp) => break resp.text().await,
//!             Err(_) if attempt < 5 => {
//!                 attempt += 1;
//!                 tokio::time::sleep(std::time::Duration::from_millis(100 << attempt)).await;
//!             }
//!             Err(e) => break Err(e),
//!         }
//!     }
//! }
//! ```
//!
//! ## Fix safety
//! For a `backon` builder, the fix appends `.with_jitter()` to the builder chain.
//! It is safe: the delays stay within the configured bounds and only their spread
//! changes.

use syn::visit::Visit;

use crate::rule::{Applicability, Category, Edit, Fix, FixAvailability, Level, RuleMeta};
use crate::rules::util::{chain, node_range};
use crate::walk::{Cx, Rule, Sink};

pub struct UnboundedRetry;

pub static META: RuleMeta = RuleMeta {
    id: "unbounded-retry",
    category: Category::Reliability,
    default_level: Level::Warning,
    standard: "Retries are bounded, with exponential backoff and jitter.",
    summary: "retry that never gives up, or backs off without jitter",
    fix: FixAvailability::Sometimes,
    clippy_lints: &[],
    source: include_str!("unbounded_retry.rs"),
};

impl Rule for UnboundedRetry {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check_expr(&self, cx: &Cx<'_, '_>, expr: &syn::Expr, out: &mut Sink<'_>) {
        if cx.skip_by_default() {
            return;
        }
        match expr {
            syn::Expr::Loop(l) => {
                let range = cx.span_range(l.loop_token.span).start
                    ..cx.span_range(l.body.brace_token.span.close()).end;
                check_loop(None, &l.body, l.label.as_ref(), range, out);
            }
            syn::Expr::While(w) => {
                if matches!(&*w.cond, syn::Expr::Let(_)) {
                    return;
                }
                let range = cx.span_range(w.while_token.span).start
                    ..cx.span_range(w.body.brace_token.span.close()).end;
                check_loop(Some(&w.cond), &w.body, w.label.as_ref(), range, out);
            }
            syn::Expr::Call(call) => check_tokio_retry(cx, expr, call, out),
            syn::Expr::MethodCall(mc) => check_backon(cx, expr, mc, out),
            _ => {}
        }
    }
}

fn check_loop(
    cond: Option<&syn::Expr>,
    body: &syn::Block,
    label: Option<&syn::Label>,
    range: std::ops::Range<usize>,
    out: &mut Sink<'_>,
) {
    let mut scan = Scan::default();
    if let Some(cond) = cond {
        scan.visit_expr(cond);
    }
    scan.visit_block(body);
    if scan.waits || scan.bounded {
        return;
    }
    let label = label.map(|l| l.name.ident.to_string());
    let mut finder = RetryShape {
        label: label.as_deref(),
        found: false,
        success: Vec::new(),
    };
    finder.visit_block(body);
    // Another way out (`else { return .. }` when the candidates run out, a
    // `break` on a condition) bounds the loop.
    let mut exits = Exits {
        skip: finder.success,
        macro_exits: true,
        ..Exits::new(label.as_deref())
    };
    exits.visit_block(body);
    if finder.found && !exits.found {
        out.report(
            range,
            "retry loop with no attempt bound and no backoff retries forever; bound the attempts and back off with jitter (e.g. with the `backon` crate)",
        );
    }
}

/// Sleeps, backoff calls and attempt bounds anywhere in a loop.
#[derive(Default)]
struct Scan {
    waits: bool,
    bounded: bool,
}

impl<'ast> Visit<'ast> for Scan {
    fn visit_expr_call(&mut self, c: &'ast syn::ExprCall) {
        if let syn::Expr::Path(p) = &*c.func {
            if p.path
                .segments
                .last()
                .is_some_and(|s| is_wait(&s.ident.to_string()))
            {
                self.waits = true;
            }
        }
        syn::visit::visit_expr_call(self, c);
    }
    fn visit_expr_method_call(&mut self, m: &'ast syn::ExprMethodCall) {
        let name = m.method.to_string();
        if is_wait(&name) || name == "tick" {
            self.waits = true;
        }
        syn::visit::visit_expr_method_call(self, m);
    }
    // Macro bodies (`tokio::select! { _ = sleep(d) => {} }`) are not parsed; look
    // at their identifiers.
    fn visit_macro(&mut self, m: &'ast syn::Macro) {
        if tokens_any(m.tokens.clone(), &|name| is_wait(name) || name == "tick") {
            self.waits = true;
        }
    }
    fn visit_expr_binary(&mut self, b: &'ast syn::ExprBinary) {
        use syn::BinOp;
        match b.op {
            BinOp::Lt(_) | BinOp::Le(_) | BinOp::Gt(_) | BinOp::Ge(_) => self.bounded = true,
            BinOp::Eq(_) | BinOp::Ne(_) if is_number(&b.left) || is_number(&b.right) => {
                self.bounded = true
            }
            _ => {}
        }
        syn::visit::visit_expr_binary(self, b);
    }
    fn visit_item(&mut self, _: &'ast syn::Item) {}
}

/// Whether any identifier in `tokens` (at any depth) satisfies `pred`.
fn tokens_any(tokens: proc_macro2::TokenStream, pred: &dyn Fn(&str) -> bool) -> bool {
    tokens.into_iter().any(|tt| match tt {
        proc_macro2::TokenTree::Ident(i) => pred(&i.to_string()),
        proc_macro2::TokenTree::Group(g) => tokens_any(g.stream(), pred),
        _ => false,
    })
}

fn is_wait(name: &str) -> bool {
    name.contains("sleep") || name.contains("backoff") || name.contains("delay")
}

/// An integer literal or a `SCREAMING_CASE` constant.
fn is_number(e: &syn::Expr) -> bool {
    match e {
        syn::Expr::Lit(l) => matches!(l.lit, syn::Lit::Int(_)),
        syn::Expr::Path(p) => p
            .path
            .segments
            .last()
            .is_some_and(|s| crate::rules::util::is_const_name(&s.ident.to_string())),
        _ => false,
    }
}

/// Finds `match op { Ok(..) => leave, Err(..) => go round }` (or `if let Ok(..) =
/// op { leave }`) directly in a loop body, not in nested loops, closures or items.
struct RetryShape<'l> {
    label: Option<&'l str>,
    found: bool,
    /// Addresses of the success bodies (`Ok` arms, `if let Ok` blocks) found.
    success: Vec<usize>,
}

impl<'ast> Visit<'ast> for RetryShape<'_> {
    fn visit_expr_match(&mut self, m: &'ast syn::ExprMatch) {
        if runs_operation(&m.expr) {
            // Every success leaves (a read loop's `Ok(0) => return` alone does not
            // make it a retry), and some failure goes round again.
            let ok_arms: Vec<&syn::Arm> =
                m.arms.iter().filter(|a| is_variant(&a.pat, "Ok")).collect();
            let ok_leaves =
                !ok_arms.is_empty() && ok_arms.iter().all(|a| leaves_directly(&a.body, self.label));
            let err_stays = m.arms.iter().any(|a| {
                (is_variant(&a.pat, "Err") || matches!(a.pat, syn::Pat::Wild(_)))
                    && !leaves(&a.body, self.label)
            });
            if ok_leaves && err_stays {
                self.found = true;
                self.success.extend(ok_arms.iter().map(|a| addr(&*a.body)));
            }
        }
        syn::visit::visit_expr_match(self, m);
    }
    fn visit_expr_if(&mut self, i: &'ast syn::ExprIf) {
        if let syn::Expr::Let(l) = &*i.cond {
            let else_stays = i
                .else_branch
                .as_ref()
                .is_none_or(|(_, e)| !leaves(e, self.label));
            if is_variant(&l.pat, "Ok")
                && runs_operation(&l.expr)
                && block_leaves_directly(&i.then_branch, self.label)
                && else_stays
            {
                self.found = true;
                self.success.push(addr(&i.then_branch));
            }
        }
        syn::visit::visit_expr_if(self, i);
    }
    fn visit_expr_loop(&mut self, _: &'ast syn::ExprLoop) {}
    fn visit_expr_while(&mut self, _: &'ast syn::ExprWhile) {}
    fn visit_expr_for_loop(&mut self, _: &'ast syn::ExprForLoop) {}
    fn visit_expr_closure(&mut self, _: &'ast syn::ExprClosure) {}
    fn visit_expr_async(&mut self, _: &'ast syn::ExprAsync) {}
    fn visit_item(&mut self, _: &'ast syn::Item) {}
}

/// `Ok(..)` / `Err(..)` patterns.
fn is_variant(pat: &syn::Pat, name: &str) -> bool {
    matches!(pat, syn::Pat::TupleStruct(ts) if ts.path.segments.last().is_some_and(|s| s.ident == name))
}

/// The scrutinee calls or awaits something.
fn runs_operation(expr: &syn::Expr) -> bool {
    struct Finder(bool);
    impl<'ast> Visit<'ast> for Finder {
        fn visit_expr_call(&mut self, _: &'ast syn::ExprCall) {
            self.0 = true;
        }
        fn visit_expr_method_call(&mut self, _: &'ast syn::ExprMethodCall) {
            self.0 = true;
        }
        fn visit_expr_await(&mut self, _: &'ast syn::ExprAwait) {
            self.0 = true;
        }
    }
    let mut f = Finder(false);
    f.visit_expr(expr);
    f.0
}

fn leaves(expr: &syn::Expr, label: Option<&str>) -> bool {
    let mut exits = Exits {
        try_exits: true,
        ..Exits::new(label)
    };
    exits.visit_expr(expr);
    exits.found
}

/// An arm body that leaves the loop unconditionally: `break ..`/`return ..`, or a
/// block with such a statement at its top level.
fn leaves_directly(expr: &syn::Expr, label: Option<&str>) -> bool {
    match expr {
        syn::Expr::Block(b) => block_leaves_directly(&b.block, label),
        syn::Expr::Return(_) => true,
        syn::Expr::Break(b) => match &b.label {
            None => true,
            Some(l) => label.is_some_and(|name| l.ident == name),
        },
        _ => false,
    }
}

fn block_leaves_directly(block: &syn::Block, label: Option<&str>) -> bool {
    block.stmts.iter().any(|stmt| match stmt {
        syn::Stmt::Expr(e, _) => leaves_directly(e, label),
        _ => false,
    })
}

/// Ways out of the loop being checked: a `break` of it (inside a nested loop,
/// `depth > 0`, only a `break` with its label), a `return`, and optionally `?` or a
/// `return`/`break` inside a macro. Expressions and blocks in `skip` are not
/// entered; closures, async blocks and nested items are never entered.
struct Exits<'l> {
    label: Option<&'l str>,
    depth: usize,
    skip: Vec<usize>,
    /// `?` leaves the loop too.
    try_exits: bool,
    /// Macro bodies that mention `return` or `break` count as exits.
    macro_exits: bool,
    found: bool,
}

impl<'l> Exits<'l> {
    fn new(label: Option<&'l str>) -> Self {
        Exits {
            label,
            depth: 0,
            skip: Vec::new(),
            try_exits: false,
            macro_exits: false,
            found: false,
        }
    }
}

impl<'ast> Visit<'ast> for Exits<'_> {
    fn visit_macro(&mut self, m: &'ast syn::Macro) {
        if self.macro_exits
            && tokens_any(m.tokens.clone(), &|name| {
                name == "return" || name == "break"
            })
        {
            self.found = true;
        }
    }
    fn visit_expr(&mut self, e: &'ast syn::Expr) {
        if !self.skip.contains(&addr(e)) {
            syn::visit::visit_expr(self, e);
        }
    }
    fn visit_block(&mut self, b: &'ast syn::Block) {
        if !self.skip.contains(&addr(b)) {
            syn::visit::visit_block(self, b);
        }
    }
    fn visit_expr_break(&mut self, b: &'ast syn::ExprBreak) {
        self.found |= match &b.label {
            None => self.depth == 0,
            Some(l) => self.label.is_some_and(|name| l.ident == name),
        };
        syn::visit::visit_expr_break(self, b);
    }
    fn visit_expr_return(&mut self, _: &'ast syn::ExprReturn) {
        self.found = true;
    }
    fn visit_expr_try(&mut self, t: &'ast syn::ExprTry) {
        if self.try_exits {
            self.found = true;
        } else {
            syn::visit::visit_expr_try(self, t);
        }
    }
    fn visit_expr_loop(&mut self, l: &'ast syn::ExprLoop) {
        self.depth += 1;
        syn::visit::visit_expr_loop(self, l);
        self.depth -= 1;
    }
    fn visit_expr_while(&mut self, w: &'ast syn::ExprWhile) {
        self.depth += 1;
        syn::visit::visit_expr_while(self, w);
        self.depth -= 1;
    }
    fn visit_expr_for_loop(&mut self, l: &'ast syn::ExprForLoop) {
        self.depth += 1;
        syn::visit::visit_expr_for_loop(self, l);
        self.depth -= 1;
    }
    fn visit_expr_closure(&mut self, _: &'ast syn::ExprClosure) {}
    fn visit_expr_async(&mut self, _: &'ast syn::ExprAsync) {}
    fn visit_item(&mut self, _: &'ast syn::Item) {}
}

fn addr<T>(node: &T) -> usize {
    std::ptr::from_ref(node) as usize
}

/// `tokio_retry::Retry::spawn(strategy, action)` (or `RetryIf`) whose strategy has
/// no `.take(n)`: the strategies are infinite iterators.
fn check_tokio_retry(cx: &Cx<'_, '_>, expr: &syn::Expr, call: &syn::ExprCall, out: &mut Sink<'_>) {
    let Some(path) = cx.resolve_call(call) else {
        return;
    };
    if !(path.is(&["tokio_retry", "Retry", "spawn"])
        || path.is(&["tokio_retry", "RetryIf", "spawn"]))
    {
        return;
    }
    let Some(arg) = call.args.first() else {
        return;
    };
    let Some((strategy, ctor)) = built_strategy(cx, expr, arg) else {
        return;
    };
    let segs: Vec<&str> = ctor.iter().map(String::as_str).collect();
    let is_strategy = matches!(
        segs.as_slice(),
        [
            "tokio_retry",
            "strategy",
            "ExponentialBackoff" | "FixedInterval" | "FibonacciBackoff",
            _
        ]
    );
    if !is_strategy || strategy.methods.iter().any(|m| m == "take") {
        return;
    }
    out.report(
        node_range(strategy.expr),
        "`tokio-retry` strategy without `.take(n)` retries forever; add `.take(n)` to bound the attempts",
    );
}

/// `.retry(builder)` with a `backon` builder that has no `.with_jitter()`.
fn check_backon(cx: &Cx<'_, '_>, expr: &syn::Expr, mc: &syn::ExprMethodCall, out: &mut Sink<'_>) {
    if mc.method != "retry" || mc.args.len() != 1 {
        return;
    }
    let Some(arg) = mc.args.first() else {
        return;
    };
    let Some((strategy, ctor)) = built_strategy(cx, expr, arg) else {
        return;
    };
    let segs: Vec<&str> = ctor.iter().map(String::as_str).collect();
    let is_builder = matches!(
        segs.as_slice(),
        [
            "backon",
            "ExponentialBuilder" | "ConstantBuilder" | "FibonacciBuilder",
            "default" | "new"
        ]
    );
    if !is_builder
        || strategy
            .methods
            .iter()
            .any(|m| m.starts_with("with_jitter"))
    {
        return;
    }
    let range = node_range(strategy.expr);
    let end = range.end;
    let finding = out.report(
        range,
        "backoff without jitter: clients that failed together retry together; add `.with_jitter()`",
    );
    finding.level = Level::Hint;
    finding.fix = Some(Fix::new(
        "Add `.with_jitter()`",
        Applicability::Safe,
        vec![Edit::insert(end, ".with_jitter()")],
    ));
}

/// A retry strategy as passed to a retry call: the expression that builds it (the
/// argument, or the initialiser of the local it names), its chain's base and the
/// methods called on it (on the argument and on the initialiser).
struct Strategy<'a> {
    expr: &'a syn::Expr,
    base: &'a syn::Expr,
    methods: Vec<String>,
}

/// [`strategy_of`] when its chain starts with a call whose path resolves with
/// confidence: the strategy and that constructor's full path.
fn built_strategy<'a, 'ast: 'a>(
    cx: &Cx<'_, 'ast>,
    call: &syn::Expr,
    arg: &'a syn::Expr,
) -> Option<(Strategy<'a>, Vec<String>)> {
    let strategy = strategy_of(cx, call, arg)?;
    let syn::Expr::Call(ctor) = strategy.base else {
        return None;
    };
    let path = cx.resolve_call(ctor).filter(|p| p.confident)?;
    Some((strategy, path.segments))
}

fn strategy_of<'a, 'ast: 'a>(
    cx: &Cx<'_, 'ast>,
    call: &syn::Expr,
    arg: &'a syn::Expr,
) -> Option<Strategy<'a>> {
    let arg = peel_ref(arg);
    let (calls, base) = chain(arg);
    let mut methods: Vec<String> = calls.iter().map(|c| c.method.to_string()).collect();
    if let syn::Expr::Path(p) = base {
        let name = p.path.get_ident()?.to_string();
        let init = peel_ref(cx.binding(&name, node_range(call).start)?);
        let (calls, base) = chain(init);
        methods.extend(calls.iter().map(|c| c.method.to_string()));
        return Some(Strategy {
            expr: init,
            base,
            methods,
        });
    }
    Some(Strategy {
        expr: arg,
        base,
        methods,
    })
}

fn peel_ref(expr: &syn::Expr) -> &syn::Expr {
    match expr {
        syn::Expr::Reference(r) => peel_ref(&r.expr),
        syn::Expr::Paren(p) => peel_ref(&p.expr),
        _ => expr,
    }
}
