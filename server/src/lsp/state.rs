//! Server state shared by the protocol handlers and the analysis worker.
//!
//! Locks here are `std::sync::Mutex`es held for short, synchronous sections only —
//! never across an `.await` — so no handler can deadlock another.

use std::collections::{BTreeMap, HashMap, HashSet, VecDeque};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, RwLock};

use precept_rules::analysis::FileContext;
use precept_rules::source::{Encoding, LineIndex};
use precept_rules::workspace::Resolver;
use precept_rules::{Finding, Severity};
use ropey::Rope;
use tower_lsp_server::ls_types::{Diagnostic, Uri};

/// Lock a mutex, recovering from poisoning: every critical section here leaves the
/// data consistent before anything that could panic, so the data stays usable.
pub fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

/// An open document.
pub struct Document {
    pub rope: Rope,
    pub version: i32,
    pub path: Option<PathBuf>,
    /// The latest finished analysis (possibly of an older version).
    pub result: Option<Arc<DocResult>>,
    /// The context last resolved for this document; reused while the configuration
    /// is unchanged.
    pub context: Option<FileContext>,
    /// The last context resolved without error: kept in force while a
    /// configuration file is invalid.
    pub last_good: Option<FileContext>,
}

/// One finished analysis of a document version.
pub struct DocResult {
    pub version: i32,
    pub text: Arc<str>,
    pub index: LineIndex,
    /// Findings that are shown (suppressed ones are left out).
    pub findings: Vec<Finding>,
    pub diagnostics: Vec<Diagnostic>,
}

/// Settings from the editor (`initializationOptions`, `workspace/configuration`).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Settings {
    pub severities: BTreeMap<String, Severity>,
    pub workspace_scope: bool,
    pub docs_url: Option<String>,
}

impl Settings {
    /// Read the `precept` settings object; unknown keys are ignored, bad values are
    /// reported back as messages.
    pub fn from_json(value: &serde_json::Value) -> (Settings, Vec<String>) {
        let mut settings = Settings::default();
        let mut problems = Vec::new();
        let value = value.get("precept").unwrap_or(value);
        if let Some(rules) = value.get("rules").and_then(|r| r.as_object()) {
            for (rule, level) in rules {
                if !precept_rules::registry::is_known(rule) {
                    problems.push(format!("precept.rules: unknown rule `{rule}`"));
                    continue;
                }
                match level.as_str().map(str::parse::<Severity>) {
                    Some(Ok(sev)) => {
                        settings.severities.insert(rule.clone(), sev);
                    }
                    _ => problems.push(format!(
                        "precept.rules.{rule}: expected off, hint, info, warning or error"
                    )),
                }
            }
        }
        let scope = value
            .pointer("/diagnostics/scope")
            .or_else(|| value.get("scope"))
            .and_then(|s| s.as_str());
        match scope {
            Some("workspace") => settings.workspace_scope = true,
            Some("open") | None => {}
            Some(other) => problems.push(format!(
                "precept.diagnostics.scope: `{other}` is not `open` or `workspace`"
            )),
        }
        settings.docs_url = value
            .get("docsUrl")
            .and_then(|s| s.as_str())
            .map(str::to_owned);
        (settings, problems)
    }
}

/// Documents waiting for analysis, newest text wins: a document is queued once,
/// and the worker reads its text when it gets to it.
#[derive(Default)]
pub struct Queue {
    order: VecDeque<Uri>,
    queued: HashSet<Uri>,
    pub shutdown: bool,
}

impl Queue {
    pub fn push(&mut self, uri: Uri) {
        if self.queued.insert(uri.clone()) {
            self.order.push_back(uri);
        }
    }

    pub fn pop(&mut self) -> Option<Uri> {
        let uri = self.order.pop_front()?;
        self.queued.remove(&uri);
        Some(uri)
    }
}

