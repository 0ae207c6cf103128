//! Code actions (quick fixes, suppressions, fix-all) and hover, computed from the
//! analysis of the document's current version.

use std::collections::HashMap;

use precept_rules::analysis::{Analyzer, FileContext};
use precept_rules::fix::{apply_fixes, MAX_ROUNDS};
use precept_rules::source::Encoding;
use precept_rules::{registry, Applicability, Finding};
use tower_lsp_server::ls_types::{
    CodeAction, CodeActionKind, CodeActionOrCommand, CodeActionParams, CodeActionResponse, Hover,
    HoverContents, MarkupContent, MarkupKind, Position, Range, TextEdit, WorkspaceEdit,
};

use super::convert::Snapshot;
use super::state::DocResult;

/// `source.fixAll.precept`.
pub fn fix_all_kind() -> CodeActionKind {
    CodeActionKind::new("source.fixAll.precept")
}

fn wants(params: &CodeActionParams, kind: &CodeActionKind) -> bool {
    match &params.context.only {
        None => true,
        Some(only) => only.iter().any(|o| {
            kind.as_str() == o.as_str() || kind.as_str().starts_with(&format!("{}.", o.as_str()))
        }),
    }
}

fn overlaps(a: &Range, b: &Range) -> bool {
    let before = |p: &Position, q: &Position| (p.line, p.character) < (q.line, q.character);
    !(before(&a.end, &b.start) || before(&b.end, &a.start))
}

pub async fn code_actions(
    params: &CodeActionParams,
    result: &DocResult,
    ctx: Option<&FileContext>,
    encoding: Encoding,
) -> CodeActionResponse {
    let uri = &params.text_document.uri;
    let snapshot = Snapshot {
        text: &result.text,
        index: &result.index,
        encoding,
    };
    let mut actions = Vec::new();
    if wants(params, &CodeActionKind::QUICKFIX) {
        for (finding, diagnostic) in result.findings.iter().zip(&result.diagnostics) {
            if !overlaps(&diagnostic.range, &params.range) {
                continue;
            }
            if let Some(fix) = &finding.fix {
                let edits: Vec<TextEdit> =
                    fix.edits.iter().map(|e| snapshot.text_edit(e)).collect();
                actions.push(CodeActionOrCommand::CodeAction(CodeAction {
                    title: fix.title.clone(),
                    kind: Some(CodeActionKind::QUICKFIX),
                    diagnostics: Some(vec![diagnostic.clone()]),
                    edit: Some(workspace_edit(uri, edits)),
                    is_preferred: Some(fix.applicability == Applicability::Safe),
                    ..CodeAction::default()
                }));
            }
            if let Some(edit) = suppression_edit(&snapshot, finding) {
                actions.push(CodeActionOrCommand::CodeAction(CodeAction {
                    title: format!("Suppress `{}` on this line", finding.rule),
                    kind: Some(CodeActionKind::QUICKFIX),
                    diagnostics: Some(vec![diagnostic.clone()]),
                    edit: Some(workspace_edit(uri, vec![edit])),
                    is_preferred: Some(false),
                    ..CodeAction::default()
                }));
            }
        }
    }
    let kind = fix_all_kind();
    if wants(params, &kind)
        && result.findings.iter().any(|f| {
            f.fix
                .as_ref()
                .is_some_and(|x| x.applicability == Applicability::Safe)
        })
    {
        if let Some(edit) = fix_all(result, ctx, encoding).await {
            actions.push(CodeActionOrCommand::CodeAction(CodeAction {
                title: "Fix all safe precept findings".to_owned(),
                kind: Some(kind),
                edit: Some(workspace_edit(uri, vec![edit])),
                ..CodeAction::default()
            }));
        }
    }
    actions
}

fn workspace_edit(uri: &tower_lsp_server::ls_types::Uri, edits: Vec<TextEdit>) -> WorkspaceEdit {
    let mut changes = HashMap::new();
    changes.insert(uri.clone(), edits);
    WorkspaceEdit {
        changes: Some(changes),
        ..WorkspaceEdit::default()
    }
}

/// Insert `// precept:allow(<rule>): ` above the finding's first line, indented like
/// it. The reason is left for the user to write.
fn suppression_edit(snapshot: &Snapshot<'_>, finding: &Finding) -> Option<TextEdit> {
    if registry::meta(&finding.rule)
        .is_some_and(|m| m.category == precept_rules::Category::Suppression)
    {
        return None;
    }
    let line = snapshot.index.line_of(finding.range.start);
    let line_range = snapshot.index.line_range(snapshot.text, line);
    let line_text = &snapshot.text[line_range.clone()];
    let indent: String = line_text
        .chars()
        .take_while(|c| *c == ' ' || *c == '\t')
        .collect();
    let newline = if snapshot.text[line_range.end..].starts_with("\r\n") {
        "\r\n"
    } else {
        "\n"
    };
    let at = snapshot.position(line_range.start);
    Some(TextEdit {
        range: Range { start: at, end: at },
        new_text: format!("{indent}// precept:allow({}): {newline}", finding.rule),
    })
}

