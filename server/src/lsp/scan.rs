//! Workspace scope: a background scan of every Rust file in the workspace, with
//! work-done progress the user can cancel. Open documents are left to the worker
//! (their editor text wins over the file on disk).

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::Ordering;
use std::sync::Arc;

use precept_rules::analysis::Analyzer;
use precept_rules::source::LineIndex;
use precept_rules::workspace::ResolveError;
use tokio::sync::mpsc::UnboundedSender;
use tower_lsp_server::ls_types::{Diagnostic, NumberOrString, Uri};
use tower_lsp_server::Client;

use super::convert::{self, Snapshot};
use super::state::{lock, Shared};
use super::worker::Outgoing;

/// Rust files under the roots, chosen exactly as `precept check` chooses them.
fn collect(shared: &Shared, roots: &[PathBuf]) -> Vec<PathBuf> {
    let found = crate::files::collect_files(
        roots,
        &shared.resolver(),
        &mut |problem| tracing::warn!(%problem, "workspace scan skipped a path"),
    );
    match found {
        Ok(files) => files,
        Err(e) => {
            // The worker reports configuration errors for open files.
            tracing::warn!(error = %e, "workspace scan stopped: invalid configuration");
            Vec::new()
        }
    }
}

/// Diagnostics of one file on disk, or `None` if it cannot be read or checked.
fn check_file(shared: &Shared, path: &Path) -> Option<Vec<Diagnostic>> {
    let resolver = shared.resolver();
    let ctx = match resolver.context_for(path) {
        Ok(ctx) => ctx,
        // The worker tells the user; the scan goes on without the baseline.
        Err(ResolveError::Baseline(_)) => resolver.context_without_baseline(path).ok()?,
        Err(_) => return None,
    };
    let text = crate::files::read_source(path, ctx.config.max_file_size).ok()?;
    if crate::files::is_generated(&text) {
        return Some(Vec::new());
    }
    let docs_url = lock(&shared.settings).docs_url.clone();
    let encoding = shared.encoding();
    let findings = Analyzer::new().analyze(&text, &ctx).findings;
    let index = LineIndex::new(&text);
    let snapshot = Snapshot {
        text: &text,
        index: &index,
        encoding,
    };
    Some(
        findings
            .iter()
            .filter(|f| !f.suppressed)
            .enumerate()
            .map(|(i, f)| convert::diagnostic(&snapshot, f, i, docs_url.as_deref()))
            .collect(),
    )
}

/// Start (or restart) the scan. A newer scan or a cancel from the client stops an
/// older one between files.
pub fn start(shared: Arc<Shared>, client: Client, out: UnboundedSender<Outgoing>) {
    let generation = shared.scan_generation.fetch_add(1, Ordering::SeqCst) + 1;
    tokio::spawn(async move {
        let roots = lock(&shared.roots).clone();
        let token = NumberOrString::String(format!("precept-scan-{generation}"));
        let _ = client.create_work_done_progress(token.clone()).await;
        let progress = client
            .progress(token.clone(), "precept")
            .with_message("checking the workspace")
            .with_percentage(0)
            .with_cancel_button()
            .begin()
            .await;
        let files = {
            let shared = shared.clone();
            tokio::task::spawn_blocking(move || collect(&shared, &roots))
                .await
                .unwrap_or_default()
        };
        let total = files.len().max(1);
        let mut results: HashMap<Uri, Vec<Diagnostic>> = HashMap::new();
        let mut cancelled = false;
        for (i, path) in files.into_iter().enumerate() {
            let stale = shared.scan_generation.load(Ordering::SeqCst) != generation;
            if stale || lock(&shared.cancelled_tokens).remove(&token_key(&token)) {
                cancelled = true;
                break;
            }
            let Some(uri) = Uri::from_file_path(&path) else {
                continue;
            };
            if lock(&shared.docs).contains_key(&uri) {
                continue;
            }
            let checked = {
                let shared = shared.clone();
                tokio::task::spawn_blocking(move || {
                    precept_rules::analysis::with_stack(move || check_file(&shared, &path))
                        .flatten()
                })
                .await
                .ok()
                .flatten()
            };
            if let Some(diagnostics) = checked {
                if !shared.pull.load(Ordering::SeqCst) {
                    let _ = out.send(Outgoing::Publish {
                        uri: uri.clone(),
                        diagnostics: diagnostics.clone(),
                        version: None,
                    });
                }
                results.insert(uri, diagnostics);
            }
            if i % 10 == 0 {
                progress
                    .report_with_message(
                        format!("{} of {total} files", i + 1),
                        ((i + 1) * 100 / total) as u32,
                        None,
                    )
                    .await;
            }
        }
        if cancelled {
            progress.finish_with_message("cancelled").await;
            return;
        }
        *lock(&shared.workspace_results) = results;
        shared.notify_result();
        progress.finish_with_message("done").await;
    });
}

pub fn token_key(token: &NumberOrString) -> String {
    match token {
        NumberOrString::Number(n) => n.to_string(),
        NumberOrString::String(s) => s.clone(),
    }
}
