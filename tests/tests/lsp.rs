//! The language server end to end: most tests run the server in process over an
//! in-memory pipe; a few spawn the real binary over stdio.

use precept_tests::lsp::{apply_edits, file_uri, Client};
use precept_tests::{repo_root, run_in};
use serde_json::{json, Value};

fn demo_uri(file: &str) -> String {
    file_uri(&repo_root().join("demo/src").join(file))
}

fn demo_text(file: &str) -> String {
    std::fs::read_to_string(repo_root().join("demo/src").join(file)).unwrap_or_default()
}

/// Open a demo file and wait for its first diagnostics: (uri, text, diagnostics).
async fn open_demo(c: &mut Client, file: &str) -> (String, String, Vec<Value>) {
    let uri = demo_uri(file);
    let text = demo_text(file);
    c.open(&uri, &text).await;
    let diagnostics = c.diagnostics(&uri, Some(1)).await;
    (uri, text, diagnostics)
}

fn push_caps() -> Value {
    json!({"textDocument": {"publishDiagnostics": {"versionSupport": true}}})
}

async fn started(caps: Value) -> Client {
    let mut c = Client::in_process();
    c.initialize(caps, Value::Null).await;
    c
}

fn rules(diags: &[Value]) -> Vec<(String, u64)> {
    let mut v: Vec<(String, u64)> = diags
        .iter()
        .map(|d| {
            (
                d["code"].as_str().unwrap_or("").to_owned(),
                d["range"]["start"]["line"].as_u64().unwrap_or(0),
            )
        })
        .collect();
    v.sort();
    v
}

/// What `precept check` reports for `text` at `path`, as (rule, 0-based line).
fn cli_findings(path: &str, text: &str) -> Vec<(String, u64)> {
    let run = run_in(
        &repo_root(),
        &["check", "--format", "json", "--stdin-filename", path],
        Some(text),
    );
    let findings: Value = serde_json::from_str(&run.stdout).unwrap_or(Value::Null);
    let mut v: Vec<(String, u64)> = findings
        .as_array()
        .map(|a| {
            a.iter()
                .map(|f| {
                    (
                        f["rule"].as_str().unwrap_or("").to_owned(),
                        f["start"]["line"].as_u64().unwrap_or(1) - 1,
                    )
                })
                .collect()
        })
        .unwrap_or_default();
    v.sort();
    v
}

#[tokio::test]
async fn pushes_diagnostics_with_all_fields() {
    let mut c = started(push_caps()).await;
    let (_uri, _, diags) = open_demo(&mut c, "handlers.rs").await;
    assert!(!diags.is_empty());
    let sql = diags
        .iter()
        .find(|d| d["code"] == "sql-injection")
        .cloned()
        .unwrap_or_default();
    assert_eq!(sql["source"], "precept");
    assert_eq!(sql["severity"], 1);
    assert!(sql["codeDescription"]["href"]
        .as_str()
        .unwrap_or("")
        .ends_with("sql-injection.md"));
    assert!(sql["message"]
        .as_str()
        .unwrap_or("")
        .contains("bind parameters"));
    // The range starts at `sqlx::query_as` on the line of the call.
    let line = sql["range"]["start"]["line"].as_u64().unwrap_or(0) as usize;
    let text = demo_text("handlers.rs");
    let col = sql["range"]["start"]["character"].as_u64().unwrap_or(0) as usize;
    assert!(text.lines().nth(line).unwrap_or("")[col..].starts_with("sqlx::query_as"));
    assert_eq!(rules(&diags), cli_findings("demo/src/handlers.rs", &text));
    c.shutdown().await;
}

