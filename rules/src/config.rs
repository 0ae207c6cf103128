//! The configuration model: what `precept.toml` (or the `[package.metadata.precept]` /
//! `[workspace.metadata.precept]` table of a Cargo.toml) says, validated, with the
//! place every value came from.
//!
//! The nearest configuration wins whole: [`discover`] walks up from a file and the
//! first directory holding a `precept.toml`, or a Cargo.toml with precept metadata,
//! provides everything; nothing is merged across files. Paths and globs in a config
//! are relative to the directory of the file that holds it ([`Config::dir`]).
//!
//! Parsing goes through toml's spanned document model so that every error names the
//! file, the line and column, and the problem — the language server shows these as
//! diagnostics in the config file itself, and the CLI prints them before exiting 2.

use std::collections::{BTreeMap, HashMap};
use std::fmt::{self, Write as _};
use std::io;
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};

use globset::{GlobBuilder, GlobSet, GlobSetBuilder};
use toml::de::{DeTable, DeValue};
use toml::Spanned;

use crate::project::{normalize_path, relative_slash_path};
use crate::rule::{Level, Severity};

/// Files larger than this many bytes are skipped unless the config says otherwise.
pub const DEFAULT_MAX_FILE_SIZE: u64 = 2_000_000;

/// The level at which `precept check` exits 1 unless configured.
pub const DEFAULT_FAIL_LEVEL: Level = Level::Warning;

/// The name of the dedicated config file.
pub const PRECEPT_TOML: &str = "precept.toml";

/// Where the Cargo.toml tables live, in order of preference.
pub const PACKAGE_TABLE: &str = "package.metadata.precept";
pub const WORKSPACE_TABLE: &str = "workspace.metadata.precept";

/// The file a configuration was read from.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum ConfigSource {
    /// No config file was found; built-in defaults.
    Default,
    /// A `precept.toml` found by discovery.
    PreceptToml(PathBuf),
    /// The precept table of a Cargo.toml; `table` is [`PACKAGE_TABLE`] or
    /// [`WORKSPACE_TABLE`].
    CargoMetadata { path: PathBuf, table: &'static str },
    /// A file named with `--config`, replacing discovery.
    Explicit(PathBuf),
}

impl ConfigSource {
    /// The file behind the config, if any.
    pub fn path(&self) -> Option<&Path> {
        match self {
            ConfigSource::Default => None,
            ConfigSource::PreceptToml(path) | ConfigSource::Explicit(path) => Some(path),
            ConfigSource::CargoMetadata { path, .. } => Some(path),
        }
    }
}

impl fmt::Display for ConfigSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ConfigSource::Default => f.write_str("built-in defaults (no config file found)"),
            ConfigSource::PreceptToml(path) => write!(f, "{}", path.display()),
            ConfigSource::CargoMetadata { path, table } => {
                write!(f, "{} [{table}]", path.display())
            }
            ConfigSource::Explicit(path) => write!(f, "{} (given with --config)", path.display()),
        }
    }
}

/// The SQL dialect rules assume when they look inside query strings.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum SqlDialect {
    Postgres,
    MySql,
    Sqlite,
}

impl SqlDialect {
    pub fn as_str(self) -> &'static str {
        match self {
            SqlDialect::Postgres => "postgres",
            SqlDialect::MySql => "mysql",
            SqlDialect::Sqlite => "sqlite",
        }
    }

    fn parse(name: &str) -> Option<SqlDialect> {
        match name {
            "postgres" => Some(SqlDialect::Postgres),
            "mysql" => Some(SqlDialect::MySql),
            "sqlite" => Some(SqlDialect::Sqlite),
            _ => None,
        }
    }
}

impl fmt::Display for SqlDialect {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What the config says about one rule: a level, options, or both.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct RuleConfig {
    /// `None` when only options were given (`[rules.x]` without `level`).
    pub severity: Option<Severity>,
    /// Every key of the rule's table except `level`, unvalidated: each rule reads its
    /// own options and decides what to do with unexpected ones.
    pub options: toml::Table,
}

/// A list of glob patterns relative to the config's directory, compiled once.
///
/// Matching follows .gitignore habits: a pattern without `/` matches a name at any
/// depth (`*.generated.rs`), a leading `/` anchors it to the config directory, and a
/// pattern that matches a directory also matches everything below it (`demo` and
/// `demo/**` both exclude `demo/src/main.rs`). `*` does not cross `/`; `**` does.
#[derive(Clone, Debug)]
pub struct GlobList {
    patterns: Vec<String>,
    set: GlobSet,
}

impl GlobList {
    /// Compiles the patterns; the error names the first bad pattern's index.
    pub fn new<S: AsRef<str>>(patterns: &[S]) -> Result<GlobList, (usize, globset::Error)> {
        let mut builder = GlobSetBuilder::new();
        for (i, pattern) in patterns.iter().enumerate() {
            for glob in compile_glob(pattern.as_ref()).map_err(|e| (i, e))? {
                builder.add(glob);
            }
        }
        let set = builder.build().map_err(|e| (0, e))?;
        Ok(GlobList {
            patterns: patterns.iter().map(|p| p.as_ref().to_owned()).collect(),
            set,
        })
    }

    pub fn empty() -> GlobList {
        GlobList {
            patterns: Vec::new(),
            set: GlobSet::empty(),
        }
    }

    /// The patterns as written.
    pub fn patterns(&self) -> &[String] {
        &self.patterns
    }

    pub fn is_empty(&self) -> bool {
        self.patterns.is_empty()
    }

    /// Whether a `/`-separated path relative to the config directory, or one of its
    /// ancestor directories, matches.
    pub fn matches_relative(&self, rel: &str) -> bool {
        if self.patterns.is_empty() || rel.is_empty() {
            return false;
        }
        if self.set.is_match(rel) {
            return true;
        }
        rel.match_indices('/')
            .any(|(i, _)| self.set.is_match(&rel[..i]))
    }
}

impl PartialEq for GlobList {
    fn eq(&self, other: &Self) -> bool {
        self.patterns == other.patterns
    }
}

/// The globs a pattern stands for (see [`GlobList`]): a pattern ending in `/**` also
/// matches the directory itself, so walkers can skip the whole directory.
fn compile_glob(pattern: &str) -> Result<Vec<globset::Glob>, globset::Error> {
    let trimmed = pattern.strip_prefix("./").unwrap_or(pattern);
    let trimmed = trimmed.strip_suffix('/').unwrap_or(trimmed);
    let anchored = if let Some(rest) = trimmed.strip_prefix('/') {
        rest.to_owned()
    } else if trimmed.contains('/') {
        trimmed.to_owned()
    } else {
        format!("**/{trimmed}")
    };
    let build = |glob: &str| GlobBuilder::new(glob).literal_separator(true).build();
    let mut globs = vec![build(&anchored)?];
    if let Some(dir) = anchored.strip_suffix("/**").filter(|d| !d.is_empty()) {
        globs.push(build(dir)?);
    }
    Ok(globs)
}

/// One `[[overrides]]` entry: rule settings for the files its globs match.
#[derive(Clone, Debug, PartialEq)]
pub struct Override {
    pub files: GlobList,
    pub rules: BTreeMap<String, RuleConfig>,
    /// 1-based line of the entry in the config file (0 for overrides not from a file).
    pub line: usize,
}

/// Lines where values were set, for [`Config::describe`].
#[derive(Clone, Debug, Default, PartialEq)]
struct Origins {
    keys: BTreeMap<&'static str, usize>,
    rules: BTreeMap<String, usize>,
}

/// A resolved configuration. Cheap to share behind an `Arc`; build one with
/// [`Config::default_for`], the `parse_*` functions or [`discover`].
#[derive(Clone, Debug, PartialEq)]
pub struct Config {
    /// The directory the config applies from: globs and paths are relative to it.
    /// Always absolute and normalised.
    pub dir: PathBuf,
    pub source: ConfigSource,
    pub fail_level: Level,
    pub exclude: GlobList,
    pub max_file_size: u64,
    /// As written, relative to `dir`; see [`Config::baseline_path`].
    pub baseline: Option<PathBuf>,
    /// Base URL for rule documentation links; `None` means the published docs.
    pub docs_url: Option<String>,
    pub sql_dialect: Option<SqlDialect>,
    pub rules: BTreeMap<String, RuleConfig>,
    /// In file order; when several match a file, the last one wins.
    pub overrides: Vec<Override>,
    /// Per-rule levels from editor settings; they beat everything in the file.
    editor: BTreeMap<String, Severity>,
    origins: Origins,
}

/// A configuration problem, always located in a file.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{}:{line}:{column}: {message}", path.display())]
pub struct ConfigError {
    pub path: PathBuf,
    /// 1-based.
    pub line: usize,
    /// 1-based, in characters (Unicode scalar values).
    pub column: usize,
    /// Byte range of the offending text in the file (empty for I/O errors), so the
    /// language server can underline it.
    pub span: Range<usize>,
    pub message: String,
}

impl ConfigError {
    fn at(path: &Path, text: &str, span: Range<usize>, message: impl Into<String>) -> ConfigError {
        let (line, column) = line_col(text, span.start);
        ConfigError {
            path: path.to_path_buf(),
            line,
            column,
            span,
            message: message.into(),
        }
    }

