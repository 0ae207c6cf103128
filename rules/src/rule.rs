//! The vocabulary every rule speaks: levels, findings, fixes and rule metadata.
//!
//! Everything here is plain data with byte offsets into the analysed text. Turning
//! offsets into lines, columns or editor positions is the front ends' business.

use std::fmt;
use std::ops::Range;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// How serious a finding is. Ordered from least to most severe.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    Hint,
    Info,
    Warning,
    Error,
}

impl Level {
    pub const ALL: [Level; 4] = [Level::Hint, Level::Info, Level::Warning, Level::Error];

    pub fn as_str(self) -> &'static str {
        match self {
            Level::Hint => "hint",
            Level::Info => "info",
            Level::Warning => "warning",
            Level::Error => "error",
        }
    }
}

impl fmt::Display for Level {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The error returned when a level name is not one of the known ones.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown level `{0}` (expected one of: hint, info, warning, error)")]
pub struct UnknownLevel(pub String);

impl FromStr for Level {
    type Err = UnknownLevel;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "hint" => Ok(Level::Hint),
            "info" => Ok(Level::Info),
            "warning" | "warn" => Ok(Level::Warning),
            "error" | "deny" => Ok(Level::Error),
            other => Err(UnknownLevel(other.to_owned())),
        }
    }
}

/// A level as configured: a rule can also be switched off.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Severity {
    Off,
    On(Level),
}

impl FromStr for Severity {
    type Err = UnknownLevel;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "off" | "allow" => Ok(Severity::Off),
            other => other
                .parse()
                .map(Severity::On)
                .map_err(|_| UnknownLevel(other.to_owned())),
        }
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Severity::Off => f.write_str("off"),
            Severity::On(level) => level.fmt(f),
        }
    }
}

/// Whether a fix may be applied without a human looking at it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Applicability {
    /// May not compile as written; shown as a suggestion only.
    DisplayOnly,
    /// Compiles, but may change behaviour; offered, applied only on request.
    Unsafe,
    /// Preserves meaning; applied by `--fix` and by fix-all in the editor.
    Safe,
}

impl Applicability {
    pub fn as_str(self) -> &'static str {
        match self {
            Applicability::DisplayOnly => "display-only",
            Applicability::Unsafe => "unsafe",
            Applicability::Safe => "safe",
        }
    }
}

/// One text replacement. `range` is a byte range of the analysed text.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Edit {
    pub range: Range<usize>,
    pub text: String,
}

impl Edit {
    pub fn replace(range: Range<usize>, text: impl Into<String>) -> Self {
        Edit {
            range,
            text: text.into(),
        }
    }

    pub fn insert(at: usize, text: impl Into<String>) -> Self {
        Edit {
            range: at..at,
            text: text.into(),
        }
    }

    pub fn delete(range: Range<usize>) -> Self {
        Edit {
            range,
            text: String::new(),
        }
    }
}

/// A set of edits that together resolve a finding.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Fix {
    /// Imperative title, e.g. "Add a 30 s timeout".
    pub title: String,
    pub applicability: Applicability,
    /// Non-overlapping edits, sorted by start offset.
    pub edits: Vec<Edit>,
}

impl Fix {
    pub fn new(
        title: impl Into<String>,
        applicability: Applicability,
        mut edits: Vec<Edit>,
    ) -> Self {
        edits.sort_by_key(|e| (e.range.start, e.range.end));
        Fix {
            title: title.into(),
            applicability,
            edits,
        }
    }

    pub(crate) fn shifted(mut self, by: usize) -> Self {
        for edit in &mut self.edits {
            edit.range = edit.range.start + by..edit.range.end + by;
        }
        self
    }
}

/// Rule categories, as in the catalog.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Category {
    Reliability,
    Security,
    Observability,
    Correctness,
    Maintainability,
    Suppression,
}

impl Category {
    pub fn as_str(self) -> &'static str {
        match self {
            Category::Reliability => "reliability",
            Category::Security => "security",
            Category::Observability => "observability",
            Category::Correctness => "correctness",
            Category::Maintainability => "maintainability",
            Category::Suppression => "suppression",
        }
    }
}

/// What kind of fix a rule can offer, for `precept rules`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum FixAvailability {
    None,
    Sometimes,
    Always,
}

/// Static description of a rule.
#[derive(Debug)]
pub struct RuleMeta {
    /// Kebab-case id, never reused.
    pub id: &'static str,
    pub category: Category,
    pub default_level: Level,
    /// The standard the rule enforces, in one line.
    pub standard: &'static str,
    /// One-line summary used in listings and SARIF.
    pub summary: &'static str,
    pub fix: FixAvailability,
    /// Clippy lints that cover the same ground; `#[allow(clippy::x)]` silences the rule.
    pub clippy_lints: &'static [&'static str],
    /// The rule's own source file. Its leading `//!` comment is the user
    /// documentation (see [`RuleMeta::docs`]), so the docs cannot drift from the code.
    pub source: &'static str,
}

impl RuleMeta {
    /// The user documentation, as markdown: the rule file's leading `//!` comment.
    pub fn docs(&self) -> String {
        let mut out = String::new();
        for line in self.source.lines() {
            let Some(rest) = line.strip_prefix("//!") else {
                break;
            };
            out.push_str(rest.strip_prefix(' ').unwrap_or(rest));
            out.push('\n');
        }
        out.trim().to_owned()
    }

    /// Link to the rule's documentation page.
    pub fn docs_url(&self, base: Option<&str>) -> String {
        let base = base.unwrap_or(DEFAULT_DOCS_URL);
        let sep = if base.ends_with('/') { "" } else { "/" };
        format!("{base}{sep}{}.md", self.id)
    }
}

/// Where rule pages are published unless the configuration says otherwise.
pub const DEFAULT_DOCS_URL: &str = "https://github.com/precept-dev/precept/blob/main/docs/rules/";

/// A finding as a rule reports it, before levels and suppressions are applied.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Finding {
    pub rule: String,
    pub level: Level,
    pub message: String,
    /// Byte range of the analysed text that the finding covers.
    pub range: Range<usize>,
    pub fix: Option<Fix>,
    /// Set when a `precept:allow` comment silenced the finding. Silenced findings are
    /// kept so that SARIF can list them and so that unused suppressions can be found.
    pub suppressed: bool,
    /// Marks findings about code that does nothing (unused suppressions,
    /// commented-out code); editors grey it out.
    pub unnecessary: bool,
    /// Set (with `suppressed`) when the configured baseline records the finding.
    #[serde(default)]
    pub baselined: bool,
}

impl Finding {
    pub(crate) fn shifted(mut self, by: usize) -> Self {
        self.range = self.range.start + by..self.range.end + by;
        self.fix = self.fix.map(|f| f.shifted(by));
        self
    }
}
