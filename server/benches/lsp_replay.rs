//! LSP replay benchmark: drives the real `precept server` over stdio and reports
//! what a user feels in the editor.
//!
//! Run with `cargo bench -p precept --bench lsp_replay`. Reports:
//! - first diagnostics after `didOpen` of a 10,000-line file;
//! - p50/p99 from a one-character `didChange` inside a function to the
//!   `publishDiagnostics` of that version;
//! - resident memory with 100 open 2,000-line files;
//! - resident memory before and after 10,000 edits.

// A benchmark report is printed for a person to read.
#![allow(clippy::print_stdout)]

#[path = "../../rules/benches/corpus.rs"]
mod corpus;

use std::io::{BufRead, BufReader, Read, Write};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc::{channel, Receiver};
use std::time::{Duration, Instant};

use serde_json::{json, Value};

struct Server {
    child: Child,
    stdin: ChildStdin,
    incoming: Receiver<Value>,
    next_id: i64,
}

impl Server {
    fn start() -> Server {
        let mut child = match Command::new(env!("CARGO_BIN_EXE_precept"))
            .args(["server", "--log-level", "error"])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
        {
            Ok(c) => c,
            Err(e) => fail(&format!("cannot start precept server: {e}")),
        };
        let stdin = child.stdin.take().unwrap_or_else(|| fail("no stdin"));
        let stdout = child.stdout.take().unwrap_or_else(|| fail("no stdout"));
        let (tx, incoming) = channel();
        std::thread::spawn(move || {
            let mut reader = BufReader::new(stdout);
            loop {
                let mut len = 0usize;
                loop {
                    let mut line = String::new();
                    if reader.read_line(&mut line).unwrap_or(0) == 0 {
                        return;
                    }
                    let line = line.trim_end();
                    if line.is_empty() {
                        break;
                    }
                    if let Some(v) = line.strip_prefix("Content-Length:") {
                        len = v.trim().parse().unwrap_or(0);
                    }
                }
                let mut body = vec![0; len];
                if reader.read_exact(&mut body).is_err() {
                    return;
                }
                if let Ok(v) = serde_json::from_slice::<Value>(&body) {
                    if tx.send(v).is_err() {
                        return;
                    }
                }
            }
        });
        Server {
            child,
            stdin,
            incoming,
            next_id: 1,
        }
    }

    fn send(&mut self, msg: Value) {
        let body = msg.to_string();
        let frame = format!("Content-Length: {}\r\n\r\n{body}", body.len());
        if self
            .stdin
            .write_all(frame.as_bytes())
            .and_then(|()| self.stdin.flush())
            .is_err()
        {
            fail("the server stopped reading");
        }
    }

    fn notify(&mut self, method: &str, params: Value) {
        self.send(json!({"jsonrpc": "2.0", "method": method, "params": params}));
    }

    fn request(&mut self, method: &str, params: Value) -> Value {
        let id = self.next_id;
        self.next_id += 1;
        self.send(json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params}));
        self.wait(|m| m["id"] == json!(id) && m.get("method").is_none())
    }

    fn wait(&mut self, pred: impl Fn(&Value) -> bool) -> Value {
        loop {
            let msg = match self.incoming.recv_timeout(Duration::from_secs(30)) {
                Ok(m) => m,
                Err(_) => fail("timed out waiting for the server"),
            };
            if let (Some(id), Some(_)) = (msg.get("id"), msg.get("method")) {
                // A request from the server (configuration, registration): answer it.
                let id = id.clone();
                self.send(json!({"jsonrpc": "2.0", "id": id, "result": null}));
                continue;
            }
            if pred(&msg) {
                return msg;
            }
        }
    }

    fn wait_diagnostics(&mut self, uri: &str, version: i64) {
        self.wait(|m| {
            m["method"] == "textDocument/publishDiagnostics"
                && m["params"]["uri"] == json!(uri)
                && m["params"]["version"] == json!(version)
        });
    }

    fn rss_mb(&self) -> f64 {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id()))
            .unwrap_or_default();
        status
            .lines()
            .find(|l| l.starts_with("VmRSS:"))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|v| v.parse::<f64>().ok())
            .map_or(0.0, |kb| kb / 1024.0)
    }

    fn stop(mut self) {
        self.request("shutdown", Value::Null);
        self.notify("exit", Value::Null);
        let _ = self.child.wait();
    }
}