/// Apply every safe fix, round by round, and return one edit covering the change.
async fn fix_all(
    result: &DocResult,
    ctx: Option<&FileContext>,
    encoding: Encoding,
) -> Option<TextEdit> {
    let ctx = ctx.cloned()?;
    let original = result.text.to_string();
    let first = result.findings.clone();
    let text = tokio::task::spawn_blocking(move || {
        precept_rules::analysis::with_stack(move || {
            let mut analyzer = Analyzer::new();
            let mut text = original;
            let mut findings = first;
            for _ in 0..MAX_ROUNDS {
                let applied = apply_fixes(&text, &findings, Applicability::Safe);
                if applied.fixed == 0 || applied.text == text {
                    break;
                }
                text = applied.text;
                findings = analyzer.analyze(&text, &ctx).findings;
            }
            text
        })
    })
    .await
    .ok()
    .flatten()?;
    minimal_edit(&result.text, &text, result, encoding)
}

/// One edit replacing only the part of `old` that differs from `new`.
fn minimal_edit(old: &str, new: &str, result: &DocResult, encoding: Encoding) -> Option<TextEdit> {
    if old == new {
        return None;
    }
    let mut prefix = old
        .bytes()
        .zip(new.bytes())
        .take_while(|(a, b)| a == b)
        .count();
    while !old.is_char_boundary(prefix) || !new.is_char_boundary(prefix) {
        prefix -= 1;
    }
    let max_suffix = old.len().min(new.len()) - prefix;
    let mut suffix = old
        .bytes()
        .rev()
        .zip(new.bytes().rev())
        .take(max_suffix)
        .take_while(|(a, b)| a == b)
        .count();
    while !old.is_char_boundary(old.len() - suffix) || !new.is_char_boundary(new.len() - suffix) {
        suffix -= 1;
    }
    let snapshot = Snapshot {
        text: old,
        index: &result.index,
        encoding,
    };
    Some(TextEdit {
        range: snapshot.range(&(prefix..old.len() - suffix)),
        new_text: new[prefix..new.len() - suffix].to_owned(),
    })
}

/// Markdown for the findings under the cursor: what is wrong, the standard, how to
/// fix it, and a link to the rule's page.
pub fn hover(
    result: &DocResult,
    pos: Position,
    encoding: Encoding,
    docs_url: Option<&str>,
) -> Option<Hover> {
    let snapshot = Snapshot {
        text: &result.text,
        index: &result.index,
        encoding,
    };
    let offset = snapshot.offset(pos);
    let hits: Vec<&Finding> = result
        .findings
        .iter()
        .filter(|f| f.range.start <= offset && offset <= f.range.end)
        .collect();
    let first = hits.first()?;
    let mut md = String::new();
    for f in &hits {
        let Some(meta) = registry::meta(&f.rule) else {
            continue;
        };
        if !md.is_empty() {
            md.push_str("\n\n---\n\n");
        }
        md.push_str(&format!(
            "**precept: `{}`** ({})\n\n{}\n\n",
            meta.id, f.level, f.message
        ));
        md.push_str(&format!("**Standard:** {}\n\n", meta.standard));
        let docs = meta.docs();
        if let Some(why) = section(&docs, "## Why is this bad?") {
            md.push_str(&format!("**Why:** {why}\n\n"));
        }
        if let Some(fix) = &f.fix {
            let safety = match fix.applicability {
                Applicability::Safe => "safe",
                Applicability::Unsafe => "unsafe: review the change",
                Applicability::DisplayOnly => "suggestion",
            };
            md.push_str(&format!("**Fix:** {} ({safety})\n\n", fix.title));
        }
        md.push_str(&format!(
            "[Rule documentation]({})",
            meta.docs_url(docs_url)
        ));
    }
    Some(Hover {
        contents: HoverContents::Markup(MarkupContent {
            kind: MarkupKind::Markdown,
            value: md,
        }),
        range: Some(snapshot.range(&first.range)),
    })
}

/// The first paragraph of a documentation section.
fn section(docs: &str, heading: &str) -> Option<String> {
    let start = docs.find(heading)? + heading.len();
    let rest = docs[start..].trim_start();
    let end = rest.find("\n\n").unwrap_or(rest.len());
    Some(rest[..end].replace('\n', " "))
}
