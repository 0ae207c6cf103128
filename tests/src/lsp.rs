//! A small LSP client for tests: speaks JSON-RPC over any byte streams (an
//! in-process duplex pipe or a spawned `precept server`), answers the server's own
//! requests, and waits on messages with timeouts — never with fixed sleeps.

// precept:allow-file(unwrap-in-boundary): a test harness: a protocol failure must fail the test

use std::collections::VecDeque;
use std::time::Duration;

use serde_json::{json, Value};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWrite, AsyncWriteExt, BufReader};
use tokio::sync::mpsc;

/// How long any single wait may take before the test fails.
pub const TIMEOUT: Duration = Duration::from_secs(20);

pub struct Client {
    writer: Box<dyn AsyncWrite + Unpin + Send>,
    incoming: mpsc::UnboundedReceiver<Value>,
    /// Messages received while waiting for something else.
    backlog: VecDeque<Value>,
    next_id: i64,
    /// What to answer `workspace/configuration` with.
    pub settings: Value,
    _guard: Option<Box<dyn Send>>,
}

/// Read framed JSON-RPC messages from `reader` into a channel.
fn spawn_reader<R: tokio::io::AsyncRead + Unpin + Send + 'static>(
    reader: R,
) -> mpsc::UnboundedReceiver<Value> {
    // precept:allow(unbounded-channel): a test reads every message the server sends; dropping or blocking would change what is tested
    let (tx, rx) = mpsc::unbounded_channel();
    tokio::spawn(async move {
        let mut reader = BufReader::new(reader);
        loop {
            let mut length = None;
            loop {
                let mut line = String::new();
                match reader.read_line(&mut line).await {
                    Ok(0) | Err(_) => return,
                    Ok(_) => {}
                }
                let line = line.trim_end();
                if line.is_empty() {
                    break;
                }
                if let Some(v) = line.strip_prefix("Content-Length:") {
                    length = v.trim().parse::<usize>().ok();
                }
            }
            let Some(length) = length else { return };
            let mut body = vec![0u8; length];
            if reader.read_exact(&mut body).await.is_err() {
                return;
            }
            match serde_json::from_slice::<Value>(&body) {
                Ok(v) => {
                    if tx.send(v).is_err() {
                        return;
                    }
                }
                Err(e) => panic!("server sent invalid JSON: {e}"),
            }
        }
    });
    rx
}

impl Client {
    /// A server running in this process over an in-memory pipe.
    pub fn in_process() -> Client {
        let (client_side, server_side) = tokio::io::duplex(1 << 20);
        let (server_read, server_write) = tokio::io::split(server_side);
        tokio::spawn(precept::lsp::serve(server_read, server_write));
        let (read, write) = tokio::io::split(client_side);
        Client::over(read, Box::new(write), None)
    }

    /// The real binary over stdio.
    pub fn spawn_binary(args: &[&str]) -> Client {
        let mut child = tokio::process::Command::new(crate::precept_bin())
            .arg("server")
            .args(args)
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start precept server: {e}"));
        let stdin = child.stdin.take().unwrap_or_else(|| panic!("no stdin"));
        let stdout = child.stdout.take().unwrap_or_else(|| panic!("no stdout"));
        Client::over(stdout, Box::new(stdin), Some(Box::new(child)))
    }