#[tokio::test]
async fn incremental_edits_move_and_add_findings() {
    let mut c = started(push_caps()).await;
    let (uri, text, first) = open_demo(&mut c, "jobs.rs").await;
    // Insert two lines at the top: every finding moves down by two.
    c.change(&uri, 2, json!([{"range": {"start": {"line": 0, "character": 0}, "end": {"line": 0, "character": 0}}, "text": "// a\n// b\n"}])).await;
    let second = c.diagnostics(&uri, Some(2)).await;
    let shifted: Vec<(String, u64)> = rules(&first).into_iter().map(|(r, l)| (r, l + 2)).collect();
    assert_eq!(rules(&second), shifted);
    // Type a new violation at the end of the file.
    let lines = text.lines().count() as u64 + 2;
    c.change(&uri, 3, json!([{"range": {"start": {"line": lines, "character": 0}, "end": {"line": lines, "character": 0}}, "text": "pub fn f(x: &str) -> u8 { x.parse().unwrap() }\n"}])).await;
    let third = c.diagnostics(&uri, Some(3)).await;
    assert!(
        rules(&third).contains(&("unwrap-in-boundary".to_owned(), lines)),
        "{third:#?}"
    );
    c.shutdown().await;
}

#[tokio::test]
async fn broken_function_keeps_other_findings_in_place() {
    let mut c = started(push_caps()).await;
    let (uri, text, before) = open_demo(&mut c, "handlers.rs").await;
    // An unbalanced `{` typed inside `health`, above the other handlers.
    let line = text.lines().position(|l| l.contains("\"ok\"")).unwrap_or(0) as u32;
    c.change(&uri, 2, json!([{"range": {"start": {"line": line, "character": 4}, "end": {"line": line, "character": 4}}, "text": "if x {"}])).await;
    let after = c.diagnostics(&uri, Some(2)).await;
    assert_eq!(rules(&before), rules(&after));
    c.shutdown().await;
}

#[tokio::test]
async fn utf8_and_utf16_ranges_for_non_ascii_text() {
    let text = "pub fn f(x: &str) -> u8 { let _s = \"😀日本\"; x.parse().unwrap() }\n";
    let uri = demo_uri("nonascii.rs");
    let unwrap_byte = text.find("unwrap").unwrap_or(0) as u64;
    let unwrap_utf16 = text[..text.find("unwrap").unwrap_or(0)]
        .encode_utf16()
        .count() as u64;

    let mut c = started(push_caps()).await;
    c.open(&uri, text).await;
    let d = c.diagnostics(&uri, Some(1)).await;
    assert_eq!(
        d[0]["range"]["start"]["character"].as_u64(),
        Some(unwrap_utf16)
    );
    c.shutdown().await;

    let mut c = Client::in_process();
    let init = c
        .initialize(
            json!({"general": {"positionEncodings": ["utf-8", "utf-16"]}}),
            Value::Null,
        )
        .await;
    assert_eq!(init["result"]["capabilities"]["positionEncoding"], "utf-8");
    c.open(&uri, text).await;
    let d = c.diagnostics(&uri, Some(1)).await;
    assert_eq!(
        d[0]["range"]["start"]["character"].as_u64(),
        Some(unwrap_byte)
    );
    c.shutdown().await;
}

#[tokio::test]
async fn pull_clients_get_no_pushes() {
    let mut c = Client::in_process();
    let init = c
        .initialize(
            json!({"textDocument": {"diagnostic": {"dynamicRegistration": false}}}),
            Value::Null,
        )
        .await;
    assert_eq!(
        init["result"]["capabilities"]["diagnosticProvider"]["workspaceDiagnostics"],
        false
    );
    let uri = demo_uri("db.rs");
    c.open(&uri, &demo_text("db.rs")).await;
    let r = c
        .request(
            "textDocument/diagnostic",
            json!({"textDocument": {"uri": uri}}),
        )
        .await;
    let items = r
        .pointer("/result/items")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    assert!(items.iter().any(|d| d["code"] == "sql-injection"), "{r}");
    // A later request answers the new version.
    c.change(&uri, 2, json!([{"text": "pub fn clean() {}\n"}]))
        .await;
    let r = c
        .request(
            "textDocument/diagnostic",
            json!({"textDocument": {"uri": uri}}),
        )
        .await;
    assert_eq!(r.pointer("/result/items"), Some(&json!([])), "{r}");
    c.shutdown().await;
    assert!(
        !c.received("textDocument/publishDiagnostics"),
        "a pull client got pushed diagnostics"
    );
}

