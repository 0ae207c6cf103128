//! The protocol handlers.
//!
//! Every handler that changes state does so synchronously before its first
//! `.await`, so edits apply in arrival order even though tower-lsp-server polls
//! handlers concurrently; analysis happens on the worker thread; no handler awaits
//! a request to the client (those run in spawned tasks).

use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

use precept_rules::source::Encoding;
use ropey::Rope;
use tokio::sync::mpsc::UnboundedSender;
use tower_lsp_server::jsonrpc::{Error, ErrorCode, Result};
use tower_lsp_server::ls_types::{
    CodeActionKind, CodeActionOptions, CodeActionParams, CodeActionProviderCapability,
    CodeActionResponse, ConfigurationItem, Diagnostic, DiagnosticOptions,
    DiagnosticServerCancellationData, DiagnosticServerCapabilities, DidChangeConfigurationParams,
    DidChangeTextDocumentParams, DidChangeWatchedFilesParams,
    DidChangeWatchedFilesRegistrationOptions, DidCloseTextDocumentParams,
    DidOpenTextDocumentParams, DidSaveTextDocumentParams, DocumentDiagnosticParams,
    DocumentDiagnosticReport, DocumentDiagnosticReportResult, FileSystemWatcher,
    FullDocumentDiagnosticReport, GlobPattern, Hover, HoverParams, HoverProviderCapability,
    InitializeParams, InitializeResult, InitializedParams, MessageType, PositionEncodingKind,
    Registration, RelatedFullDocumentDiagnosticReport, ServerCapabilities, ServerInfo,
    TextDocumentSyncCapability, TextDocumentSyncKind, TextDocumentSyncOptions,
    TextDocumentSyncSaveOptions, Uri, WorkDoneProgressCancelParams, WorkDoneProgressOptions,
    WorkspaceDiagnosticParams, WorkspaceDiagnosticReport, WorkspaceDiagnosticReportResult,
    WorkspaceDocumentDiagnosticReport, WorkspaceFullDocumentDiagnosticReport,
};
use tower_lsp_server::{Client, LanguageServer};

use super::actions;
use super::convert::rope_char;
use super::state::{is_rust, lock, uri_path, Document, Settings, Shared};
use super::worker::Outgoing;

pub struct Backend {
    pub client: Client,
    pub shared: Arc<Shared>,
    pub out: UnboundedSender<Outgoing>,
}

/// How long a pull request waits for the analysis of the current version before
/// asking the client to retry.
const PULL_WAIT: Duration = Duration::from_secs(2);

impl Backend {
    /// `window/workDoneProgress/cancel`: the user stopped the workspace scan.
    pub async fn cancel_progress(&self, params: WorkDoneProgressCancelParams) {
        lock(&self.shared.cancelled_tokens).insert(super::scan::token_key(&params.token));
    }

    fn start_scan_if_workspace(&self) {
        if lock(&self.shared.settings).workspace_scope {
            super::scan::start(self.shared.clone(), self.client.clone(), self.out.clone());
        }
    }

    fn log(&self, kind: MessageType, message: String) {
        let _ = self.out.send(Outgoing::Log { kind, message });
    }

    /// Fetch `workspace/configuration` in the background and apply it.
    fn refresh_settings(&self) {
        let client = self.client.clone();
        let shared = self.shared.clone();
        let out = self.out.clone();
        tokio::spawn(async move {
            let items = vec![ConfigurationItem {
                scope_uri: None,
                section: Some("precept".to_owned()),
            }];
            let Ok(values) = client.configuration(items).await else {
                return;
            };
            if let Some(value) = values.into_iter().next() {
                if !value.is_null() {
                    apply_settings(&shared, &out, &value, &client);
                }
            }
        });
    }
}

fn apply_settings(
    shared: &Arc<Shared>,
    out: &UnboundedSender<Outgoing>,
    value: &serde_json::Value,
    client: &Client,
) {
    let (settings, problems) = Settings::from_json(value);
    for p in problems {
        let _ = out.send(Outgoing::Show {
            kind: MessageType::WARNING,
            message: format!("precept: {p}"),
        });
    }
    let changed = {
        let mut current = lock(&shared.settings);
        let changed = *current != settings;
        *current = settings;
        changed
    };
    if changed {
        reload(shared, out);
        if lock(&shared.settings).workspace_scope {
            super::scan::start(shared.clone(), client.clone(), out.clone());
        }
        if shared.pull.load(Ordering::SeqCst) {
            // A request to the client: never awaited inside a handler.
            let client = client.clone();
            tokio::spawn(async move {
                let _ = client.workspace_diagnostic_refresh().await;
            });
        }
    }
}