    /// An error reading `path`, reported at its first line.
    pub fn io(path: &Path, err: &io::Error) -> ConfigError {
        ConfigError {
            path: path.to_path_buf(),
            line: 1,
            column: 1,
            span: 0..0,
            message: format!("cannot read the file: {err}"),
        }
    }
}

/// 1-based line and column (in characters) of a byte offset. A leading byte order mark
/// does not count as a column; offsets past the end or inside a character clamp.
pub(crate) fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let mut offset = offset.min(text.len());
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    let before = &text[..offset];
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let line = before.bytes().filter(|&b| b == b'\n').count() + 1;
    let mut line_text = &before[line_start..];
    if line_start == 0 {
        line_text = line_text.strip_prefix('\u{feff}').unwrap_or(line_text);
    }
    (line, line_text.chars().count() + 1)
}

/// The keys a config table may hold, for unknown-key suggestions.
const TOP_KEYS: &[&str] = &[
    "fail-level",
    "exclude",
    "max-file-size",
    "baseline",
    "docs-url",
    "sql",
    "rules",
    "overrides",
];
const SQL_KEYS: &[&str] = &["dialect"];
const OVERRIDE_KEYS: &[&str] = &["files", "rules"];

type Entry<'a, 'i> = (
    &'a Spanned<std::borrow::Cow<'i, str>>,
    &'a Spanned<DeValue<'i>>,
);

/// Table entries in file order, whatever the map's own order, so that the first error
/// reported is the first in the file.
fn entries<'a, 'i>(table: &'a DeTable<'i>) -> Vec<Entry<'a, 'i>> {
    let mut all: Vec<Entry<'a, 'i>> = table.iter().collect();
    all.sort_by_key(|(k, _)| k.span().start);
    all
}

/// Parsing state: the file being read and how to validate rule ids.
struct Parser<'a> {
    text: &'a str,
    path: &'a Path,
    known_rule: &'a dyn Fn(&str) -> bool,
}