#[tokio::test]
async fn quick_fixes_suppression_and_fix_all() {
    let mut c = started(push_caps()).await;
    let (uri, text, diags) = open_demo(&mut c, "clients.rs").await;
    let timeout = diags
        .iter()
        .find(|d| d["code"] == "missing-timeout")
        .cloned()
        .unwrap_or_default();
    let actions = c.code_actions(&uri, timeout["range"].clone(), None).await;
    let titles: Vec<&str> = actions.iter().filter_map(|a| a["title"].as_str()).collect();
    assert!(titles.contains(&"Add a 30 s timeout"), "{titles:?}");
    assert!(
        titles.contains(&"Suppress `missing-timeout` on this line"),
        "{titles:?}"
    );
    let fix = actions
        .iter()
        .find(|a| a["title"] == "Add a 30 s timeout")
        .cloned()
        .unwrap_or_default();
    assert_eq!(fix["isPreferred"], false, "unsafe fixes are not preferred");
    let edits = fix["edit"]["changes"][&uri]
        .as_array()
        .cloned()
        .unwrap_or_default();
    let fixed = apply_edits(&text, &edits);
    assert!(
        fixed.contains(".user_agent(\"orders/1.0\").timeout(Duration::from_secs(30)).build()"),
        "{fixed}"
    );

    // The suppression inserts a comment with an empty reason above the line.
    let suppress = actions
        .iter()
        .find(|a| a["title"] == "Suppress `missing-timeout` on this line")
        .cloned()
        .unwrap_or_default();
    let edits = suppress["edit"]["changes"][&uri]
        .as_array()
        .cloned()
        .unwrap_or_default();
    let suppressed = apply_edits(&text, &edits);
    assert!(
        suppressed
            .contains("    // precept:allow(missing-timeout): \n    Client::builder().user_agent"),
        "{suppressed}"
    );

    // Fix-all applies only the safe fix (the unused suppression).
    let all = c
        .code_actions(
            &uri,
            json!({"start": {"line": 0, "character": 0}, "end": {"line": 0, "character": 0}}),
            Some(vec!["source.fixAll.precept"]),
        )
        .await;
    assert_eq!(all.len(), 1, "{all:#?}");
    let edits = all[0]["edit"]["changes"][&uri]
        .as_array()
        .cloned()
        .unwrap_or_default();
    let fixed_all = apply_edits(&text, &edits);
    assert!(!fixed_all.contains("precept:allow(missing-timeout)"));
    assert!(
        fixed_all.contains("Client::builder().user_agent(\"orders/1.0\").build()"),
        "unsafe fix applied"
    );
    c.shutdown().await;
}

#[tokio::test]
async fn hover_explains_the_rule() {
    let mut c = started(push_caps()).await;
    let (uri, _, diags) = open_demo(&mut c, "db.rs").await;
    let sql = diags
        .iter()
        .find(|d| d["code"] == "sql-injection" && d["severity"] == 1)
        .cloned()
        .unwrap_or_default();
    let r = c
        .request(
            "textDocument/hover",
            json!({"textDocument": {"uri": uri}, "position": sql["range"]["start"]}),
        )
        .await;
    let md = r
        .pointer("/result/contents/value")
        .and_then(Value::as_str)
        .unwrap_or("");
    assert!(md.contains("sql-injection"), "{md}");
    assert!(md.contains("**Standard:**"), "{md}");
    assert!(md.contains("**Why:**"), "{md}");
    c.shutdown().await;
}

#[tokio::test]
async fn close_clears_diagnostics() {
    let mut c = started(push_caps()).await;
    let (uri, _, diagnostics) = open_demo(&mut c, "db.rs").await;
    assert!(!diagnostics.is_empty());
    c.notify(
        "textDocument/didClose",
        json!({"textDocument": {"uri": uri}}),
    )
    .await;
    let cleared = c
        .wait_for(|m| {
            m["method"] == "textDocument/publishDiagnostics"
                && m["params"]["uri"] == json!(uri)
                && m["params"]["diagnostics"] == json!([])
        })
        .await;
    assert!(cleared["params"]["version"].is_null());
    c.shutdown().await;
}