/// Configuration or settings changed: resolve every document again and re-check.
fn reload(shared: &Shared, out: &UnboundedSender<Outgoing>) {
    super::config_errors::reset(out);
    shared.reset_resolver();
    shared.schedule(shared.open_uris());
}

fn negotiate_encoding(params: &InitializeParams) -> Encoding {
    let offered = params
        .capabilities
        .general
        .as_ref()
        .and_then(|g| g.position_encodings.as_ref());
    match offered {
        Some(list) if list.contains(&PositionEncodingKind::UTF8) => Encoding::Utf8,
        _ => Encoding::Utf16,
    }
}

impl LanguageServer for Backend {
    async fn initialize(&self, params: InitializeParams) -> Result<InitializeResult> {
        let encoding = negotiate_encoding(&params);
        let mut roots: Vec<std::path::PathBuf> = params
            .workspace_folders
            .iter()
            .flatten()
            .filter_map(|f| uri_path(&f.uri))
            .collect();
        #[allow(deprecated)]
        if roots.is_empty() {
            roots.extend(params.root_uri.as_ref().and_then(uri_path));
        }
        *lock(&self.shared.roots) = roots;
        *lock(&self.shared.encoding) = encoding;
        let pull = params
            .capabilities
            .text_document
            .as_ref()
            .and_then(|t| t.diagnostic.as_ref())
            .is_some();
        self.shared.pull.store(pull, Ordering::SeqCst);
        if let Some(options) = &params.initialization_options {
            let (settings, problems) = Settings::from_json(options);
            for p in problems {
                self.log(MessageType::WARNING, format!("precept: {p}"));
            }
            *lock(&self.shared.settings) = settings;
            self.shared.reset_resolver();
        }
        let workspace = lock(&self.shared.settings).workspace_scope;
        let encoding_kind = match encoding {
            Encoding::Utf8 => PositionEncodingKind::UTF8,
            _ => PositionEncodingKind::UTF16,
        };
        Ok(InitializeResult {
            server_info: Some(ServerInfo {
                name: "precept".to_owned(),
                version: Some(env!("CARGO_PKG_VERSION").to_owned()),
            }),
            capabilities: ServerCapabilities {
                position_encoding: Some(encoding_kind),
                text_document_sync: Some(TextDocumentSyncCapability::Options(
                    TextDocumentSyncOptions {
                        open_close: Some(true),
                        change: Some(TextDocumentSyncKind::INCREMENTAL),
                        save: Some(TextDocumentSyncSaveOptions::Supported(true)),
                        ..TextDocumentSyncOptions::default()
                    },
                )),
                hover_provider: Some(HoverProviderCapability::Simple(true)),
                code_action_provider: Some(CodeActionProviderCapability::Options(
                    CodeActionOptions {
                        code_action_kinds: Some(vec![
                            CodeActionKind::QUICKFIX,
                            actions::fix_all_kind(),
                        ]),
                        resolve_provider: Some(false),
                        work_done_progress_options: WorkDoneProgressOptions::default(),
                    },
                )),
                diagnostic_provider: pull.then(|| {
                    DiagnosticServerCapabilities::Options(DiagnosticOptions {
                        identifier: Some("precept".to_owned()),
                        inter_file_dependencies: false,
                        workspace_diagnostics: workspace,
                        work_done_progress_options: WorkDoneProgressOptions::default(),
                    })
                }),
                ..ServerCapabilities::default()
            },
            offset_encoding: None,
        })
    }

