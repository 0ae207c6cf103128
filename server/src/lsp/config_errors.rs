//! Invalid configuration: shown as a diagnostic in the configuration file itself and
//! as a message, while the last good configuration stays in force.

use std::path::PathBuf;

use precept_rules::baseline::BaselineError;
use precept_rules::workspace::ResolveError;
use tokio::sync::mpsc::UnboundedSender;
use tower_lsp_server::ls_types::{
    Diagnostic, DiagnosticSeverity, MessageType, Position, Range, Uri,
};

use super::state::lock;
use super::worker::Outgoing;

/// Configuration files that currently have an error shown.
static SHOWN: std::sync::Mutex<Vec<PathBuf>> = std::sync::Mutex::new(Vec::new());

pub fn report(out: &UnboundedSender<Outgoing>, err: &ResolveError) {
    let (path, line, column, message) = match err {
        ResolveError::Config(e) => (e.path.clone(), e.line, e.column, e.message.clone()),
        ResolveError::CrateFacts(e) => (e.path.clone(), e.line, e.column, e.message.clone()),
        ResolveError::Baseline(e) => return report_baseline(out, e),
    };
    let mut shown = lock(&SHOWN);
    let first_time = !shown.contains(&path);
    if first_time {
        shown.push(path.clone());
    }
    drop(shown);
    if let Some(uri) = Uri::from_file_path(&path) {
        let pos = Position {
            line: line.saturating_sub(1) as u32,
            character: column.saturating_sub(1) as u32,
        };
        let diagnostic = Diagnostic {
            range: Range {
                start: pos,
                end: Position {
                    line: pos.line,
                    character: pos.character + 1,
                },
            },
            severity: Some(DiagnosticSeverity::ERROR),
            source: Some("precept".to_owned()),
            message: message.clone(),
            ..Diagnostic::default()
        };
        let _ = out.send(Outgoing::Publish {
            uri,
            diagnostics: vec![diagnostic],
            version: None,
        });
    }
    if first_time {
        let _ = out.send(Outgoing::Show {
            kind: MessageType::ERROR,
            message: format!(
                "precept: invalid configuration in {}:{line}:{column}: {message}. The last valid configuration stays in force.",
                path.display()
            ),
        });
    }
}

/// A baseline that cannot be used: said once; the documents are checked without it.
fn report_baseline(out: &UnboundedSender<Outgoing>, err: &BaselineError) {
    let path = match err {
        BaselineError::Read { path, .. }
        | BaselineError::Missing { path }
        | BaselineError::Invalid { path, .. }
        | BaselineError::Version { path, .. } => path.clone(),
    };
    let mut shown = lock(&SHOWN);
    if shown.contains(&path) {
        return;
    }
    shown.push(path);
    drop(shown);
    let _ = out.send(Outgoing::Show {
        kind: MessageType::WARNING,
        message: format!("precept: {err}. Every finding is shown until it can be read."),
    });
}

/// Configuration files changed: forget the errors shown (resolving again reports
/// any that remain).
pub fn reset(out: &UnboundedSender<Outgoing>) {
    let shown: Vec<PathBuf> = std::mem::take(&mut *lock(&SHOWN));
    for path in shown {
        if let Some(uri) = Uri::from_file_path(&path) {
            let _ = out.send(Outgoing::Publish {
                uri,
                diagnostics: Vec::new(),
                version: None,
            });
        }
    }
}