#[tokio::test]
async fn survives_bad_input() {
    let mut c = started(push_caps()).await;
    // Malformed JSON and an unknown method: the next request is still answered.
    c.send_raw("Content-Length: 9\r\n\r\n{not json").await;
    let unknown = c.request("precept/unknown", json!({})).await;
    assert!(unknown.get("error").is_some());
    // An edit past the end of the document is clamped, not fatal.
    let uri = demo_uri("edge.rs");
    c.open(&uri, "pub fn f(x: &str) -> u8 { x.parse().unwrap() }\n")
        .await;
    c.diagnostics(&uri, Some(1)).await;
    c.change(&uri, 2, json!([{"range": {"start": {"line": 99, "character": 5}, "end": {"line": 120, "character": 0}}, "text": "// tail\n"}])).await;
    let d = c.diagnostics(&uri, Some(2)).await;
    assert_eq!(d.len(), 1);
    // 50,000-deep nesting is skipped, and the server keeps answering.
    let deep = format!(
        "pub fn g() -> u8 {{ {}1{} }}\npub fn h(x: &str) -> u8 {{ x.parse().unwrap() }}\n",
        "(".repeat(50_000),
        ")".repeat(50_000)
    );
    c.change(&uri, 3, json!([{"text": deep}])).await;
    let d = c.diagnostics(&uri, Some(3)).await;
    assert_eq!(rules(&d), vec![("unwrap-in-boundary".to_owned(), 1)]);
    let hover = c
        .request(
            "textDocument/hover",
            json!({"textDocument": {"uri": uri}, "position": {"line": 0, "character": 0}}),
        )
        .await;
    assert!(hover.get("error").is_none());
    c.shutdown().await;
}

#[tokio::test]
async fn thousands_of_edits_without_waiting() {
    let mut c = started(push_caps()).await;
    let uri = demo_uri("stress.rs");
    let mut text = String::from("pub fn f(x: &str) -> u8 {\n    x.len() as u8\n}\n");
    c.open(&uri, &text).await;
    let mut version = 1;
    for i in 0..3000 {
        version += 1;
        // Type characters into the body, sometimes a newline.
        let ch = if i % 50 == 49 { "\n" } else { "a" };
        let line = text.lines().count().saturating_sub(2) as u32;
        text = {
            let index = precept_rules::source::LineIndex::new(&text);
            let at = index.line_start(line as usize);
            let mut t = text.clone();
            t.insert_str(at, ch);
            t
        };
        c.change(&uri, version, json!([{"range": {"start": {"line": line, "character": 0}, "end": {"line": line, "character": 0}}, "text": ch}])).await;
    }
    // Finish with a violation and wait for the final version only.
    version += 1;
    c.change(&uri, version, json!([{"range": {"start": {"line": 0, "character": 0}, "end": {"line": 0, "character": 0}}, "text": "pub fn g(x: &str) -> u8 { x.parse().unwrap() }\n"}])).await;
    let d = c.diagnostics(&uri, Some(version)).await;
    assert_eq!(rules(&d), vec![("unwrap-in-boundary".to_owned(), 0)]);
    c.shutdown().await;
}

#[tokio::test]
async fn invalid_config_is_reported_and_last_good_kept() {
    let dir = precept_tests::demo_copy();
    let demo = dir.path().join("demo");
    let file = demo.join("src/db.rs");
    let uri = file_uri(&file);
    let mut c = started(push_caps()).await;
    c.open(&uri, &std::fs::read_to_string(&file).unwrap_or_default())
        .await;
    let good = c.diagnostics(&uri, Some(1)).await;
    std::fs::write(
        demo.join("precept.toml"),
        "[rules]\nsql-injection = \"loud\"\n",
    )
    .unwrap_or(());
    let config_uri = file_uri(&demo.join("precept.toml"));
    c.notify(
        "workspace/didChangeWatchedFiles",
        json!({"changes": [{"uri": config_uri, "type": 2}]}),
    )
    .await;
    let config_diag = c.diagnostics(&config_uri, None).await;
    assert_eq!(
        config_diag[0]["range"]["start"]["line"], 1,
        "{config_diag:#?}"
    );
    let shown = c.wait_for(|m| m["method"] == "window/showMessage").await;
    assert!(
        shown["params"]["message"]
            .as_str()
            .unwrap_or("")
            .contains("invalid configuration"),
        "{shown}"
    );
    // The document keeps its findings under the last good configuration.
    let after = c.diagnostics(&uri, Some(1)).await;
    assert_eq!(rules(&good), rules(&after));
    c.shutdown().await;
}