    async fn initialized(&self, _: InitializedParams) {
        self.log(
            MessageType::INFO,
            format!("precept {} ready", env!("CARGO_PKG_VERSION")),
        );
        // Watch configuration files; the client may not support dynamic registration,
        // in which case the request fails harmlessly.
        let client = self.client.clone();
        tokio::spawn(async move {
            let watchers = [
                "**/precept.toml",
                "**/Cargo.toml",
                "**/Cargo.lock",
                "**/*baseline*.json",
            ]
            .into_iter()
            .map(|glob| FileSystemWatcher {
                glob_pattern: GlobPattern::String(glob.to_owned()),
                kind: None,
            })
            .collect();
            let options = DidChangeWatchedFilesRegistrationOptions { watchers };
            let registration = Registration {
                id: "precept-config-watch".to_owned(),
                method: "workspace/didChangeWatchedFiles".to_owned(),
                register_options: serde_json::to_value(options).ok(),
            };
            let _ = client.register_capability(vec![registration]).await;
        });
        self.refresh_settings();
        self.start_scan_if_workspace();
    }

    async fn shutdown(&self) -> Result<()> {
        let mut q = lock(&self.shared.queue);
        q.shutdown = true;
        drop(q);
        self.shared.queue_ready.notify_all();
        Ok(())
    }

    async fn did_open(&self, params: DidOpenTextDocumentParams) {
        let doc = params.text_document;
        let path = uri_path(&doc.uri);
        if path.as_deref().is_some_and(|p| !is_rust(p)) && doc.language_id != "rust" {
            return;
        }
        lock(&self.shared.docs).insert(
            doc.uri.clone(),
            Document {
                rope: Rope::from_str(&doc.text),
                version: doc.version,
                path,
                result: None,
                context: None,
                last_good: None,
            },
        );
        self.shared.schedule([doc.uri]);
    }

    async fn did_change(&self, params: DidChangeTextDocumentParams) {
        let encoding = self.shared.encoding();
        let uri = params.text_document.uri;
        let mut clamped = false;
        {
            let mut docs = lock(&self.shared.docs);
            let Some(doc) = docs.get_mut(&uri) else {
                return;
            };
            for change in params.content_changes {
                match change.range {
                    None => doc.rope = Rope::from_str(&change.text),
                    Some(range) => {
                        let (start, c1) = rope_char(&doc.rope, range.start, encoding);
                        let (end, c2) = rope_char(&doc.rope, range.end, encoding);
                        clamped |= c1 || c2;
                        let (start, end) = if start <= end {
                            (start, end)
                        } else {
                            (end, start)
                        };
                        doc.rope.remove(start..end);
                        doc.rope.insert(start, &change.text);
                    }
                }
            }
            doc.version = params.text_document.version;
        }
        if clamped {
            self.log(
                MessageType::WARNING,
                format!(
                    "precept: an edit to {} pointed past the end of a line or the file; clamped",
                    uri.as_str()
                ),
            );
        }
        self.shared.schedule([uri]);
    }

    async fn did_save(&self, params: DidSaveTextDocumentParams) {
        // A saved module file can change which open files are test modules or
        // private ones: resolve their contexts again.
        let Some(path) = uri_path(&params.text_document.uri) else {
            return;
        };
        if is_rust(&path) {
            self.shared.resolver().invalidate(&path);
            self.shared.forget_contexts();
            self.shared.schedule(self.shared.open_uris());
        }
    }

    async fn did_close(&self, params: DidCloseTextDocumentParams) {
        let uri = params.text_document.uri;
        lock(&self.shared.docs).remove(&uri);
        if !self.shared.pull.load(Ordering::SeqCst) {
            let _ = self.out.send(Outgoing::Publish {
                uri,
                diagnostics: Vec::new(),
                version: None,
            });
        }
    }

    async fn did_change_configuration(&self, params: DidChangeConfigurationParams) {
        if params.settings.is_object() && params.settings.get("precept").is_some() {
            apply_settings(&self.shared, &self.out, &params.settings, &self.client);
        } else {
            self.refresh_settings();
        }
    }

    async fn did_change_watched_files(&self, _: DidChangeWatchedFilesParams) {
        // A new resolver forgets every configuration, manifest and baseline read.
        reload(&self.shared, &self.out);
        self.start_scan_if_workspace();
        if self.shared.pull.load(Ordering::SeqCst) {
            let client = self.client.clone();
            tokio::spawn(async move {
                let _ = client.workspace_diagnostic_refresh().await;
            });
        }
    }