impl Parser<'_> {
    fn err(&self, span: Range<usize>, message: impl Into<String>) -> ConfigError {
        ConfigError::at(self.path, self.text, span, message)
    }

    fn line(&self, span: &Range<usize>) -> usize {
        line_col(self.text, span.start).0
    }

    fn unknown_key(
        &self,
        key: &Spanned<std::borrow::Cow<'_, str>>,
        known: &[&str],
        within: Option<&str>,
    ) -> ConfigError {
        let name = key.get_ref().as_ref();
        let mut message = format!("unknown key `{name}`");
        if let Some(section) = within {
            let _ = write!(message, " in {section}");
        }
        if let Some(suggestion) = suggest(name, known) {
            let _ = write!(message, " (did you mean `{suggestion}`?)");
        }
        self.err(key.span(), message)
    }

    fn expect_str<'v>(
        &self,
        value: &'v Spanned<DeValue<'_>>,
        what: &str,
    ) -> Result<&'v str, ConfigError> {
        match value.get_ref() {
            DeValue::String(s) => Ok(s.as_ref()),
            other => Err(self.err(
                value.span(),
                format!("{what} must be a string, found {}", other.type_str()),
            )),
        }
    }

    fn expect_table<'v, 'i>(
        &self,
        value: &'v Spanned<DeValue<'i>>,
        what: &str,
    ) -> Result<&'v DeTable<'i>, ConfigError> {
        match value.get_ref() {
            DeValue::Table(t) => Ok(t),
            other => Err(self.err(
                value.span(),
                format!("{what} must be a table, found {}", other.type_str()),
            )),
        }
    }

    /// An array of glob strings, compiled; `what` names the key in messages.
    fn globs(&self, value: &Spanned<DeValue<'_>>, what: &str) -> Result<GlobList, ConfigError> {
        let DeValue::Array(items) = value.get_ref() else {
            return Err(self.err(
                value.span(),
                format!(
                    "`{what}` must be an array of glob strings, found {}",
                    value.get_ref().type_str()
                ),
            ));
        };
        let mut patterns = Vec::with_capacity(items.len());
        for item in items.iter() {
            let pattern = match item.get_ref() {
                DeValue::String(s) => s.as_ref(),
                other => {
                    return Err(self.err(
                        item.span(),
                        format!(
                            "`{what}` must be an array of glob strings, found {} in it",
                            other.type_str()
                        ),
                    ))
                }
            };
            if let Err(e) = compile_glob(pattern) {
                return Err(self.err(
                    item.span(),
                    format!("invalid glob `{pattern}` in `{what}`: {}", e.kind()),
                ));
            }
            patterns.push(pattern.to_owned());
        }
        GlobList::new(&patterns).map_err(|(i, e)| {
            let span = items.get(i).map_or(value.span(), |item| item.span());
            self.err(span, format!("invalid glob in `{what}`: {}", e.kind()))
        })
    }

    /// The `[rules]` table or an override's `rules`; `section` names it in messages.
    fn rules(
        &self,
        table: &DeTable<'_>,
        section: &str,
    ) -> Result<Vec<(String, RuleConfig, usize)>, ConfigError> {
        let mut out = Vec::new();
        for (key, value) in entries(table) {
            let id = key.get_ref().as_ref();
            if !(self.known_rule)(id) {
                let mut message = format!("unknown rule `{id}` in {section}");
                let dashed = id.replace('_', "-").to_ascii_lowercase();
                if dashed != id && (self.known_rule)(&dashed) {
                    let _ = write!(message, " (did you mean `{dashed}`?)");
                }
                return Err(self.err(key.span(), message));
            }
            let rule = self.rule_value(id, value)?;
            out.push((id.to_owned(), rule, self.line(&key.span())));
        }
        Ok(out)
    }

    fn level(&self, id: &str, value: &Spanned<DeValue<'_>>) -> Result<Severity, ConfigError> {
        let DeValue::String(name) = value.get_ref() else {
            return Err(self.err(
                value.span(),
                format!(
                    "the level of rule `{id}` must be a string, found {}",
                    value.get_ref().type_str()
                ),
            ));
        };
        name.parse::<Severity>().map_err(|_| {
            self.err(
                value.span(),
                format!("invalid level `{name}` for rule `{id}` (expected off, hint, info, warning or error)"),
            )
        })
    }

    fn rule_value(
        &self,
        id: &str,
        value: &Spanned<DeValue<'_>>,
    ) -> Result<RuleConfig, ConfigError> {
        match value.get_ref() {
            DeValue::String(_) => Ok(RuleConfig {
                severity: Some(self.level(id, value)?),
                options: toml::Table::new(),
            }),
            DeValue::Table(table) => {
                let mut rule = RuleConfig::default();
                for (key, option) in entries(table) {
                    let name = key.get_ref().as_ref();
                    if name == "level" {
                        rule.severity = Some(self.level(id, option)?);
                    } else {
                        rule.options
                            .insert(name.to_owned(), self.plain_value(option)?);
                    }
                }
                Ok(rule)
            }
            other => Err(self.err(
                value.span(),
                format!(
                    "rule `{id}` must be set to a level string or a table, found {}",
                    other.type_str()
                ),
            )),
        }
    }

    /// Converts a spanned value into an ordinary TOML value for rule options. The toml
    /// parser bounds nesting depth, so this recursion is bounded too.
    fn plain_value(&self, value: &Spanned<DeValue<'_>>) -> Result<toml::Value, ConfigError> {
        Ok(match value.get_ref() {
            DeValue::String(s) => toml::Value::String(s.as_ref().to_owned()),
            DeValue::Integer(i) => {
                match i64::from_str_radix(&i.as_str().replace('_', ""), i.radix()) {
                    Ok(n) => toml::Value::Integer(n),
                    Err(_) => {
                        return Err(self.err(value.span(), format!("integer `{i}` is out of range")))
                    }
                }
            }
            DeValue::Float(f) => match f.as_str().replace('_', "").parse::<f64>() {
                Ok(x) => toml::Value::Float(x),
                Err(_) => return Err(self.err(value.span(), format!("invalid float `{f}`"))),
            },
            DeValue::Boolean(b) => toml::Value::Boolean(*b),
            DeValue::Datetime(d) => toml::Value::Datetime(*d),
            DeValue::Array(items) => toml::Value::Array(
                items
                    .iter()
                    .map(|item| self.plain_value(item))
                    .collect::<Result<_, _>>()?,
            ),
            DeValue::Table(table) => {
                let mut out = toml::Table::new();
                for (key, item) in entries(table) {
                    out.insert(key.get_ref().as_ref().to_owned(), self.plain_value(item)?);
                }
                toml::Value::Table(out)
            }
        })
    }

    /// Reads a whole config table (a precept.toml document or a Cargo.toml metadata
    /// table). `within` names the table in unknown-key messages when it is not the
    /// document itself.
    fn config(
        &self,
        table: &DeTable<'_>,
        dir: PathBuf,
        source: ConfigSource,
        within: Option<&str>,
    ) -> Result<Config, ConfigError> {
        let mut config = Config::default_for(&dir);
        config.source = source;
        for (key, value) in entries(table) {
            let name = key.get_ref().as_ref();
            let line = self.line(&key.span());
            let known: &'static str = match TOP_KEYS.iter().find(|k| **k == name) {
                Some(k) => k,
                None => return Err(self.unknown_key(key, TOP_KEYS, within)),
            };
            match known {
                "fail-level" => {
                    let level = self.expect_str(value, "`fail-level`")?;
                    config.fail_level = level.parse().map_err(|_| {
                        self.err(value.span(), format!("invalid fail-level `{level}` (expected hint, info, warning or error)"))
                    })?;
                }
                "exclude" => config.exclude = self.globs(value, "exclude")?,
                "max-file-size" => {
                    let size = match value.get_ref() {
                        DeValue::Integer(i) => {
                            u64::from_str_radix(&i.as_str().replace('_', ""), i.radix()).ok()
                        }
                        _ => None,
                    };
                    config.max_file_size = size.ok_or_else(|| {
                        self.err(
                            value.span(),
                            "`max-file-size` must be a non-negative integer (a size in bytes)",
                        )
                    })?;
                }
                "baseline" => {
                    config.baseline = Some(PathBuf::from(self.expect_str(value, "`baseline`")?))
                }
                "docs-url" => {
                    config.docs_url = Some(self.expect_str(value, "`docs-url`")?.to_owned())
                }
                "sql" => {
                    let sql = self.expect_table(value, "`sql`")?;
                    for (key, value) in entries(sql) {
                        if key.get_ref().as_ref() != "dialect" {
                            return Err(self.unknown_key(key, SQL_KEYS, Some("[sql]")));
                        }
                        let name = self.expect_str(value, "`sql.dialect`")?;
                        config.sql_dialect = Some(SqlDialect::parse(name).ok_or_else(|| {
                            self.err(value.span(), format!("unknown SQL dialect `{name}` (expected postgres, mysql or sqlite)"))
                        })?);
                        config
                            .origins
                            .keys
                            .insert("sql.dialect", self.line(&key.span()));
                    }
                }
                "rules" => {
                    let rules = self.expect_table(value, "`rules`")?;
                    for (id, rule, line) in self.rules(rules, "[rules]")? {
                        config.origins.rules.insert(id.clone(), line);
                        config.rules.insert(id, rule);
                    }
                }
                "overrides" => config.overrides = self.overrides(value)?,
                _ => {}
            }
            config.origins.keys.insert(known, line);
        }
        Ok(config)
    }

    fn overrides(&self, value: &Spanned<DeValue<'_>>) -> Result<Vec<Override>, ConfigError> {
        let DeValue::Array(items) = value.get_ref() else {
            return Err(self.err(
                value.span(),
                format!(
                    "`overrides` must be an array of tables ([[overrides]]), found {}",
                    value.get_ref().type_str()
                ),
            ));
        };
        let mut out = Vec::with_capacity(items.len());
        for item in items.iter() {
            let table = self.expect_table(item, "each [[overrides]] entry")?;
            let mut files = None;
            let mut rules = BTreeMap::new();
            for (key, value) in entries(table) {
                match key.get_ref().as_ref() {
                    "files" => {
                        let globs = self.globs(value, "files")?;
                        if globs.is_empty() {
                            return Err(self.err(
                                value.span(),
                                "`files` in [[overrides]] must list at least one glob",
                            ));
                        }
                        files = Some(globs);
                    }
                    "rules" => {
                        let table = self.expect_table(value, "`rules` in [[overrides]]")?;
                        rules = self
                            .rules(table, "[[overrides]]")?
                            .into_iter()
                            .map(|(id, rule, _)| (id, rule))
                            .collect();
                    }
                    _ => return Err(self.unknown_key(key, OVERRIDE_KEYS, Some("[[overrides]]"))),
                }
            }
            let Some(files) = files else {
                return Err(self.err(
                    item.span(),
                    "[[overrides]] entry has no `files` (globs of the files it applies to)",
                ));
            };
            out.push(Override {
                files,
                rules,
                line: self.line(&item.span()),
            });
        }
        Ok(out)
    }
}

/// The closest known key: the same words with `-` for `_`, or within two edits.
fn suggest<'k>(name: &str, known: &[&'k str]) -> Option<&'k str> {
    let dashed = name.replace('_', "-").to_ascii_lowercase();
    if let Some(k) = known.iter().find(|k| **k == dashed) {
        return Some(k);
    }
    known
        .iter()
        .map(|k| (edit_distance(&dashed, k), *k))
        .filter(|(d, _)| *d <= 2)
        .min_by_key(|(d, _)| *d)
        .map(|(_, k)| k)
}

/// Levenshtein distance over characters.
fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = Vec::with_capacity(b.len() + 1);
        cur.push(i + 1);
        for (j, cb) in b.iter().enumerate() {
            let substitution = prev[j] + usize::from(ca != *cb);
            cur.push(substitution.min(prev[j + 1] + 1).min(cur[j] + 1));
        }
        prev = cur;
    }
    prev[b.len()]
}

fn parse_document<'t>(text: &'t str, path: &Path) -> Result<DeTable<'t>, ConfigError> {
    match DeTable::parse(text) {
        Ok(doc) => Ok(doc.into_inner()),
        Err(e) => {
            let span = e.span().unwrap_or(0..0);
            Err(ConfigError::at(
                path,
                text,
                span,
                format!("invalid TOML: {}", e.message().trim_end()),
            ))
        }
    }
}