#[tokio::test]
async fn editor_settings_override_levels() {
    let mut c = Client::in_process();
    c.initialize(push_caps(), json!({"rules": {"sql-injection": "off"}}))
        .await;
    let (_uri, _, d) = open_demo(&mut c, "db.rs").await;
    assert!(d.iter().all(|d| d["code"] != "sql-injection"), "{d:#?}");
    assert!(d.iter().any(|d| d["code"] == "suppression-without-reason"));
    c.shutdown().await;
}

#[tokio::test]
async fn real_binary_over_stdio() {
    let mut c = Client::spawn_binary(&["--log-level", "warn"]);
    let init = c.initialize(push_caps(), Value::Null).await;
    assert_eq!(init["result"]["serverInfo"]["name"], "precept");
    let (_uri, _, d) = open_demo(&mut c, "handlers.rs").await;
    assert_eq!(
        rules(&d),
        cli_findings("demo/src/handlers.rs", &demo_text("handlers.rs"))
    );
    c.shutdown().await;
}

#[tokio::test]
async fn workspace_scope_scans_with_progress() {
    let dir = precept_tests::demo_copy();
    let demo = dir.path().join("demo");
    let mut c = Client::in_process();
    c.initialize_in(
        &demo,
        push_caps(),
        json!({"diagnostics": {"scope": "workspace"}}),
    )
    .await;
    // Files that were never opened get diagnostics.
    let db = file_uri(&demo.join("src/db.rs"));
    let d = c.diagnostics(&db, None).await;
    assert!(d.iter().any(|d| d["code"] == "sql-injection"), "{d:#?}");
    let begin = c
        .wait_for(|m| m["method"] == "$/progress" && m["params"]["value"]["kind"] == "begin")
        .await;
    assert_eq!(begin["params"]["value"]["cancellable"], true);
    let end = c
        .wait_for(|m| m["method"] == "$/progress" && m["params"]["value"]["kind"] == "end")
        .await;
    assert_eq!(end["params"]["value"]["message"], "done");
    c.shutdown().await;

    // A pull client asks for the workspace report.
    let mut c = Client::in_process();
    let init = c
        .initialize_in(
            &demo,
            json!({"textDocument": {"diagnostic": {}}}),
            json!({"diagnostics": {"scope": "workspace"}}),
        )
        .await;
    assert_eq!(
        init["result"]["capabilities"]["diagnosticProvider"]["workspaceDiagnostics"],
        true
    );
    c.wait_for(|m| m["method"] == "$/progress" && m["params"]["value"]["kind"] == "end")
        .await;
    let r = c
        .request("workspace/diagnostic", json!({"previousResultIds": []}))
        .await;
    let items = r
        .pointer("/result/items")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    assert!(
        items
            .iter()
            .any(|i| i["uri"] == json!(db) && !i["items"].as_array().is_none_or(Vec::is_empty)),
        "{r}"
    );
    c.shutdown().await;
}

#[tokio::test]
async fn oversized_files_are_skipped_with_a_message() {
    let dir = precept_tests::demo_copy();
    let demo = dir.path().join("demo");
    std::fs::write(demo.join("precept.toml"), "max-file-size = 100\n").unwrap_or(());
    let file = demo.join("src/db.rs");
    let uri = file_uri(&file);
    let mut c = started(push_caps()).await;
    c.open(&uri, &std::fs::read_to_string(&file).unwrap_or_default())
        .await;
    let d = c.diagnostics(&uri, Some(1)).await;
    assert!(d.is_empty(), "{d:#?}");
    let shown = c.wait_for(|m| m["method"] == "window/showMessage").await;
    assert!(
        shown["params"]["message"]
            .as_str()
            .unwrap_or("")
            .contains("max-file-size"),
        "{shown}"
    );
    c.shutdown().await;
}