pub struct Shared {
    pub docs: Mutex<HashMap<Uri, Document>>,
    pub queue: Mutex<Queue>,
    pub queue_ready: Condvar,
    pub resolver: RwLock<Arc<Resolver>>,
    pub settings: Mutex<Settings>,
    pub encoding: Mutex<Encoding>,
    /// The client pulls diagnostics (`textDocument/diagnostic`); otherwise we push.
    pub pull: AtomicBool,
    /// Bumped whenever a result is stored, so pull requests can wait for one.
    pub results: tokio::sync::watch::Sender<u64>,
    pub result_counter: AtomicU64,
    /// Workspace folders, for the workspace-scope scan.
    pub roots: Mutex<Vec<PathBuf>>,
    /// Bumped to start a scan; an older scan sees the change and stops.
    pub scan_generation: AtomicU64,
    /// Progress tokens the user cancelled.
    pub cancelled_tokens: Mutex<HashSet<String>>,
    /// Diagnostics of files that are not open, from the last finished scan.
    pub workspace_results: Mutex<HashMap<Uri, Vec<Diagnostic>>>,
}

impl Shared {
    pub fn new() -> Arc<Shared> {
        let (results, _) = tokio::sync::watch::channel(0);
        Arc::new(Shared {
            docs: Mutex::new(HashMap::new()),
            queue: Mutex::new(Queue::default()),
            queue_ready: Condvar::new(),
            resolver: RwLock::new(Arc::new(Resolver::with_reader(Box::new(
                precept_rules::config::read_from_disk,
            )))),
            settings: Mutex::new(Settings::default()),
            encoding: Mutex::new(Encoding::Utf16),
            pull: AtomicBool::new(false),
            results,
            result_counter: AtomicU64::new(0),
            roots: Mutex::new(Vec::new()),
            scan_generation: AtomicU64::new(0),
            cancelled_tokens: Mutex::new(HashSet::new()),
            workspace_results: Mutex::new(HashMap::new()),
        })
    }

    pub fn encoding(&self) -> Encoding {
        *lock(&self.encoding)
    }

    pub fn resolver(&self) -> Arc<Resolver> {
        self.resolver
            .read()
            .map(|r| r.clone())
            .unwrap_or_else(|p| p.into_inner().clone())
    }

    /// Forget every document's cached context (a saved Rust file may change which
    /// files are test modules or private), keeping results until new ones arrive.
    pub fn forget_contexts(&self) {
        for doc in lock(&self.docs).values_mut() {
            doc.context = None;
        }
    }

    /// Replace the resolver (new settings, or configuration files changed) and
    /// forget every document's cached context and result.
    pub fn reset_resolver(&self) {
        let settings = lock(&self.settings).clone();
        let mut resolver = Resolver::with_reader(Box::new(precept_rules::config::read_from_disk));
        resolver.set_severity_overrides(settings.severities);
        match self.resolver.write() {
            Ok(mut r) => *r = Arc::new(resolver),
            Err(p) => *p.into_inner() = Arc::new(resolver),
        }
        for doc in lock(&self.docs).values_mut() {
            doc.context = None;
            // Results under the old configuration must not answer pull requests that
            // the refresh after a reload triggers: they wait for the new analysis.
            doc.result = None;
        }
    }

    /// Queue documents for analysis and wake the worker.
    pub fn schedule(&self, uris: impl IntoIterator<Item = Uri>) {
        let mut q = lock(&self.queue);
        for uri in uris {
            q.push(uri);
        }
        drop(q);
        self.queue_ready.notify_all();
    }

    pub fn open_uris(&self) -> Vec<Uri> {
        lock(&self.docs).keys().cloned().collect()
    }

    pub fn notify_result(&self) {
        let n = self.result_counter.fetch_add(1, Ordering::SeqCst) + 1;
        self.results.send_replace(n);
    }
}

/// The file path of a `file:` URI.
pub fn uri_path(uri: &Uri) -> Option<PathBuf> {
    uri.to_file_path().map(|p| p.into_owned())
}

pub fn is_rust(path: &Path) -> bool {
    path.extension().is_some_and(|e| e == "rs")
}