/// The precept table of a parsed Cargo.toml, if any, with the name of its place.
fn cargo_precept_table<'a, 'i>(
    doc: &'a DeTable<'i>,
) -> Vec<(&'static str, &'a Spanned<DeValue<'i>>)> {
    let mut found = Vec::new();
    for (outer, table_name) in [("package", PACKAGE_TABLE), ("workspace", WORKSPACE_TABLE)] {
        let precept = doc
            .get(outer)
            .and_then(|v| v.get_ref().as_table())
            .and_then(|t| t.get("metadata"))
            .and_then(|v| v.get_ref().as_table())
            .and_then(|t| t.get("precept"));
        if let Some(value) = precept {
            found.push((table_name, value));
        }
    }
    found
}

impl Config {
    /// Built-in defaults, applying from `dir` (made absolute and normalised).
    pub fn default_for(dir: &Path) -> Config {
        Config {
            dir: normalize_path(dir),
            source: ConfigSource::Default,
            fail_level: DEFAULT_FAIL_LEVEL,
            exclude: GlobList::empty(),
            max_file_size: DEFAULT_MAX_FILE_SIZE,
            baseline: None,
            docs_url: None,
            sql_dialect: None,
            rules: BTreeMap::new(),
            overrides: Vec::new(),
            editor: BTreeMap::new(),
            origins: Origins::default(),
        }
    }

    /// Parses a `precept.toml`. `path` is used for the config's directory and in
    /// errors; the file system is not touched. `known_rule` validates rule ids.
    pub fn parse_precept_toml(
        text: &str,
        path: &Path,
        known_rule: &dyn Fn(&str) -> bool,
    ) -> Result<Config, ConfigError> {
        let path = normalize_path(path);
        let doc = parse_document(text, &path)?;
        let parser = Parser {
            text,
            path: &path,
            known_rule,
        };
        parser.config(
            &doc,
            parent_dir(&path),
            ConfigSource::PreceptToml(path.clone()),
            None,
        )
    }

    /// Parses the precept table of a Cargo.toml: `[package.metadata.precept]` when
    /// present, else `[workspace.metadata.precept]`. `Ok(None)` when there is neither.
    /// The whole manifest must be valid TOML.
    pub fn parse_cargo_toml(
        text: &str,
        path: &Path,
        known_rule: &dyn Fn(&str) -> bool,
    ) -> Result<Option<Config>, ConfigError> {
        let path = normalize_path(path);
        let doc = parse_document(text, &path)?;
        let parser = Parser {
            text,
            path: &path,
            known_rule,
        };
        let Some((table_name, value)) = cargo_precept_table(&doc).into_iter().next() else {
            return Ok(None);
        };
        let table = parser.expect_table(value, &format!("`{table_name}`"))?;
        let source = ConfigSource::CargoMetadata {
            path: path.clone(),
            table: table_name,
        };
        let label = format!("[{table_name}]");
        parser
            .config(table, parent_dir(&path), source, Some(&label))
            .map(Some)
    }

    /// Parses a file named with `--config`: a file called `Cargo.toml` is read for its
    /// precept table (an error when it has none), anything else as a `precept.toml`.
    /// Paths in it are relative to its directory, as with discovery.
    pub fn parse_explicit(
        text: &str,
        path: &Path,
        known_rule: &dyn Fn(&str) -> bool,
    ) -> Result<Config, ConfigError> {
        let is_manifest = path.file_name().is_some_and(|n| n == "Cargo.toml");
        let mut config = if is_manifest {
            match Config::parse_cargo_toml(text, path, known_rule)? {
                Some(config) => config,
                None => {
                    return Err(ConfigError::at(
                        path,
                        text,
                        0..0,
                        format!(
                            "no [{PACKAGE_TABLE}] or [{WORKSPACE_TABLE}] table in this Cargo.toml"
                        ),
                    ))
                }
            }
        } else {
            Config::parse_precept_toml(text, path, known_rule)?
        };
        config.source = ConfigSource::Explicit(normalize_path(path));
        Ok(config)
    }

    /// `file` relative to the config directory with `/` separators, if it is inside.
    pub fn relative_path(&self, file: &Path) -> Option<String> {
        relative_slash_path(file, &self.dir)
    }

    /// The effective level of `rule` for `file` (absolute, or relative to the current
    /// directory): editor settings, then the last matching `[[overrides]]` entry that
    /// sets the rule's level, then `[rules]`. `None` means "not configured": the caller
    /// uses the rule's default (including any lower per-shape defaults).
    pub fn severity_for(&self, rule: &str, file: &Path) -> Option<Severity> {
        if let Some(severity) = self.editor.get(rule) {
            return Some(*severity);
        }
        if !self.overrides.is_empty() {
            if let Some(rel) = self.relative_path(file) {
                for entry in self.overrides.iter().rev() {
                    let level = entry.rules.get(rule).and_then(|r| r.severity);
                    if let Some(level) = level {
                        if entry.files.matches_relative(&rel) {
                            return Some(level);
                        }
                    }
                }
            }
        }
        self.rules.get(rule).and_then(|r| r.severity)
    }

    /// The options given in `[rules]` for `rule` (without `level`).
    pub fn rule_options(&self, rule: &str) -> Option<&toml::Table> {
        self.rules.get(rule).map(|r| &r.options)
    }

    /// The options for `rule` as they apply to `file`: `[rules]` options with those of
    /// every matching `[[overrides]]` entry laid over them in order (key by key, so a
    /// later entry replaces an option an earlier one set). `None` when nothing sets any.
    pub fn rule_options_for(&self, rule: &str, file: &Path) -> Option<toml::Table> {
        let mut merged = self.rule_options(rule).cloned();
        let rel = self.relative_path(file);
        for entry in &self.overrides {
            let Some(options) = entry
                .rules
                .get(rule)
                .map(|r| &r.options)
                .filter(|o| !o.is_empty())
            else {
                continue;
            };
            if rel
                .as_deref()
                .is_some_and(|rel| entry.files.matches_relative(rel))
            {
                let target = merged.get_or_insert_with(toml::Table::new);
                for (key, value) in options {
                    target.insert(key.clone(), value.clone());
                }
            }
        }
        merged
    }

    /// Whether `file` (or a directory) matches an `exclude` glob. Files outside the
    /// config directory are never excluded by it. A path named explicitly on the
    /// command line is checked even when excluded; that is the caller's decision.
    pub fn is_excluded(&self, file: &Path) -> bool {
        !self.exclude.is_empty()
            && self
                .relative_path(file)
                .is_some_and(|rel| self.exclude.matches_relative(&rel))
    }

    /// The baseline file, resolved against the config directory.
    pub fn baseline_path(&self) -> Option<PathBuf> {
        self.baseline
            .as_ref()
            .map(|b| normalize_path(&self.dir.join(b)))
    }

    /// A copy with per-rule levels from editor settings laid on top: they win over
    /// `[rules]` and `[[overrides]]` for every file. Later calls add to earlier ones.
    pub fn with_severity_overrides(&self, overrides: &BTreeMap<String, Severity>) -> Config {
        let mut config = self.clone();
        config
            .editor
            .extend(overrides.iter().map(|(k, v)| (k.clone(), *v)));
        config
    }

    /// The editor-supplied levels in force.
    pub fn editor_severities(&self) -> &BTreeMap<String, Severity> {
        &self.editor
    }

    /// A stable 64-bit digest of every setting (levels, options, overrides, excludes,
    /// sizes, dialect, baseline, docs URL, fail level, editor levels), for cache keys.
    /// It deliberately leaves out `dir` and `source`, so a checkout that moves keeps its
    /// cache; callers key per-file results by the file's path relative to the root too.
    /// Stable across runs and platforms for the same precept version.
    pub fn digest(&self) -> u64 {
        let mut h = Digest::default();
        h.str("precept-config-v1");
        h.str(self.fail_level.as_str());
        h.list(self.exclude.patterns());
        h.u64(self.max_file_size);
        h.opt_str(
            self.baseline
                .as_ref()
                .map(|b| b.to_string_lossy())
                .as_deref(),
        );
        h.opt_str(self.docs_url.as_deref());
        h.opt_str(self.sql_dialect.map(SqlDialect::as_str));
        h.rules(&self.rules);
        h.u64(self.overrides.len() as u64);
        for entry in &self.overrides {
            h.list(entry.files.patterns());
            h.rules(&entry.rules);
        }
        h.u64(self.editor.len() as u64);
        for (id, severity) in &self.editor {
            h.str(id);
            h.severity(Some(*severity));
        }
        h.finish()
    }

