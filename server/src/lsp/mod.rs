//! `precept server`: the language server on stdin/stdout.
//!
//! Layout: [`backend`] handles the protocol and keeps documents in ropes;
//! [`worker`] analyses on its own large-stack thread and hands results to a
//! publisher task that talks to the client in order; [`convert`] is the only place
//! that does position arithmetic; [`actions`] builds code actions and hover.

mod actions;
mod backend;
mod config_errors;
mod convert;
mod framing;
mod scan;
mod state;
mod worker;

use tower_lsp_server::{LspService, Server};

use self::state::{lock, Shared};
use self::worker::Outgoing;

/// Serve the protocol on the given streams until the client exits.
pub async fn serve<I, O>(input: I, output: O)
where
    I: tokio::io::AsyncRead + Unpin + Send + 'static,
    O: tokio::io::AsyncWrite,
{
    let shared = Shared::new();
    // precept:allow(unbounded-channel): at most one message per finished analysis, and the worker is bounded by the document queue; a bounded queue could stall the worker thread
    let (out_tx, mut out_rx) = tokio::sync::mpsc::unbounded_channel::<Outgoing>();
    let worker = match worker::spawn(shared.clone(), out_tx.clone()) {
        Ok(w) => Some(w),
        Err(e) => {
            tracing::error!(error = %e, "cannot start the analysis thread");
            None
        }
    };
    let (service, socket) = LspService::build(|client| {
        // The publisher: one task, so diagnostics and messages reach the client in
        // the order they were produced.
        let publisher = client.clone();
        tokio::spawn(async move {
            while let Some(msg) = out_rx.recv().await {
                match msg {
                    Outgoing::Publish {
                        uri,
                        diagnostics,
                        version,
                    } => {
                        publisher
                            .publish_diagnostics(uri, diagnostics, version)
                            .await;
                    }
                    Outgoing::Log { kind, message } => publisher.log_message(kind, message).await,
                    Outgoing::Show { kind, message } => publisher.show_message(kind, message).await,
                }
            }
        });
        backend::Backend {
            client,
            shared: shared.clone(),
            out: out_tx,
        }
    })
    .custom_method(
        "window/workDoneProgress/cancel",
        backend::Backend::cancel_progress,
    )
    .finish();
    Server::new(framing::filtered(input), output, socket)
        .serve(service)
        .await;
    let mut q = lock(&shared.queue);
    q.shutdown = true;
    drop(q);
    shared.queue_ready.notify_all();
    if let Some(w) = worker {
        let _ = w.join();
    }
}

/// Run the server on stdio with its own runtime.
pub fn run_stdio() -> anyhow::Result<()> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .thread_name("precept-lsp")
        .build()?;
    runtime.block_on(serve(tokio::io::stdin(), tokio::io::stdout()));
    // stdin may still be blocked in a read; do not wait for it.
    runtime.shutdown_timeout(std::time::Duration::from_millis(100));
    Ok(())
}
