//! `--format sarif`: a SARIF 2.1.0 log for code-scanning services (GitHub code
//! scanning accepts it as uploaded).
//!
//! One run whose `tool.driver.rules` lists every registered rule, so a viewer
//! can describe rules that did not fire too, and whose columns are counted in
//! Unicode code points like every other precept position. Unlike the other
//! formats, suppressed findings are included, marked with an in-source
//! suppression: code scanning then shows them as dismissed instead of silently
//! forgetting them. Each result carries a fingerprint that survives lines
//! moving, so an alert is not closed and reopened whenever code above it
//! changes.

use std::collections::{BTreeMap, HashMap};

use precept_rules::source::LineIndex;
use precept_rules::{registry, Finding, Fix, Level, RuleMeta};
use serde::Serialize;

use super::{snap_range, span_positions, FileReport, RenderOptions};

const SCHEMA: &str = "https://json.schemastore.org/sarif-2.1.0.json";
const INFORMATION_URI: &str = "https://github.com/precept-dev/precept";
/// Key of the fingerprint in `partialFingerprints`. Bump the version whenever
/// the hashed input changes, so consumers do not match old and new values.
const FINGERPRINT_KEY: &str = "preceptFingerprint/v1";

#[derive(Serialize)]
struct Log<'a> {
    #[serde(rename = "$schema")]
    schema: &'static str,
    version: &'static str,
    runs: [Run<'a>; 1],
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Run<'a> {
    tool: Tool,
    column_kind: &'static str,
    results: Vec<SarifResult<'a>>,
}