    /// A human-readable account of every resolved value and where it came from, for
    /// `precept config`.
    pub fn describe(&self) -> String {
        let mut out = String::new();
        let file_name = self.source.path().map(|p| {
            p.file_name().map_or_else(
                || p.display().to_string(),
                |n| n.to_string_lossy().into_owned(),
            )
        });
        let origin = |line: Option<usize>| match (line, &file_name) {
            (Some(line), Some(name)) => format!("{name}:{line}"),
            _ => "default".to_owned(),
        };
        let key = |name: &str| self.origins.keys.get(name).copied();
        let _ = writeln!(out, "config: {}", self.source);
        let _ = writeln!(out, "applies from: {}", self.dir.display());
        let _ = writeln!(
            out,
            "fail-level = {}  ({})",
            self.fail_level,
            origin(key("fail-level"))
        );
        let _ = writeln!(
            out,
            "max-file-size = {} bytes  ({})",
            self.max_file_size,
            origin(key("max-file-size"))
        );
        let patterns: Vec<String> = self
            .exclude
            .patterns()
            .iter()
            .map(|p| format!("{p:?}"))
            .collect();
        let _ = writeln!(
            out,
            "exclude = [{}]  ({})",
            patterns.join(", "),
            origin(key("exclude"))
        );
        match self.baseline_path() {
            Some(path) => {
                let _ = writeln!(
                    out,
                    "baseline = {}  ({})",
                    path.display(),
                    origin(key("baseline"))
                );
            }
            None => {
                let _ = writeln!(out, "baseline = none  (default)");
            }
        }
        match &self.docs_url {
            Some(url) => {
                let _ = writeln!(out, "docs-url = {url}  ({})", origin(key("docs-url")));
            }
            None => {
                let _ = writeln!(out, "docs-url = the published rule pages  (default)");
            }
        }
        match self.sql_dialect {
            Some(dialect) => {
                let _ = writeln!(
                    out,
                    "sql.dialect = {dialect}  ({})",
                    origin(key("sql.dialect"))
                );
            }
            None => {
                let _ = writeln!(
                    out,
                    "sql.dialect = not set: rules infer it from the dependencies  (default)"
                );
            }
        }
        if self.rules.is_empty() {
            let _ = writeln!(out, "rules: every rule at its default level");
        } else {
            let _ = writeln!(out, "rules (others at their default level):");
            for (id, rule) in &self.rules {
                let _ = writeln!(
                    out,
                    "  {id} = {}  ({})",
                    describe_rule(rule),
                    origin(self.origins.rules.get(id).copied())
                );
            }
        }
        for (i, entry) in self.overrides.iter().enumerate() {
            let files: Vec<String> = entry
                .files
                .patterns()
                .iter()
                .map(|p| format!("{p:?}"))
                .collect();
            let line = (entry.line > 0).then_some(entry.line);
            let _ = writeln!(
                out,
                "override #{} for [{}]  ({}):",
                i + 1,
                files.join(", "),
                origin(line)
            );
            for (id, rule) in &entry.rules {
                let _ = writeln!(out, "  {id} = {}", describe_rule(rule));
            }
        }
        if !self.overrides.is_empty() {
            let _ = writeln!(
                out,
                "(when several overrides match a file, the last one wins)"
            );
        }
        if !self.editor.is_empty() {
            let _ = writeln!(out, "editor settings (win over the file):");
            for (id, severity) in &self.editor {
                let _ = writeln!(out, "  {id} = {severity}");
            }
        }
        out
    }
}

fn describe_rule(rule: &RuleConfig) -> String {
    let level = rule
        .severity
        .map_or_else(|| "default level".to_owned(), |s| s.to_string());
    if rule.options.is_empty() {
        level
    } else {
        let options: Vec<String> = rule
            .options
            .iter()
            .map(|(k, v)| format!("{k} = {v}"))
            .collect();
        format!("{level}, {}", options.join(", "))
    }
}

/// The directory holding a config file (the current directory for a bare name).
fn parent_dir(path: &Path) -> PathBuf {
    normalize_path(path.parent().unwrap_or_else(|| Path::new("")))
}

/// Canonical, length-prefixed encoding fed to xxh3, so that different configs cannot
/// produce the same byte stream.
#[derive(Default)]
struct Digest(Vec<u8>);

impl Digest {
    fn u64(&mut self, n: u64) {
        self.0.extend_from_slice(&n.to_le_bytes());
    }
    fn str(&mut self, s: &str) {
        self.u64(s.len() as u64);
        self.0.extend_from_slice(s.as_bytes());
    }
    fn opt_str(&mut self, s: Option<&str>) {
        match s {
            Some(s) => {
                self.0.push(1);
                self.str(s);
            }
            None => self.0.push(0),
        }
    }
    fn list(&mut self, items: &[String]) {
        self.u64(items.len() as u64);
        for item in items {
            self.str(item);
        }
    }
    fn severity(&mut self, s: Option<Severity>) {
        self.opt_str(s.map(|s| s.to_string()).as_deref());
    }
    fn rules(&mut self, rules: &BTreeMap<String, RuleConfig>) {
        self.u64(rules.len() as u64);
        for (id, rule) in rules {
            self.str(id);
            self.severity(rule.severity);
            self.table(&rule.options);
        }
    }
    fn table(&mut self, table: &toml::Table) {
        // Sorted explicitly: the map may keep insertion order when toml's
        // `preserve_order` feature is on somewhere in the build.
        let mut keys: Vec<&String> = table.keys().collect();
        keys.sort();
        self.u64(keys.len() as u64);
        for key in keys {
            self.str(key);
            if let Some(value) = table.get(key) {
                self.value(value);
            }
        }
    }
    fn value(&mut self, value: &toml::Value) {
        match value {
            toml::Value::String(s) => {
                self.0.push(b's');
                self.str(s);
            }
            toml::Value::Integer(i) => {
                self.0.push(b'i');
                self.0.extend_from_slice(&i.to_le_bytes());
            }
            toml::Value::Float(f) => {
                self.0.push(b'f');
                self.u64(f.to_bits());
            }
            toml::Value::Boolean(b) => self.0.extend_from_slice(&[b'b', u8::from(*b)]),
            toml::Value::Datetime(d) => {
                self.0.push(b'd');
                self.str(&d.to_string());
            }
            toml::Value::Array(items) => {
                self.0.push(b'a');
                self.u64(items.len() as u64);
                for item in items {
                    self.value(item);
                }
            }
            toml::Value::Table(t) => {
                self.0.push(b't');
                self.table(t);
            }
        }
    }
    fn finish(&self) -> u64 {
        xxhash_rust::xxh3::xxh3_64(&self.0)
    }
}

/// Reads a file from disk in the shape the discovery functions expect: `Ok(None)` when
/// it does not exist (or a path component is not a directory).
pub fn read_from_disk(path: &Path) -> io::Result<Option<String>> {
    match std::fs::read_to_string(path) {
        Ok(text) => Ok(Some(text)),
        Err(e)
            if e.kind() == io::ErrorKind::NotFound || e.kind() == io::ErrorKind::NotADirectory =>
        {
            Ok(None)
        }
        Err(e) => Err(e),
    }
}

/// What one candidate file says.
#[derive(Clone, Debug)]
enum Probe {
    Missing,
    /// A Cargo.toml without precept metadata.
    NoConfig,
    Found(Arc<Config>),
}

/// Discovery's view of the file system, so the cached and uncached walks share code.
trait Prober {
    fn probe(&mut self, path: &Path, manifest: bool) -> Result<Probe, ConfigError>;
}

struct DirectProber<'a> {
    read: &'a dyn Fn(&Path) -> io::Result<Option<String>>,
    known_rule: &'a dyn Fn(&str) -> bool,
}