#[tokio::test]
async fn settings_change_at_runtime() {
    let mut c = started(push_caps()).await;
    let (uri, _, before) = open_demo(&mut c, "db.rs").await;
    assert!(before.iter().any(|d| d["code"] == "sql-injection"));
    c.notify(
        "workspace/didChangeConfiguration",
        json!({"settings": {"precept": {"rules": {"sql-injection": "off"}}}}),
    )
    .await;
    let after = c.diagnostics(&uri, Some(1)).await;
    assert!(
        after.iter().all(|d| d["code"] != "sql-injection"),
        "{after:#?}"
    );
    // The pull of `workspace/configuration` also reaches the server.
    c.settings = json!({"rules": {"unused-suppression": "off"}});
    c.notify(
        "workspace/didChangeConfiguration",
        json!({"settings": null}),
    )
    .await;
    let pulled = c.diagnostics(&uri, Some(1)).await;
    assert!(
        pulled.iter().any(|d| d["code"] == "sql-injection"),
        "{pulled:#?}"
    );
    c.shutdown().await;
}

#[tokio::test]
async fn pull_after_a_settings_change_sees_the_new_settings() {
    let mut c = Client::in_process();
    c.initialize(json!({"textDocument": {"diagnostic": {}}}), Value::Null)
        .await;
    let uri = demo_uri("db.rs");
    c.open(&uri, &demo_text("db.rs")).await;
    let r = c
        .request(
            "textDocument/diagnostic",
            json!({"textDocument": {"uri": uri}}),
        )
        .await;
    assert!(r.to_string().contains("sql-injection"), "{r}");
    c.notify(
        "workspace/didChangeConfiguration",
        json!({"settings": {"precept": {"rules": {"sql-injection": "off"}}}}),
    )
    .await;
    // The next pull (what the client does after the refresh) answers under the new settings.
    let r = c
        .request(
            "textDocument/diagnostic",
            json!({"textDocument": {"uri": uri}}),
        )
        .await;
    assert!(!r.to_string().contains("\"sql-injection\""), "{r}");
    c.shutdown().await;
}

#[tokio::test]
async fn saving_a_parent_module_updates_open_children() {
    let dir = precept_tests::demo_copy();
    let demo = dir.path().join("demo");
    let helper = demo.join("src/helpers.rs");
    let text = "pub fn port(raw: &str) -> u16 {\n    raw.parse().unwrap()\n}\n";
    let lib = demo.join("src/lib.rs");
    let lib_text = std::fs::read_to_string(&lib).unwrap_or_default();
    for (path, content) in [
        (&helper, text.to_owned()),
        (&lib, format!("{lib_text}pub mod helpers;\n")),
    ] {
        if let Err(e) = std::fs::write(path, content) {
            panic!("{}: {e}", path.display());
        }
    }
    let mut c = Client::in_process();
    c.initialize_in(&demo, push_caps(), Value::Null).await;
    let uri = file_uri(&helper);
    c.open(&uri, text).await;
    let d = c.diagnostics(&uri, Some(1)).await;
    assert!(
        d.iter().any(|d| d["code"] == "unwrap-in-boundary"),
        "{d:#?}"
    );

    // The module becomes test-only; once lib.rs is saved, the open child is
    // checked as test code.
    if let Err(e) = std::fs::write(&lib, format!("{lib_text}#[cfg(test)]\nmod helpers;\n")) {
        panic!("{e}");
    }
    c.notify(
        "textDocument/didSave",
        json!({"textDocument": {"uri": file_uri(&lib)}}),
    )
    .await;
    assert_eq!(c.diagnostics(&uri, Some(1)).await, Vec::<Value>::new());
    c.shutdown().await;
}