#[derive(Serialize)]
struct Tool {
    driver: Driver,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Driver {
    name: &'static str,
    information_uri: &'static str,
    version: &'static str,
    rules: Vec<Descriptor>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Descriptor {
    id: &'static str,
    short_description: Text<'static>,
    full_description: Text<'static>,
    help_uri: String,
    default_configuration: Configuration,
}

#[derive(Serialize)]
struct Configuration {
    level: &'static str,
}

#[derive(Serialize)]
struct Text<'a> {
    text: &'a str,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct SarifResult<'a> {
    rule_id: &'a str,
    /// Absent for a rule the registry does not know (a finding from a newer
    /// cache, say): a wrong index would be worse than none.
    #[serde(skip_serializing_if = "Option::is_none")]
    rule_index: Option<usize>,
    level: &'static str,
    message: Text<'a>,
    locations: [Location; 1],
    partial_fingerprints: BTreeMap<&'static str, String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    suppressions: Vec<Suppression>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    fixes: Vec<SarifFix<'a>>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Location {
    physical_location: PhysicalLocation,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct PhysicalLocation {
    artifact_location: ArtifactLocation,
    region: Region,
}

#[derive(Clone, Serialize)]
struct ArtifactLocation {
    uri: String,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Region {
    start_line: usize,
    start_column: usize,
    end_line: usize,
    end_column: usize,
}

#[derive(Serialize)]
struct Suppression {
    kind: &'static str,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct SarifFix<'a> {
    description: Text<'a>,
    artifact_changes: [ArtifactChange<'a>; 1],
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ArtifactChange<'a> {
    artifact_location: ArtifactLocation,
    replacements: Vec<Replacement<'a>>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Replacement<'a> {
    deleted_region: Region,
    inserted_content: Text<'a>,
}

/// The SARIF log for all registered rules, pretty-printed, with a trailing newline.
pub fn render(reports: &[FileReport], opts: &RenderOptions) -> String {
    let rules: Vec<&'static RuleMeta> = registry::all().iter().map(|rule| rule.meta()).collect();
    to_json(&log(reports, opts, &rules))
}

fn to_json(log: &Log<'_>) -> String {
    let mut out = match serde_json::to_string_pretty(log) {
        Ok(json) => json,
        // Serializing plain structs of strings and numbers cannot fail; should it
        // ever, an empty object at least fails the upload loudly, and the log says
        // why.
        Err(error) => {
            tracing::error!(%error, "could not serialize findings as SARIF");
            "{}".to_owned()
        }
    };
    out.push('\n');
    out
}

/// The log over an explicit rule list, so tests do not depend on which rules
/// happen to be registered.
fn log<'a>(
    reports: &'a [FileReport],
    opts: &RenderOptions,
    rules: &[&'static RuleMeta],
) -> Log<'a> {
    let rule_index: HashMap<&str, usize> = rules
        .iter()
        .enumerate()
        .map(|(i, meta)| (meta.id, i))
        .collect();
    let descriptors = rules
        .iter()
        .map(|meta| Descriptor {
            id: meta.id,
            short_description: Text { text: meta.summary },
            full_description: Text {
                text: meta.standard,
            },
            help_uri: meta.docs_url(opts.docs_url.as_deref()),
            default_configuration: Configuration {
                level: level(meta.default_level),
            },
        })
        .collect();

    let mut results = Vec::new();
    for report in reports {
        if report.findings.is_empty() {
            continue;
        }
        let text: &str = &report.text;
        let index = LineIndex::new(text);
        let uri = ArtifactLocation {
            uri: encode_uri_path(&report.path),
        };
        let mut occurrences: HashMap<(&str, String), usize> = HashMap::new();
        for finding in &report.findings {
            let flagged = normalized_snippet(text, finding);
            let occurrence = occurrences
                .entry((finding.rule.as_str(), flagged.clone()))
                .or_insert(0);
            let fingerprint = fingerprint(&finding.rule, &report.path, &flagged, *occurrence);
            *occurrence += 1;

            results.push(SarifResult {
                rule_id: &finding.rule,
                rule_index: rule_index.get(finding.rule.as_str()).copied(),
                level: level(finding.level),
                message: Text {
                    text: &finding.message,
                },
                locations: [Location {
                    physical_location: PhysicalLocation {
                        artifact_location: uri.clone(),
                        region: region(text, &index, finding),
                    },
                }],
                partial_fingerprints: BTreeMap::from([(FINGERPRINT_KEY, fingerprint)]),
                suppressions: if finding.baselined {
                    // Recorded in a baseline file, outside the source.
                    vec![Suppression { kind: "external" }]
                } else if finding.suppressed {
                    vec![Suppression { kind: "inSource" }]
                } else {
                    Vec::new()
                },
                fixes: finding
                    .fix
                    .iter()
                    .map(|fix| sarif_fix(text, &index, &uri, fix))
                    .collect(),
            });
        }
    }

    Log {
        schema: SCHEMA,
        version: "2.1.0",
        runs: [Run {
            tool: Tool {
                driver: Driver {
                    name: "precept",
                    information_uri: INFORMATION_URI,
                    version: env!("CARGO_PKG_VERSION"),
                    rules: descriptors,
                },
            },
            column_kind: "unicodeCodePoints",
            results,
        }],
    }
}

/// SARIF has no `info` or `hint`; `note` is its level for "worth knowing".
fn level(level: Level) -> &'static str {
    match level {
        Level::Error => "error",
        Level::Warning => "warning",
        Level::Info | Level::Hint => "note",
    }
}

fn region(text: &str, index: &LineIndex, finding: &Finding) -> Region {
    range_region(text, index, &finding.range)
}

fn range_region(text: &str, index: &LineIndex, range: &std::ops::Range<usize>) -> Region {
    // SARIF's end column is the column just past the region, which is exactly
    // the position of the exclusive end offset.
    let (start, end) = span_positions(text, index, range);
    Region {
        start_line: start.line,
        start_column: start.column,
        end_line: end.line,
        end_column: end.column,
    }
}

fn sarif_fix<'a>(
    text: &str,
    index: &LineIndex,
    uri: &ArtifactLocation,
    fix: &'a Fix,
) -> SarifFix<'a> {
    SarifFix {
        description: Text { text: &fix.title },
        artifact_changes: [ArtifactChange {
            artifact_location: uri.clone(),
            replacements: fix
                .edits
                .iter()
                .map(|edit| Replacement {
                    deleted_region: range_region(text, index, &edit.range),
                    inserted_content: Text { text: &edit.text },
                })
                .collect(),
        }],
    }
}

/// The flagged text as the baseline sees it (whitespace collapsed), so that
/// re-indenting, re-wrapping or a CRLF conversion does not change fingerprints.
fn normalized_snippet(text: &str, finding: &Finding) -> String {
    precept_rules::baseline::normalized_snippet(text, &snap_range(text, &finding.range))
}

/// Hex digest of (rule, path, normalized flagged text, occurrence index).
///
/// Line numbers are deliberately left out, so the value survives code moving
/// up or down; the occurrence index tells apart identical snippets in one file.
/// Each part is length-prefixed so that different splits of the same bytes
/// cannot collide.
fn fingerprint(rule: &str, path: &str, flagged: &str, occurrence: usize) -> String {
    let mut bytes = Vec::with_capacity(rule.len() + path.len() + flagged.len() + 32);
    for part in [rule, path, flagged] {
        bytes.extend_from_slice(&(part.len() as u64).to_le_bytes());
        bytes.extend_from_slice(part.as_bytes());
    }
    bytes.extend_from_slice(&(occurrence as u64).to_le_bytes());
    format!("{:016x}", xxhash_rust::xxh3::xxh3_64(&bytes))
}

/// A relative path as a URI reference: characters outside the unreserved set
/// and `/` are percent-encoded. Spaces and non-ASCII would make the URI
/// invalid, and a `:` in the first segment would be read as a scheme.
fn encode_uri_path(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    for byte in path.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'.' | b'_' | b'~' | b'/') {
            out.push(char::from(byte));
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // A failed unwrap is a failed test.
mod tests {
    use std::sync::Arc;

    use precept_rules::{Category, FixAvailability};
    use serde_json::Value;

    use super::super::test_support::*;
    use super::*;

    const fn meta(id: &'static str, default_level: Level) -> RuleMeta {
        RuleMeta {
            id,
            category: Category::Reliability,
            default_level,
            standard: "Standard text for the rule.",
            summary: "Summary of the rule",
            fix: FixAvailability::Sometimes,
            clippy_lints: &[],
            source: "",
        }
    }

    static UNWRAP: RuleMeta = meta("unwrap-in-boundary", Level::Warning);
    static TIMEOUT: RuleMeta = meta("missing-timeout", Level::Error);
    static SQL: RuleMeta = meta("sql-injection", Level::Info);

    /// The log over fixed rules, as text with the tool version blanked so the
    /// snapshot does not change with every release.
    fn sample_text(reports: &[FileReport]) -> String {
        let rules: [&'static RuleMeta; 3] = [&UNWRAP, &TIMEOUT, &SQL];
        to_json(&log(reports, &RenderOptions::default(), &rules)).replace(
            concat!("\"version\": \"", env!("CARGO_PKG_VERSION"), "\""),
            "\"version\": \"[version]\"",
        )
    }

    fn sample(reports: &[FileReport]) -> Value {
        serde_json::from_str(&sample_text(reports)).unwrap()
    }

    #[test]
    fn snapshot() {
        insta::assert_snapshot!(sample_text(&all()));
    }

    #[test]
    fn required_keys_and_one_based_regions() {
        let log = sample(&all());
        assert_eq!(log["version"], "2.1.0");
        assert_eq!(log["$schema"], SCHEMA);
        let run = &log["runs"][0];
        assert_eq!(run["columnKind"], "unicodeCodePoints");
        assert_eq!(run["tool"]["driver"]["name"], "precept");
        let rules = run["tool"]["driver"]["rules"].as_array().unwrap();
        for rule in rules {
            for key in ["id", "shortDescription", "fullDescription", "helpUri"] {
                assert!(rule.get(key).is_some(), "rule without {key}: {rule}");
            }
            let level = rule["defaultConfiguration"]["level"].as_str().unwrap();
            assert!(["error", "warning", "note"].contains(&level));
        }
        let results = run["results"].as_array().unwrap();
        // Suppressed findings are included: 3 + 2 + 1.
        assert_eq!(results.len(), 6);
        for result in results {
            assert!(result["message"]["text"].is_string());
            assert!(["error", "warning", "note"].contains(&result["level"].as_str().unwrap()));
            if let Some(index) = result.get("ruleIndex") {
                let index = usize::try_from(index.as_u64().unwrap()).unwrap();
                assert_eq!(rules[index]["id"], result["ruleId"]);
            }
            let region = &result["locations"][0]["physicalLocation"]["region"];
            let num = |key: &str| region[key].as_u64().unwrap();
            assert!(num("startLine") >= 1 && num("startColumn") >= 1);
            assert!(num("endLine") >= num("startLine"));
            if num("endLine") == num("startLine") {
                assert!(num("endColumn") >= num("startColumn"));
            }
            let fingerprint = result["partialFingerprints"][FINGERPRINT_KEY]
                .as_str()
                .unwrap();
            assert_eq!(fingerprint.len(), 16);
        }
        let suppressed: Vec<&Value> = results
            .iter()
            .filter(|r| r.get("suppressions").is_some())
            .collect();
        assert_eq!(suppressed.len(), 2);
        for result in suppressed {
            assert_eq!(
                result["suppressions"],
                serde_json::json!([{"kind": "inSource"}])
            );
        }
    }

    #[test]
    fn every_registered_rule_is_described() {
        let log: Value = serde_json::from_str(&render(&all(), &RenderOptions::default())).unwrap();
        let driver = &log["runs"][0]["tool"]["driver"];
        assert_eq!(driver["version"], env!("CARGO_PKG_VERSION"));
        let ids: Vec<&str> = driver["rules"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["id"].as_str().unwrap())
            .collect();
        let registered: Vec<&str> = registry::all().iter().map(|r| r.meta().id).collect();
        assert_eq!(ids, registered);
    }

    #[test]
    fn fingerprints_survive_line_shifts() {
        let fingerprints = |text: &str| -> Vec<String> {
            let findings = text
                .match_indices("x.unwrap()")
                .map(|(i, s)| finding("unwrap-in-boundary", Level::Warning, "m", i..i + s.len()))
                .collect();
            let report = FileReport {
                path: "src/a.rs".to_owned(),
                text: Arc::from(text),
                findings,
            };
            sample(&[report])["runs"][0]["results"]
                .as_array()
                .unwrap()
                .iter()
                .map(|r| r["partialFingerprints"][FINGERPRINT_KEY].to_string())
                .collect()
        };
        let before = fingerprints("fn f() {\n    x.unwrap();\n    x.unwrap();\n}\n");
        let after = fingerprints("// new\n\nfn f() {\n        x.unwrap();\r\n  x.unwrap();\n}\n");
        assert_eq!(before, after);
        // Identical snippets in one file still get distinct fingerprints.
        assert_ne!(before[0], before[1]);
    }

    #[test]
    fn uris_are_percent_encoded() {
        assert_eq!(encode_uri_path("src/a_b-c.rs"), "src/a_b-c.rs");
        assert_eq!(
            encode_uri_path("src/with space, colon:é.rs"),
            "src/with%20space%2C%20colon%3A%C3%A9.rs"
        );
    }
}