fn fail(msg: &str) -> ! {
    eprintln!("lsp_replay: {msg}");
    std::process::exit(1)
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

fn main() {
    let tmp = tempfile::tempdir().unwrap_or_else(|e| fail(&format!("tempdir: {e}")));
    let root = tmp.path();
    let _ = std::fs::create_dir_all(root.join("src"));
    let _ = std::fs::write(
        root.join("Cargo.toml"),
        "[package]\nname = \"bench\"\nversion = \"0.1.0\"\nedition = \"2021\"\n\n[dependencies]\naxum = \"0.8\"\nsqlx = { version = \"0.8\", features = [\"postgres\"] }\ntracing = \"0.1\"\n",
    );
    let uri_of = |name: &str| format!("file://{}/src/{name}", root.display());

    let mut server = Server::start();
    server.request("initialize", json!({"processId": null, "rootUri": format!("file://{}", root.display()), "capabilities": {}}));
    server.notify("initialized", json!({}));

    // 1. First diagnostics after opening a 10,000-line file (fresh documents).
    let big = corpus::file(10_000);
    let mut opens = Vec::new();
    for i in 0..5 {
        let uri = uri_of(&format!("big{i}.rs"));
        let start = Instant::now();
        server.notify(
            "textDocument/didOpen",
            json!({"textDocument": {"uri": uri, "languageId": "rust", "version": 1, "text": big}}),
        );
        server.wait_diagnostics(&uri, 1);
        opens.push(start.elapsed());
    }
    opens.sort();

    // 2. Keystroke latency: one character typed inside a function, then wait for
    //    that version's diagnostics.
    let uri = uri_of("big0.rs");
    let at = corpus::edit_point(&big);
    let line = big[..at].matches('\n').count();
    let col = at - big[..at].rfind('\n').map_or(0, |i| i + 1);
    let mut version = 1i64;
    let mut latencies = Vec::new();
    for i in 0..1_000 {
        version += 1;
        let change = if i % 2 == 0 {
            json!({"range": {"start": {"line": line, "character": col}, "end": {"line": line, "character": col}}, "text": "x"})
        } else {
            json!({"range": {"start": {"line": line, "character": col}, "end": {"line": line, "character": col + 1}}, "text": ""})
        };
        let start = Instant::now();
        server.notify(
            "textDocument/didChange",
            json!({"textDocument": {"uri": uri, "version": version}, "contentChanges": [change]}),
        );
        server.wait_diagnostics(&uri, version);
        latencies.push(start.elapsed());
    }
    latencies.sort();
    for i in 0..5 {
        server.notify(
            "textDocument/didClose",
            json!({"textDocument": {"uri": uri_of(&format!("big{i}.rs"))}}),
        );
    }

    // 3. Memory with 100 open 2,000-line files.
    let rss_start = server.rss_mb();
    let medium = corpus::file(2_000);
    for i in 0..100 {
        let uri = uri_of(&format!("m{i}.rs"));
        server.notify("textDocument/didOpen", json!({"textDocument": {"uri": uri, "languageId": "rust", "version": 1, "text": medium}}));
        server.wait_diagnostics(&uri, 1);
    }
    let rss_100 = server.rss_mb();

    // 4. Memory over 10,000 edits (alternating insert and delete in one file).
    let uri = uri_of("m0.rs");
    let at = corpus::edit_point(&medium);
    let line = medium[..at].matches('\n').count();
    let col = at - medium[..at].rfind('\n').map_or(0, |i| i + 1);
    let mut version = 1i64;
    let mut edit = |server: &mut Server, n: usize| {
        for i in 0..n {
            version += 1;
            let change = if i % 2 == 0 {
                json!({"range": {"start": {"line": line, "character": col}, "end": {"line": line, "character": col}}, "text": "y"})
            } else {
                json!({"range": {"start": {"line": line, "character": col}, "end": {"line": line, "character": col + 1}}, "text": ""})
            };
            server.notify("textDocument/didChange", json!({"textDocument": {"uri": uri, "version": version}, "contentChanges": [change]}));
            server.wait_diagnostics(&uri, version);
        }
    };
    edit(&mut server, 1_000);
    let rss_before = server.rss_mb();
    edit(&mut server, 10_000);
    let rss_after = server.rss_mb();
    server.stop();

    println!(
        "first diagnostics after didOpen (10,000 lines): median {:.1} ms, max {:.1} ms",
        ms(opens[opens.len() / 2]),
        ms(opens[opens.len() - 1])
    );
    println!(
        "didChange -> publishDiagnostics (10,000 lines, 1,000 keystrokes): p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms",
        ms(percentile(&latencies, 0.5)),
        ms(percentile(&latencies, 0.99)),
        ms(percentile(&latencies, 1.0))
    );
    println!("RSS: {rss_start:.1} MB at start, {rss_100:.1} MB with 100 open 2,000-line files");
    println!(
        "RSS over 10,000 edits: {rss_before:.1} MB before, {rss_after:.1} MB after ({:+.1} MB)",
        rss_after - rss_before
    );
}