fn probe_text(
    text: Option<&str>,
    path: &Path,
    manifest: bool,
    known_rule: &dyn Fn(&str) -> bool,
) -> Result<Probe, ConfigError> {
    let Some(text) = text else {
        return Ok(Probe::Missing);
    };
    if manifest {
        Ok(match Config::parse_cargo_toml(text, path, known_rule)? {
            Some(config) => Probe::Found(Arc::new(config)),
            None => Probe::NoConfig,
        })
    } else {
        Config::parse_precept_toml(text, path, known_rule).map(|c| Probe::Found(Arc::new(c)))
    }
}

impl Prober for DirectProber<'_> {
    fn probe(&mut self, path: &Path, manifest: bool) -> Result<Probe, ConfigError> {
        let text = (self.read)(path).map_err(|e| ConfigError::io(path, &e))?;
        probe_text(text.as_deref(), path, manifest, self.known_rule)
    }
}

/// The walk shared by [`discover`] and [`ConfigCache`].
fn discover_with(dir: &Path, prober: &mut dyn Prober) -> Result<Arc<Config>, ConfigError> {
    let start = normalize_path(dir);
    let mut nearest_manifest: Option<PathBuf> = None;
    for dir in start.ancestors() {
        if let Probe::Found(config) = prober.probe(&dir.join(PRECEPT_TOML), false)? {
            return Ok(config);
        }
        match prober.probe(&dir.join("Cargo.toml"), true)? {
            Probe::Found(config) => return Ok(config),
            Probe::NoConfig => {
                nearest_manifest.get_or_insert_with(|| dir.to_path_buf());
            }
            Probe::Missing => {}
        }
    }
    Ok(Arc::new(Config::default_for(
        nearest_manifest.as_deref().unwrap_or(&start),
    )))
}

/// Finds the configuration in force for `file`: walking up from the file's directory,
/// the first directory with a `precept.toml`, or else a Cargo.toml with
/// `[package.metadata.precept]` (preferred) or `[workspace.metadata.precept]`,
/// provides the whole config. When there is none, built-in defaults apply from the
/// directory of the nearest Cargo.toml (else the file's directory).
///
/// `read` returns `Ok(None)` for a missing file (see [`read_from_disk`]); the
/// language server passes one that prefers unsaved buffers. An invalid config file on
/// the way is an error: it is never skipped silently.
pub fn discover(
    file: &Path,
    read: &dyn Fn(&Path) -> io::Result<Option<String>>,
    known_rule: &dyn Fn(&str) -> bool,
) -> Result<Config, ConfigError> {
    let file = normalize_path(file);
    let dir = file.parent().unwrap_or(&file);
    discover_from_dir(dir, read, known_rule)
}

/// Like [`discover`], starting in `dir` itself (for `precept config DIR`).
pub fn discover_from_dir(
    dir: &Path,
    read: &dyn Fn(&Path) -> io::Result<Option<String>>,
    known_rule: &dyn Fn(&str) -> bool,
) -> Result<Config, ConfigError> {
    let mut prober = DirectProber { read, known_rule };
    discover_with(dir, &mut prober).map(Arc::unwrap_or_clone)
}

/// Memoised discovery: each candidate file is read and parsed once, and each directory
/// resolved once, however many files are asked about. Safe to share between threads;
/// calls are serialised (a hit costs a lock and a hash lookup).
///
/// Call [`ConfigCache::invalidate`] when a `precept.toml` or `Cargo.toml` changes on
/// disk (or in an editor buffer that `read` serves), or [`ConfigCache::clear`].
#[derive(Debug, Default)]
pub struct ConfigCache {
    inner: Mutex<CacheState>,
}

#[derive(Debug, Default)]
struct CacheState {
    /// What each candidate file said.
    files: HashMap<PathBuf, Result<Probe, ConfigError>>,
    /// Which config each directory resolves to.
    dirs: HashMap<PathBuf, Result<Arc<Config>, ConfigError>>,
}

impl ConfigCache {
    pub fn new() -> ConfigCache {
        ConfigCache::default()
    }

    fn state(&self) -> MutexGuard<'_, CacheState> {
        // A panic while holding the lock cannot leave the maps half-updated in a way
        // that matters (entries are inserted whole), so a poisoned lock is still usable.
        self.inner
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// The configuration for `file`, as [`discover`] would find it.
    pub fn discover(
        &self,
        file: &Path,
        read: &dyn Fn(&Path) -> io::Result<Option<String>>,
        known_rule: &dyn Fn(&str) -> bool,
    ) -> Result<Arc<Config>, ConfigError> {
        let file = normalize_path(file);
        let dir = file.parent().unwrap_or(&file);
        self.discover_from_dir(dir, read, known_rule)
    }

    /// The configuration in force in `dir`.
    pub fn discover_from_dir(
        &self,
        dir: &Path,
        read: &dyn Fn(&Path) -> io::Result<Option<String>>,
        known_rule: &dyn Fn(&str) -> bool,
    ) -> Result<Arc<Config>, ConfigError> {
        let dir = normalize_path(dir);
        let mut state = self.state();
        if let Some(hit) = state.dirs.get(&dir) {
            return hit.clone();
        }
        let mut prober = CachedProber {
            files: &mut state.files,
            read,
            known_rule,
        };
        let result = discover_with(&dir, &mut prober);
        state.dirs.insert(dir, result.clone());
        result
    }

    /// Forgets everything that `changed` (a config file or manifest that was created,
    /// edited or deleted) can affect: the file itself and every directory at or below
    /// its directory.
    pub fn invalidate(&self, changed: &Path) {
        let changed = normalize_path(changed);
        let affected = changed.parent().unwrap_or(&changed).to_path_buf();
        let mut state = self.state();
        state.files.remove(&changed);
        state.dirs.retain(|dir, _| !dir.starts_with(&affected));
    }

    pub fn clear(&self) {
        let mut state = self.state();
        state.files.clear();
        state.dirs.clear();
    }
}

struct CachedProber<'a> {
    files: &'a mut HashMap<PathBuf, Result<Probe, ConfigError>>,
    read: &'a dyn Fn(&Path) -> io::Result<Option<String>>,
    known_rule: &'a dyn Fn(&str) -> bool,
}