    async fn diagnostic(
        &self,
        params: DocumentDiagnosticParams,
    ) -> Result<DocumentDiagnosticReportResult> {
        let uri = params.text_document.uri;
        let mut changes = self.shared.results.subscribe();
        let deadline = tokio::time::Instant::now() + PULL_WAIT;
        loop {
            {
                let docs = lock(&self.shared.docs);
                let Some(doc) = docs.get(&uri) else {
                    return Ok(full_report(Vec::new()));
                };
                if let Some(result) = doc.result.as_ref().filter(|r| r.version == doc.version) {
                    return Ok(full_report(result.diagnostics.clone()));
                }
            }
            // The current version is still being analysed: wait for a result, but never
            // hold the request longer than PULL_WAIT.
            match tokio::time::timeout_at(deadline, changes.changed()).await {
                Ok(Ok(())) => continue,
                _ => {
                    return Err(Error {
                        code: ErrorCode::ServerError(-32802),
                        message: "diagnostics are being computed; retry".into(),
                        data: serde_json::to_value(DiagnosticServerCancellationData {
                            retrigger_request: true,
                        })
                        .ok(),
                    })
                }
            }
        }
    }

    async fn workspace_diagnostic(
        &self,
        _: WorkspaceDiagnosticParams,
    ) -> Result<WorkspaceDiagnosticReportResult> {
        let mut items = Vec::new();
        {
            let docs = lock(&self.shared.docs);
            for (uri, doc) in docs.iter() {
                if let Some(r) = doc.result.as_ref().filter(|r| r.version == doc.version) {
                    items.push(workspace_item(
                        uri.clone(),
                        Some(i64::from(doc.version)),
                        r.diagnostics.clone(),
                    ));
                }
            }
            for (uri, diagnostics) in lock(&self.shared.workspace_results).iter() {
                if !docs.contains_key(uri) {
                    items.push(workspace_item(uri.clone(), None, diagnostics.clone()));
                }
            }
        }
        Ok(WorkspaceDiagnosticReportResult::Report(
            WorkspaceDiagnosticReport { items },
        ))
    }

    async fn code_action(&self, params: CodeActionParams) -> Result<Option<CodeActionResponse>> {
        let shared = self.shared.clone();
        let encoding = shared.encoding();
        let (result, ctx) = {
            let docs = lock(&shared.docs);
            let Some(doc) = docs.get(&params.text_document.uri) else {
                return Ok(None);
            };
            // No actions for a stale version: the edits would land in the wrong place.
            match doc.result.clone().filter(|r| r.version == doc.version) {
                Some(r) => (r, doc.context.clone()),
                None => return Ok(None),
            }
        };
        let actions = actions::code_actions(&params, &result, ctx.as_ref(), encoding).await;
        Ok(Some(actions))
    }

    async fn hover(&self, params: HoverParams) -> Result<Option<Hover>> {
        let uri = &params.text_document_position_params.text_document.uri;
        let result = {
            let docs = lock(&self.shared.docs);
            docs.get(uri)
                .and_then(|d| d.result.clone().filter(|r| r.version == d.version))
        };
        let docs_url = lock(&self.shared.settings).docs_url.clone();
        Ok(result.and_then(|r| {
            actions::hover(
                &r,
                params.text_document_position_params.position,
                self.shared.encoding(),
                docs_url.as_deref(),
            )
        }))
    }
}

fn workspace_item(
    uri: Uri,
    version: Option<i64>,
    items: Vec<Diagnostic>,
) -> WorkspaceDocumentDiagnosticReport {
    WorkspaceDocumentDiagnosticReport::Full(WorkspaceFullDocumentDiagnosticReport {
        uri,
        version,
        full_document_diagnostic_report: FullDocumentDiagnosticReport {
            result_id: None,
            items,
        },
    })
}

fn full_report(items: Vec<Diagnostic>) -> DocumentDiagnosticReportResult {
    DocumentDiagnosticReportResult::Report(DocumentDiagnosticReport::Full(
        RelatedFullDocumentDiagnosticReport {
            related_documents: None,
            full_document_diagnostic_report: FullDocumentDiagnosticReport {
                result_id: None,
                items,
            },
        },
    ))
}
