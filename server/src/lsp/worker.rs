//! The analysis worker: a dedicated large-stack thread that analyses queued
//! documents off the protocol path, newest text first, and hands results to the
//! publisher task.
//!
//! Each document keeps its own [`Analyzer`] (the per-item cache) here, so an edit
//! re-parses only the items it touched.

use std::collections::HashMap;
use std::sync::Arc;

use precept_rules::analysis::{Analyzer, FileContext, STACK_SIZE};
use precept_rules::source::LineIndex;
use precept_rules::workspace::ResolveError;
use tokio::sync::mpsc::UnboundedSender;
use tower_lsp_server::ls_types::{Diagnostic, MessageType, Uri};

use super::convert::{self, Snapshot};
use super::state::{lock, DocResult, Shared};

/// Work for the publisher task, which talks to the client in order.
pub enum Outgoing {
    Publish {
        uri: Uri,
        diagnostics: Vec<Diagnostic>,
        version: Option<i32>,
    },
    Log {
        kind: MessageType,
        message: String,
    },
    Show {
        kind: MessageType,
        message: String,
    },
}

/// Start the worker thread.
pub fn spawn(
    shared: Arc<Shared>,
    out: UnboundedSender<Outgoing>,
) -> std::io::Result<std::thread::JoinHandle<()>> {
    std::thread::Builder::new()
        .name("precept-analysis".into())
        .stack_size(STACK_SIZE)
        .spawn(move || run(&shared, &out))
}

fn run(shared: &Shared, out: &UnboundedSender<Outgoing>) {
    let mut analyzers: HashMap<Uri, Analyzer> = HashMap::new();
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    loop {
        let uri = {
            let mut q = lock(&shared.queue);
            loop {
                if q.shutdown {
                    return;
                }
                if let Some(uri) = q.pop() {
                    break uri;
                }
                q = shared
                    .queue_ready
                    .wait(q)
                    .unwrap_or_else(|p| p.into_inner());
            }
        };
        // Take what we need and let go of the lock before the real work.
        let snapshot = {
            let docs = lock(&shared.docs);
            docs.get(&uri).map(|d| {
                (
                    d.rope.to_string(),
                    d.version,
                    d.path.clone(),
                    d.context.clone(),
                )
            })
        };
        let Some((text, version, path, cached_ctx)) = snapshot else {
            analyzers.remove(&uri);
            continue;
        };
        let Some(ctx) = context(shared, out, &uri, path.as_deref(), cached_ctx) else {
            continue;
        };
        let max = ctx.config.max_file_size;
        if text.len() as u64 > max {
            let _ = out.send(Outgoing::Show {
                kind: MessageType::WARNING,
                message: format!(
                    "precept: {} is {} bytes, over the {max}-byte limit (max-file-size); not checked",
                    path.as_deref().map(|p| p.display().to_string()).unwrap_or_default(),
                    text.len()
                ),
            });
            store(shared, out, &uri, version, text, Vec::new());
            continue;
        }
        let analyzer = analyzers
            .entry(uri.clone())
            .or_insert_with(|| Analyzer::with_threads(threads));
        let analysis = analyzer.analyze(&text, &ctx);
        for (range, panic) in &analysis.panics {
            let _ = out.send(Outgoing::Log {
                kind: MessageType::ERROR,
                message: format!(
                    "precept: rule `{}` failed on the item at byte {} ({}); its findings there are missing",
                    panic.rule, range.start, panic.message
                ),
            });
        }
        if !analysis.too_deep.is_empty() {
            let _ = out.send(Outgoing::Log {
                kind: MessageType::WARNING,
                message: format!(
                    "precept: {} item(s) nest too deeply to check and were skipped",
                    analysis.too_deep.len()
                ),
            });
        }
        let findings = analysis
            .findings
            .into_iter()
            .filter(|f| !f.suppressed)
            .collect();
        store(shared, out, &uri, version, text, findings);
        // Forget analyzers of closed documents.
        if analyzers.len() > 1 {
            let docs = lock(&shared.docs);
            analyzers.retain(|u, _| docs.contains_key(u));
        }
    }
}

/// Resolve (or reuse) the document's context. A configuration error keeps the last
/// good context in force and is shown to the user.
fn context(
    shared: &Shared,
    out: &UnboundedSender<Outgoing>,
    uri: &Uri,
    path: Option<&std::path::Path>,
    cached: Option<FileContext>,
) -> Option<FileContext> {
    if let Some(ctx) = cached {
        return Some(ctx);
    }
    let Some(path) = path else {
        // Not a file (an untitled buffer): analyse as a library file.
        return Some(FileContext::for_path("untitled.rs"));
    };
    let resolver = shared.resolver();
    let mut good = true;
    let ctx = match resolver.context_for(path) {
        Ok(ctx) => ctx,
        Err(e @ ResolveError::Baseline(_)) => {
            // The rest of the configuration is fine: go on without the baseline.
            super::config_errors::report(out, &e);
            match resolver.context_without_baseline(path) {
                Ok(ctx) => ctx,
                Err(e) => {
                    good = false;
                    super::config_errors::report(out, &e);
                    FileContext::for_path(path)
                }
            }
        }
        Err(e) => {
            good = false;
            super::config_errors::report(out, &e);
            let previous = lock(&shared.docs)
                .get(uri)
                .and_then(|d| d.last_good.clone());
            previous.unwrap_or_else(|| FileContext::for_path(path))
        }
    };
    if let Some(doc) = lock(&shared.docs).get_mut(uri) {
        doc.context = Some(ctx.clone());
        if good {
            doc.last_good = Some(ctx.clone());
        }
    }
    Some(ctx)
}

fn store(
    shared: &Shared,
    out: &UnboundedSender<Outgoing>,
    uri: &Uri,
    version: i32,
    text: String,
    findings: Vec<precept_rules::Finding>,
) {
    let encoding = shared.encoding();
    let docs_url = lock(&shared.settings).docs_url.clone();
    let index = LineIndex::new(&text);
    let diagnostics: Vec<Diagnostic> = {
        let snapshot = Snapshot {
            text: &text,
            index: &index,
            encoding,
        };
        findings
            .iter()
            .enumerate()
            .map(|(i, f)| convert::diagnostic(&snapshot, f, i, docs_url.as_deref()))
            .collect()
    };
    let result = Arc::new(DocResult {
        version,
        text: text.into(),
        index,
        findings,
        diagnostics: diagnostics.clone(),
    });
    let stored = {
        let mut docs = lock(&shared.docs);
        match docs.get_mut(uri) {
            // Only the newest version's result is shown; a closed document gets none.
            Some(doc) if doc.version == version => {
                doc.result = Some(result);
                true
            }
            _ => false,
        }
    };
    if stored {
        shared.notify_result();
        if !shared.pull.load(std::sync::atomic::Ordering::SeqCst) {
            let _ = out.send(Outgoing::Publish {
                uri: uri.clone(),
                diagnostics,
                version: Some(version),
            });
        }
    }
}