impl Prober for CachedProber<'_> {
    fn probe(&mut self, path: &Path, manifest: bool) -> Result<Probe, ConfigError> {
        if let Some(entry) = self.files.get(path) {
            return entry.clone();
        }
        let probed = match (self.read)(path) {
            Err(e) => Err(ConfigError::io(path, &e)),
            Ok(text) => probe_text(text.as_deref(), path, manifest, self.known_rule),
        };
        self.files.insert(path.to_path_buf(), probed.clone());
        probed
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // A failed unwrap is a failed test.
mod tests {
    use super::*;

    const RULES: &[&str] = &[
        "unwrap-in-boundary",
        "missing-timeout",
        "sql-injection",
        "println-in-service",
    ];

    fn known(id: &str) -> bool {
        RULES.contains(&id)
    }

    fn parse(text: &str) -> Result<Config, ConfigError> {
        Config::parse_precept_toml(text, Path::new("/proj/precept.toml"), &known)
    }

    /// Parses `text`, expecting an error, and returns (line, column, message).
    fn error(text: &str) -> (usize, usize, String) {
        match parse(text) {
            Ok(config) => panic!("expected an error, parsed {config:?}"),
            Err(e) => (e.line, e.column, e.message),
        }
    }

    fn on(level: Level) -> Option<Severity> {
        Some(Severity::On(level))
    }

    #[test]
    fn full_schema() {
        let config = parse(
            r#"
fail-level = "error"
exclude = ["demo/**", "rules/tests/fixtures/**"]
max-file-size = 1_000
baseline = "precept-baseline.json"
docs-url = "https://example.com/rules/"
[sql]
dialect = "mysql"
[rules]
unwrap-in-boundary = "error"
missing-timeout = { level = "info", default-secs = 30 }
[rules.sql-injection]
allow-format = false
nested = { a = [1, 2.5, "x", true, 1979-05-27] }
[[overrides]]
files = ["src/legacy/**"]
rules = { unwrap-in-boundary = "off" }
"#,
        )
        .unwrap();
        assert_eq!(config.dir, Path::new("/proj"));
        assert_eq!(
            config.source,
            ConfigSource::PreceptToml(PathBuf::from("/proj/precept.toml"))
        );
        assert_eq!(config.fail_level, Level::Error);
        assert_eq!(
            config.exclude.patterns(),
            ["demo/**", "rules/tests/fixtures/**"]
        );
        assert_eq!(config.max_file_size, 1000);
        assert_eq!(
            config.baseline_path(),
            Some(PathBuf::from("/proj/precept-baseline.json"))
        );
        assert_eq!(
            config.docs_url.as_deref(),
            Some("https://example.com/rules/")
        );
        assert_eq!(config.sql_dialect, Some(SqlDialect::MySql));
        assert_eq!(
            config.rules["unwrap-in-boundary"].severity,
            on(Level::Error)
        );
        assert_eq!(config.rules["missing-timeout"].severity, on(Level::Info));
        assert_eq!(
            config
                .rule_options("missing-timeout")
                .and_then(|o| o.get("default-secs")),
            Some(&toml::Value::Integer(30))
        );
        let sql = config.rule_options("sql-injection").unwrap();
        assert_eq!(config.rules["sql-injection"].severity, None);
        assert_eq!(sql.get("allow-format"), Some(&toml::Value::Boolean(false)));
        assert_eq!(sql["nested"]["a"].as_array().map(Vec::len), Some(5));
        assert_eq!(config.overrides.len(), 1);
        assert_eq!(config.overrides[0].line, 15);
        assert_eq!(config.rule_options("println-in-service"), None);
    }

    #[test]
    fn defaults() {
        let config = parse("").unwrap();
        assert_eq!(config.fail_level, Level::Warning);
        assert_eq!(config.max_file_size, DEFAULT_MAX_FILE_SIZE);
        assert!(
            config.exclude.is_empty() && config.rules.is_empty() && config.overrides.is_empty()
        );
        let default = Config::default_for(Path::new("/proj"));
        assert_eq!(default.source, ConfigSource::Default);
        assert_eq!(default.digest(), config.digest());
    }

    #[test]
    fn error_messages_name_line_and_problem() {
        let cases: &[(&str, (usize, usize, &str))] = &[
            ("[rules]\nunwarp-in-boundary = \"error\"\n", (2, 1, "unknown rule `unwarp-in-boundary` in [rules]")),
            (
                "[rules]\nunwrap_in_boundary = \"error\"\n",
                (2, 1, "unknown rule `unwrap_in_boundary` in [rules] (did you mean `unwrap-in-boundary`?)"),
            ),
            (
                "\n[rules]\nmissing-timeout = \"eror\"\n",
                (3, 19, "invalid level `eror` for rule `missing-timeout` (expected off, hint, info, warning or error)"),
            ),
            (
                "[rules]\nmissing-timeout = { level = \"loud\" }\n",
                (2, 29, "invalid level `loud` for rule `missing-timeout` (expected off, hint, info, warning or error)"),
            ),
            (
                "[rules]\nmissing-timeout = 3\n",
                (2, 19, "rule `missing-timeout` must be set to a level string or a table, found integer"),
            ),
            ("fail_level = \"error\"\n", (1, 1, "unknown key `fail_level` (did you mean `fail-level`?)")),
            ("exlude = []\n", (1, 1, "unknown key `exlude` (did you mean `exclude`?)")),
            ("colour = true\n", (1, 1, "unknown key `colour`")),
            ("fail-level = \"fatal\"\n", (1, 14, "invalid fail-level `fatal` (expected hint, info, warning or error)")),
            (
                "exclude = [\"ok/**\", \"[abc\"]\n",
                (1, 21, "invalid glob `[abc` in `exclude`: unclosed character class; missing ']'"),
            ),
            ("exclude = \"demo/**\"\n", (1, 11, "`exclude` must be an array of glob strings, found string")),
            ("max-file-size = \"big\"\n", (1, 17, "`max-file-size` must be a non-negative integer (a size in bytes)")),
            ("max-file-size = -1\n", (1, 17, "`max-file-size` must be a non-negative integer (a size in bytes)")),
            ("baseline = 1\n", (1, 12, "`baseline` must be a string, found integer")),
            ("[sql]\ndialect = \"oracle\"\n", (2, 11, "unknown SQL dialect `oracle` (expected postgres, mysql or sqlite)")),
            ("[sql]\ndialekt = \"mysql\"\n", (2, 1, "unknown key `dialekt` in [sql] (did you mean `dialect`?)")),
            ("rules = 1\n", (1, 9, "`rules` must be a table, found integer")),
            (
                "[[overrides]]\nrules = { missing-timeout = \"off\" }\n",
                (1, 1, "[[overrides]] entry has no `files` (globs of the files it applies to)"),
            ),
            ("[[overrides]]\nfiles = []\n", (2, 9, "`files` in [[overrides]] must list at least one glob")),
            ("[[overrides]]\nfiles = [\"a\"]\nfile = 1\n", (3, 1, "unknown key `file` in [[overrides]] (did you mean `files`?)")),
            (
                "[[overrides]]\nfiles = [\"a\"]\nrules = { nope = \"off\" }\n",
                (3, 11, "unknown rule `nope` in [[overrides]]"),
            ),
            ("[[overrides]]\nfiles = [\"a/[\"]\n", (2, 10, "invalid glob `a/[` in `files`: unclosed character class; missing ']'")),
            ("overrides = 3\n", (1, 13, "`overrides` must be an array of tables ([[overrides]]), found integer")),
            ("a = \n", (1, 5, "invalid TOML: string values must be quoted, expected literal string")),
            ("fail-level = \"error\"\nfail-level = \"hint\"\n", (2, 1, "invalid TOML: duplicate key")),
        ];
        for (text, (line, column, message)) in cases {
            assert_eq!(
                error(text),
                (*line, *column, (*message).to_owned()),
                "for {text:?}"
            );
        }
    }

    #[test]
    fn error_display_and_columns() {
        let err = parse("# ünïcode comment\n[rules]\n  \"ünknown\" = \"off\"\n").unwrap_err();
        assert_eq!(
            err.to_string(),
            "/proj/precept.toml:3:3: unknown rule `ünknown` in [rules]"
        );
        assert_eq!(err.span, 30..40);
        // A byte order mark is not a column.
        let err = parse("\u{feff}nope = 1\n").unwrap_err();
        assert_eq!((err.line, err.column), (1, 1));
        assert_eq!(line_col("ab\r\ncd", 5), (2, 2));
        assert_eq!(line_col("ab", 99), (1, 3));
        assert_eq!(line_col("é", 1), (1, 1));
    }

    #[test]
    fn cargo_metadata_tables() {
        let known = &known;
        let path = Path::new("/ws/Cargo.toml");
        let none = Config::parse_cargo_toml("[package]\nname = \"x\"\n", path, known).unwrap();
        assert!(none.is_none());
        let both = "[package]\nname = \"x\"\n[package.metadata.precept]\nfail-level = \"hint\"\n\
                    [workspace]\n[workspace.metadata.precept]\nfail-level = \"error\"\n";
        let config = Config::parse_cargo_toml(both, path, known)
            .unwrap()
            .unwrap();
        assert_eq!(config.fail_level, Level::Hint);
        assert_eq!(
            config.source,
            ConfigSource::CargoMetadata {
                path: path.to_path_buf(),
                table: PACKAGE_TABLE
            }
        );
        let ws = "[workspace]\nmembers = []\n[workspace.metadata.precept.rules]\nmissing-timeout = \"off\"\n";
        let config = Config::parse_cargo_toml(ws, path, known).unwrap().unwrap();
        assert_eq!(
            config.source,
            ConfigSource::CargoMetadata {
                path: path.to_path_buf(),
                table: WORKSPACE_TABLE
            }
        );
        assert_eq!(
            config.rules["missing-timeout"].severity,
            Some(Severity::Off)
        );
        let err = Config::parse_cargo_toml(
            "[package]\n[package.metadata.precept]\nfail-levle = 1\n",
            path,
            known,
        )
        .unwrap_err();
        assert_eq!(
            err.to_string(),
            "/ws/Cargo.toml:3:1: unknown key `fail-levle` in [package.metadata.precept] (did you mean `fail-level`?)"
        );
        let err =
            Config::parse_cargo_toml("[package.metadata]\nprecept = 1\n", path, known).unwrap_err();
        assert_eq!(
            err.message,
            "`package.metadata.precept` must be a table, found integer"
        );
        let err = Config::parse_explicit("[package]\n", path, known).unwrap_err();
        assert_eq!(err.message, "no [package.metadata.precept] or [workspace.metadata.precept] table in this Cargo.toml");
        let explicit =
            Config::parse_explicit("fail-level = \"info\"", Path::new("/x/ci.toml"), known)
                .unwrap();
        assert_eq!(
            explicit.source,
            ConfigSource::Explicit(PathBuf::from("/x/ci.toml"))
        );
        assert_eq!(explicit.dir, Path::new("/x"));
    }

    #[test]
    fn overrides_last_matching_wins() {
        let config = parse(
            r#"
[rules]
unwrap-in-boundary = "error"
missing-timeout = "info"
[[overrides]]
files = ["src/legacy/**"]
rules = { unwrap-in-boundary = "off", missing-timeout = { limit = 1 } }
[[overrides]]
files = ["src/legacy/keep.rs"]
rules = { unwrap-in-boundary = "hint", missing-timeout = { limit = 2 } }
[[overrides]]
files = ["*.gen.rs"]
rules = { missing-timeout = { level = "warning" } }
"#,
        )
        .unwrap();
        let sev = |rule: &str, file: &str| config.severity_for(rule, Path::new(file));
        assert_eq!(
            sev("unwrap-in-boundary", "/proj/src/main.rs"),
            on(Level::Error)
        );
        assert_eq!(
            sev("unwrap-in-boundary", "/proj/src/legacy/old.rs"),
            Some(Severity::Off)
        );
        assert_eq!(
            sev("unwrap-in-boundary", "/proj/src/legacy/keep.rs"),
            on(Level::Hint)
        );
        // An override that gives only options leaves the level alone.
        assert_eq!(
            sev("missing-timeout", "/proj/src/legacy/old.rs"),
            on(Level::Info)
        );
        assert_eq!(
            sev("missing-timeout", "/proj/src/legacy/a.gen.rs"),
            on(Level::Warning)
        );
        assert_eq!(sev("sql-injection", "/proj/src/legacy/old.rs"), None);
        // Outside the config directory overrides do not apply.
        assert_eq!(
            sev("unwrap-in-boundary", "/elsewhere/src/legacy/old.rs"),
            on(Level::Error)
        );
        let limit = |file: &str| {
            config
                .rule_options_for("missing-timeout", Path::new(file))
                .and_then(|o| o.get("limit").cloned())
        };
        assert_eq!(
            limit("/proj/src/legacy/old.rs"),
            Some(toml::Value::Integer(1))
        );
        assert_eq!(
            limit("/proj/src/legacy/keep.rs"),
            Some(toml::Value::Integer(2))
        );
        assert_eq!(limit("/proj/src/main.rs"), None);

        // Editor settings beat every override.
        let mut editor = BTreeMap::new();
        editor.insert(
            "unwrap-in-boundary".to_owned(),
            Severity::On(Level::Warning),
        );
        let edited = config.with_severity_overrides(&editor);
        assert_eq!(
            edited.severity_for("unwrap-in-boundary", Path::new("/proj/src/legacy/keep.rs")),
            on(Level::Warning)
        );
        assert_eq!(
            edited.severity_for("missing-timeout", Path::new("/proj/src/main.rs")),
            on(Level::Info)
        );
        assert_ne!(edited.digest(), config.digest());
    }

    #[test]
    fn excludes_are_relative_to_the_config_dir() {
        let config =
            parse(r#"exclude = ["demo/**", "*.gen.rs", "/top.rs", "vendor", "./tools/"]"#).unwrap();
        let excluded = |file: &str| config.is_excluded(Path::new(file));
        assert!(excluded("/proj/demo/src/main.rs"));
        assert!(excluded("/proj/demo"));
        assert!(!excluded("/proj/sub/demo/src/main.rs"));
        assert!(!excluded("/proj/demonstration.rs"));
        assert!(excluded("/proj/a/b/c.gen.rs"));
        assert!(excluded("/proj/top.rs"));
        assert!(!excluded("/proj/a/top.rs"));
        assert!(excluded("/proj/vendor/x/lib.rs"));
        assert!(excluded("/proj/crates/vendor/lib.rs"));
        assert!(excluded("/proj/tools/gen/main.rs"));
        assert!(!excluded("/other/demo/src/main.rs"));
        assert!(!excluded("/proj"));
        assert!(excluded("/proj/src/../demo/x.rs"));
    }

    #[test]
    fn digest_is_stable_and_sensitive() {
        let text = "[rules]\nmissing-timeout = { level = \"info\", b = 1, a = [1.5] }\n";
        let a = parse(text).unwrap();
        let b =
            Config::parse_precept_toml(text, Path::new("/moved/elsewhere/precept.toml"), &known)
                .unwrap();
        assert_eq!(a.digest(), b.digest());
        // Pinned: the digest keys on-disk caches, so it must not drift between runs.
        assert_eq!(
            a.digest(),
            0x4775_8d44_cedd_4bad,
            "digest changed: {:#x}",
            a.digest()
        );
        for changed in [
            "[rules]\nmissing-timeout = { level = \"warning\", b = 1, a = [1.5] }\n",
            "[rules]\nmissing-timeout = { level = \"info\", b = 2, a = [1.5] }\n",
            "[rules]\nmissing-timeout = { level = \"info\", b = 1, a = [1.5] }\n[sql]\ndialect = \"sqlite\"\n",
            "exclude = [\"x\"]\n[rules]\nmissing-timeout = { level = \"info\", b = 1, a = [1.5] }\n",
        ] {
            assert_ne!(parse(changed).unwrap().digest(), a.digest(), "{changed}");
        }
    }

    proptest::proptest! {
        #[test]
        fn parsing_never_panics(text in "(\\[|\\]|\\[\\[|rules|overrides|files|sql|dialect|fail-level|exclude|max-file-size|level|=|\"|'|\\{|\\}|,|\n| |x|\\*\\*|1|-|\\.|é){0,40}") {
            if let Err(e) = parse(&text) {
                proptest::prop_assert!(e.line >= 1 && e.column >= 1);
                proptest::prop_assert!(e.span.start <= text.len());
            }
            let _ = Config::parse_cargo_toml(&text, Path::new("/p/Cargo.toml"), &known);
        }
    }

    #[test]
    fn suggestions() {
        assert_eq!(suggest("max_file_size", TOP_KEYS), Some("max-file-size"));
        assert_eq!(suggest("Fail-Level", TOP_KEYS), Some("fail-level"));
        assert_eq!(suggest("ruless", TOP_KEYS), Some("rules"));
        assert_eq!(suggest("zzz", TOP_KEYS), None);
        assert_eq!(edit_distance("kitten", "sitting"), 3);
    }

    #[test]
    fn never_panics_on_odd_input() {
        for text in [
            "\u{0}",
            "[rules]\n\"\" = \"off\"",
            "[[overrides]]\n[[overrides]]\nfiles=[\"**\"]",
            "[rules.missing-timeout]\nx = 99999999999999999999",
            "max-file-size = 0x7fffffffffffffff",
            "x = [[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]",
            "[sql]\ndialect = 1",
            "[sql]",
            "sql = 1",
        ] {
            let _ = parse(text);
        }
        assert_eq!(parse("max-file-size = 0x10").unwrap().max_file_size, 16);
    }
}