    fn over<R: tokio::io::AsyncRead + Unpin + Send + 'static>(
        read: R,
        writer: Box<dyn AsyncWrite + Unpin + Send>,
        guard: Option<Box<dyn Send>>,
    ) -> Client {
        Client {
            writer,
            incoming: spawn_reader(read),
            backlog: VecDeque::new(),
            next_id: 1,
            settings: Value::Null,
            _guard: guard,
        }
    }

    pub async fn send(&mut self, msg: Value) {
        let body = msg.to_string();
        self.send_raw(&format!("Content-Length: {}\r\n\r\n{body}", body.len()))
            .await;
    }

    pub async fn send_raw(&mut self, raw: &str) {
        if let Err(e) = self.writer.write_all(raw.as_bytes()).await {
            panic!("cannot write to the server: {e}");
        }
        let _ = self.writer.flush().await;
    }

    pub async fn notify(&mut self, method: &str, params: Value) {
        self.send(json!({"jsonrpc": "2.0", "method": method, "params": params}))
            .await;
    }

    /// Send a request and wait for its response (`result` or `error` object).
    pub async fn request(&mut self, method: &str, params: Value) -> Value {
        let id = self.next_id;
        self.next_id += 1;
        self.send(json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params}))
            .await;
        self.wait_for(|m| m.get("id") == Some(&json!(id)) && m.get("method").is_none())
            .await
    }

    /// Receive the next message, answering server requests on the way.
    async fn next(&mut self) -> Value {
        loop {
            let msg = match tokio::time::timeout(TIMEOUT, self.incoming.recv()).await {
                Ok(Some(m)) => m,
                Ok(None) => panic!("the server closed the connection"),
                Err(_) => panic!(
                    "timed out waiting for the server; backlog: {:#?}",
                    self.backlog
                ),
            };
            if let (Some(id), Some(method)) =
                (msg.get("id"), msg.get("method").and_then(Value::as_str))
            {
                let result = match method {
                    "workspace/configuration" => {
                        let n = msg
                            .pointer("/params/items")
                            .and_then(Value::as_array)
                            .map_or(1, Vec::len);
                        Value::Array(vec![self.settings.clone(); n])
                    }
                    _ => Value::Null,
                };
                let reply = json!({"jsonrpc": "2.0", "id": id.clone(), "result": result});
                self.send(reply).await;
                self.backlog.push_back(msg);
                continue;
            }
            return msg;
        }
    }

    /// Wait for a message matching `pred` (earlier non-matching ones are kept).
    pub async fn wait_for(&mut self, pred: impl Fn(&Value) -> bool) -> Value {
        if let Some(pos) = self.backlog.iter().position(&pred) {
            if let Some(m) = self.backlog.remove(pos) {
                return m;
            }
        }
        loop {
            let msg = self.next().await;
            if pred(&msg) {
                return msg;
            }
            self.backlog.push_back(msg);
        }
    }

    /// Initialize with the given client capabilities and options.
    pub async fn initialize(&mut self, capabilities: Value, options: Value) -> Value {
        self.initialize_in(&crate::repo_root(), capabilities, options)
            .await
    }

    /// Initialize with `root` as the workspace folder.
    pub async fn initialize_in(
        &mut self,
        root: &std::path::Path,
        capabilities: Value,
        options: Value,
    ) -> Value {
        let response = self
            .request(
                "initialize",
                json!({
                    "processId": null,
                    "rootUri": file_uri(root),
                    "capabilities": capabilities,
                    "initializationOptions": options,
                }),
            )
            .await;
        self.notify("initialized", json!({})).await;
        response
    }

    pub async fn open(&mut self, uri: &str, text: &str) {
        self.notify(
            "textDocument/didOpen",
            json!({"textDocument": {"uri": uri, "languageId": "rust", "version": 1, "text": text}}),
        )
        .await;
    }

    pub async fn change(&mut self, uri: &str, version: i32, changes: Value) {
        self.notify(
            "textDocument/didChange",
            json!({"textDocument": {"uri": uri, "version": version}, "contentChanges": changes}),
        )
        .await;
    }

    /// Wait for pushed diagnostics of `uri` at `version` (any version if `None`).
    pub async fn diagnostics(&mut self, uri: &str, version: Option<i32>) -> Vec<Value> {
        let msg = self
            .wait_for(|m| {
                m.get("method") == Some(&json!("textDocument/publishDiagnostics"))
                    && m.pointer("/params/uri") == Some(&json!(uri))
                    && version.is_none_or(|v| m.pointer("/params/version") == Some(&json!(v)))
            })
            .await;
        msg.pointer("/params/diagnostics")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default()
    }

    pub async fn code_actions(
        &mut self,
        uri: &str,
        range: Value,
        only: Option<Vec<&str>>,
    ) -> Vec<Value> {
        let mut context = json!({"diagnostics": []});
        if let Some(only) = only {
            context["only"] = json!(only);
        }
        let r = self
            .request(
                "textDocument/codeAction",
                json!({"textDocument": {"uri": uri}, "range": range, "context": context}),
            )
            .await;
        r.get("result")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default()
    }

    /// Whether a message with this method arrived (and was not consumed by a wait).
    pub fn received(&self, method: &str) -> bool {
        self.backlog
            .iter()
            .any(|m| m.get("method").and_then(Value::as_str) == Some(method))
    }

    pub async fn shutdown(&mut self) {
        let r = self.request("shutdown", Value::Null).await;
        assert!(r.get("error").is_none(), "{r}");
        self.notify("exit", Value::Null).await;
    }
}

pub fn file_uri(path: &std::path::Path) -> String {
    format!("file://{}", path.display())
}

/// Apply LSP text edits (UTF-16 positions) to a text.
pub fn apply_edits(text: &str, edits: &[Value]) -> String {
    let index = precept_rules::source::LineIndex::new(text);
    let mut resolved: Vec<(usize, usize, String)> = edits
        .iter()
        .map(|e| {
            let pos = |p: &Value| precept_rules::source::LineCol {
                line: p["line"].as_u64().unwrap_or(0) as u32,
                col: p["character"].as_u64().unwrap_or(0) as u32,
            };
            let s = index
                .offset(
                    text,
                    pos(&e["range"]["start"]),
                    precept_rules::source::Encoding::Utf16,
                )
                .0;
            let end = index
                .offset(
                    text,
                    pos(&e["range"]["end"]),
                    precept_rules::source::Encoding::Utf16,
                )
                .0;
            (s, end, e["newText"].as_str().unwrap_or("").to_owned())
        })
        .collect();
    resolved.sort_by_key(|(s, _, _)| std::cmp::Reverse(*s));
    let mut out = text.to_owned();
    for (s, e, t) in resolved {
        out.replace_range(s..e, &t);
    }
    out
}
