//! What a file's crate says about itself: its dependencies (as named in code), their
//! requirements, locked versions and features, and whether it builds a binary.
//!
//! Rules use these facts to decide what a path means and which fix is safe: a
//! `Client` is reqwest's only if reqwest is a dependency, a fix that needs tokio's
//! `time` feature is offered as safe only when the feature is on, and reqwest 0.12 and
//! 0.13 spell some methods differently. The facts come from the nearest Cargo.toml
//! with a `[package]`, its workspace root (for `workspace = true` dependencies) and
//! Cargo.lock. Nothing here runs cargo: the manifests are read as plain TOML.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::io;
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};

use toml::{Table, Value};

use crate::config::line_col;
use crate::project::normalize_path;

/// One dependency of the crate.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Dependency {
    /// The package name on crates.io (differs from the key when renamed with
    /// `package = "..."`), with its hyphens as published.
    pub package: String,
    /// The version requirement as written (`"0.12"`, `"^1.2"`, `">=1, <2"`), if any.
    pub version_req: Option<String>,
    /// The version Cargo.lock pins, when a lock file was found and names it.
    pub locked_version: Option<String>,
    /// Features enabled explicitly (not the ones `default` or other features imply).
    pub features: BTreeSet<String>,
    pub default_features: bool,
    /// Declared `optional = true`.
    pub optional: bool,
}

/// Facts about the crate a file belongs to. [`CrateFacts::none`] when the file is not
/// in a crate: rules then assume nothing about dependencies.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CrateFacts {
    /// The directory of the nearest Cargo.toml that has a `[package]`.
    pub manifest_dir: Option<PathBuf>,
    pub package_name: Option<String>,
    /// The crate builds a binary: `src/main.rs` exists (and `autobins` is not off) or
    /// `[[bin]]` targets are declared.
    pub has_main: bool,
    /// The crate has a library target: `src/lib.rs` exists or `[lib]` is declared.
    pub has_lib: bool,
    /// `[dependencies]` plus target-specific `[target.'..'.dependencies]` (not dev or
    /// build dependencies), keyed by the name code uses: the key in the manifest
    /// (the rename, if any) with `-` turned into `_`. Lookups through the methods
    /// accept either spelling.
    pub deps: BTreeMap<String, Dependency>,
}

/// A manifest that cannot be read or parsed, located in the file.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{}:{line}:{column}: {message}", path.display())]
pub struct CrateFactsError {
    pub path: PathBuf,
    /// 1-based.
    pub line: usize,
    /// 1-based, in characters.
    pub column: usize,
    /// Byte range of the offending text (empty for I/O errors).
    pub span: Range<usize>,
    pub message: String,
}

impl CrateFactsError {
    fn toml(path: &Path, text: &str, err: &toml::de::Error) -> CrateFactsError {
        let span = err.span().unwrap_or(0..0);
        let (line, column) = line_col(text, span.start);
        CrateFactsError {
            path: path.to_path_buf(),
            line,
            column,
            span,
            message: format!("invalid TOML: {}", err.message().trim_end()),
        }
    }

    /// An error reading `path`, reported at its first line.
    pub fn io(path: &Path, err: &io::Error) -> CrateFactsError {
        CrateFactsError {
            path: path.to_path_buf(),
            line: 1,
            column: 1,
            span: 0..0,
            message: format!("cannot read the file: {err}"),
        }
    }
}

/// The name code uses for a dependency key.
fn code_name(key: &str) -> String {
    key.replace('-', "_")
}

fn parse_table(path: &Path, text: &str) -> Result<Table, CrateFactsError> {
    toml::from_str::<Table>(text).map_err(|e| CrateFactsError::toml(path, text, &e))
}

impl CrateFacts {
    /// No manifest: no package, no dependencies.
    pub fn none() -> CrateFacts {
        CrateFacts::default()
    }

    /// Builds the facts from a manifest's text. `workspace_manifest` is the workspace
    /// root's Cargo.toml when it is another file (a manifest that holds `[workspace]`
    /// itself is its own root). `lock_text` is the Cargo.lock that applies. Whether
    /// `src/main.rs` exists is checked on disk; [`discover`] checks through its `read`
    /// callback instead. A lock file that does not parse is ignored (locked versions
    /// stay unknown); a manifest that does not parse is an error.
    pub fn parse(
        manifest_path: &Path,
        manifest_text: &str,
        workspace_manifest: Option<(&Path, &str)>,
        lock_text: Option<&str>,
    ) -> Result<CrateFacts, CrateFactsError> {
        let manifest_path = normalize_path(manifest_path);
        let manifest = parse_table(&manifest_path, manifest_text)?;
        let workspace = match workspace_manifest {
            Some((path, text)) => Some(parse_table(&normalize_path(path), text)?),
            None => None,
        };
        let main_rs = manifest_path
            .parent()
            .map(|dir| dir.join("src").join("main.rs"));
        let main_exists = main_rs.is_some_and(|p| p.is_file());
        let lib_exists = manifest_path
            .parent()
            .is_some_and(|dir| dir.join("src").join("lib.rs").is_file());
        let mut facts = from_tables(
            &manifest_path,
            &manifest,
            workspace.as_ref(),
            lock_text,
            main_exists,
        );
        facts.has_lib = facts.package_name.is_some() && (lib_exists || declares_lib(&manifest));
        Ok(facts)
    }

    /// The dependency code refers to as `name` (`-` or `_` spelling).
    pub fn dep(&self, name: &str) -> Option<&Dependency> {
        if name.contains('-') {
            self.deps.get(&code_name(name))
        } else {
            self.deps.get(name)
        }
    }

    pub fn has_dep(&self, name: &str) -> bool {
        self.dep(name).is_some()
    }

    /// The dependency whose package (not key) is `package`, with its key: finds
    /// reqwest even when the manifest renamed it.
    pub fn dep_by_package(&self, package: &str) -> Option<(&str, &Dependency)> {
        let wanted = code_name(package);
        self.deps
            .iter()
            .find(|(_, d)| code_name(&d.package) == wanted)
            .map(|(k, d)| (k.as_str(), d))
    }

    /// Whether `feature` is enabled explicitly on dependency `dep`. Features implied by
    /// others (`full` implying `time` for tokio, `default`) are the caller's business.
    pub fn has_feature(&self, dep: &str, feature: &str) -> bool {
        self.dep(dep).is_some_and(|d| d.features.contains(feature))
    }

    /// Major and minor version of `dep`: from the locked version when known, else from
    /// the requirement's first comparator (`"0.12"` gives `(0, 12)`, `"1"` gives
    /// `(1, 0)`). `None` without either, or for `"*"`.
    pub fn version(&self, dep: &str) -> Option<(u64, u64)> {
        let dep = self.dep(dep)?;
        dep.locked_version
            .as_deref()
            .and_then(parse_major_minor)
            .or_else(|| dep.version_req.as_deref().and_then(parse_major_minor))
    }

    /// A stable 64-bit digest of the package name, `has_main` and every dependency
    /// field, for cache keys. `manifest_dir` is left out so a moved checkout keeps its
    /// cache.
    pub fn digest(&self) -> u64 {
        let mut bytes = Vec::new();
        let mut put = |s: &str| {
            bytes.extend_from_slice(&(s.len() as u64).to_le_bytes());
            bytes.extend_from_slice(s.as_bytes());
        };
        put("precept-crate-facts-v1");
        put(self.package_name.as_deref().unwrap_or("\0none"));
        put(if self.has_main { "main" } else { "nomain" });
        put(if self.has_lib { "lib" } else { "nolib" });
        for (key, dep) in &self.deps {
            put(key);
            put(&dep.package);
            put(dep.version_req.as_deref().unwrap_or("\0none"));
            put(dep.locked_version.as_deref().unwrap_or("\0none"));
            put(&dep.features.len().to_string());
            for feature in &dep.features {
                put(feature);
            }
            put(if dep.default_features {
                "default"
            } else {
                "nodefault"
            });
            put(if dep.optional { "optional" } else { "required" });
        }
        xxhash_rust::xxh3::xxh3_64(&bytes)
    }
}

/// `(major, minor)` from a version or the first comparator of a requirement.
fn parse_major_minor(text: &str) -> Option<(u64, u64)> {
    let first = text.split(',').next()?.trim();
    let bare = first.trim_start_matches(|c: char| "^~=<>".contains(c) || c.is_whitespace());
    let core = bare.split(['-', '+']).next()?;
    let mut parts = core.split('.');
    let major = parts.next()?.trim().parse::<u64>().ok()?;
    let minor = match parts.next() {
        Some(minor) => minor.trim().parse::<u64>().unwrap_or(0),
        None => 0,
    };
    Some((major, minor))
}

/// Whether `version` is one a caret requirement `req` would pick (same major, or same
/// minor below 1.0). Only used to choose among several locked versions of a package.
fn compatible(req: &str, version: &str) -> bool {
    match (parse_major_minor(req), parse_major_minor(version)) {
        (Some((0, rm)), Some((0, vm))) => rm == vm,
        (Some((rmaj, _)), Some((vmaj, _))) => rmaj == vmaj,
        _ => false,
    }
}

fn str_at<'a>(table: &'a Table, key: &str) -> Option<&'a str> {
    table.get(key).and_then(Value::as_str)
}

/// The facts from parsed manifests. Entries of unexpected shape are skipped: cargo
/// reports those, a linter need not.
fn from_tables(
    manifest_path: &Path,
    manifest: &Table,
    workspace: Option<&Table>,
    lock_text: Option<&str>,
    main_exists: bool,
) -> CrateFacts {
    let package = manifest.get("package").and_then(Value::as_table);
    let manifest_dir = package.and(manifest_path.parent()).map(Path::to_path_buf);
    let package_name = package.and_then(|p| str_at(p, "name")).map(str::to_owned);
    let declared_bins = manifest
        .get("bin")
        .and_then(Value::as_array)
        .is_some_and(|bins| !bins.is_empty());
    let autobins = package
        .and_then(|p| p.get("autobins"))
        .and_then(Value::as_bool)
        .unwrap_or(true);
    let has_main = package.is_some() && (declared_bins || (autobins && main_exists));

    // `workspace = true` entries resolve through the root's [workspace.dependencies];
    // a manifest that is its own workspace root serves itself.
    let workspace_deps = workspace
        .or(manifest.get("workspace").map(|_| manifest))
        .and_then(|w| w.get("workspace"))
        .and_then(Value::as_table)
        .and_then(|w| w.get("dependencies"))
        .and_then(Value::as_table);

    let mut sections: Vec<&Table> = Vec::new();
    if let Some(deps) = manifest.get("dependencies").and_then(Value::as_table) {
        sections.push(deps);
    }
    if let Some(targets) = manifest.get("target").and_then(Value::as_table) {
        for target in targets.values().filter_map(Value::as_table) {
            if let Some(deps) = target.get("dependencies").and_then(Value::as_table) {
                sections.push(deps);
            }
        }
    }

    let mut deps: BTreeMap<String, Dependency> = BTreeMap::new();
    for section in sections {
        for (key, spec) in section {
            let Some(dep) = dependency(key, spec, workspace_deps) else {
                continue;
            };
            match deps.get_mut(&code_name(key)) {
                Some(existing) => {
                    // The same dependency declared for several targets: features
                    // add up; the first requirement stands.
                    existing.features.extend(dep.features);
                    existing.default_features |= dep.default_features;
                    existing.optional &= dep.optional;
                    if existing.version_req.is_none() {
                        existing.version_req = dep.version_req;
                    }
                }
                None => {
                    deps.insert(code_name(key), dep);
                }
            }
        }
    }

    if let Some(lock) = lock_text.and_then(|text| text.parse::<Table>().ok()) {
        let package_version = package.and_then(|p| str_at(p, "version"));
        apply_lock(&lock, package_name.as_deref(), package_version, &mut deps);
    }

    CrateFacts {
        manifest_dir,
        package_name,
        has_main,
        has_lib: false,
        deps,
    }
}

/// One dependency entry, resolving `workspace = true` through `workspace_deps`.
fn dependency(key: &str, spec: &Value, workspace_deps: Option<&Table>) -> Option<Dependency> {
    let mut dep = Dependency {
        package: key.to_owned(),
        version_req: None,
        locked_version: None,
        features: BTreeSet::new(),
        default_features: true,
        optional: false,
    };
    match spec {
        Value::String(req) => {
            dep.version_req = Some(req.clone());
            return Some(dep);
        }
        Value::Table(_) => {}
        _ => return None,
    }
    let table = spec.as_table()?;
    let inherits = table.get("workspace").and_then(Value::as_bool) == Some(true);
    let member_default = table
        .get("default-features")
        .or_else(|| table.get("default_features"))
        .and_then(Value::as_bool);
    if inherits {
        if let Some(base) = workspace_deps
            .and_then(|w| w.get(key))
            .and_then(|v| dependency(key, v, None))
        {
            dep = base;
        }
        // Cargo ignores a member's `default-features = false` when the workspace
        // entry keeps the defaults; it can only matter when the workspace turned
        // them off.
        if !dep.default_features {
            dep.default_features = member_default.unwrap_or(false);
        }
    } else {
        dep.default_features = member_default.unwrap_or(true);
        dep.version_req = str_at(table, "version").map(str::to_owned);
        if let Some(package) = str_at(table, "package") {
            dep.package = package.to_owned();
        }
    }
    if let Some(features) = table.get("features").and_then(Value::as_array) {
        dep.features
            .extend(features.iter().filter_map(Value::as_str).map(str::to_owned));
    }
    if let Some(optional) = table.get("optional").and_then(Value::as_bool) {
        dep.optional = optional;
    }
    Some(dep)
}

/// One `[[package]]` of Cargo.lock.
struct Locked<'a> {
    name: &'a str,
    version: &'a str,
    /// `None` for workspace members (path packages).
    source: Option<&'a str>,
    dependencies: Vec<&'a str>,
}

/// Fills `locked_version`. Cargo.lock lists, for our own package, its dependencies as
/// `name` (when only one version of that package is locked) or `name version` (when
/// several are), which says exactly which version we use. When our package is not in
/// the lock, the version compatible with the requirement is taken.
fn apply_lock(
    lock: &Table,
    package_name: Option<&str>,
    package_version: Option<&str>,
    deps: &mut BTreeMap<String, Dependency>,
) {
    let packages: Vec<Locked<'_>> = lock
        .get("package")
        .and_then(Value::as_array)
        .map(|items| {
            items
                .iter()
                .filter_map(Value::as_table)
                .filter_map(|t| {
                    Some(Locked {
                        name: str_at(t, "name")?,
                        version: str_at(t, "version")?,
                        source: str_at(t, "source"),
                        dependencies: t
                            .get("dependencies")
                            .and_then(Value::as_array)
                            .map(|d| d.iter().filter_map(Value::as_str).collect())
                            .unwrap_or_default(),
                    })
                })
                .collect()
        })
        .unwrap_or_default();

    let ours: Vec<&Locked<'_>> = packages
        .iter()
        .filter(|p| Some(p.name) == package_name && p.source.is_none())
        .collect();
    let root = ours
        .iter()
        .find(|p| Some(p.version) == package_version)
        .or(ours.first())
        .copied();

    for dep in deps.values_mut() {
        let versions: Vec<&str> = packages
            .iter()
            .filter(|p| p.name == dep.package)
            .map(|p| p.version)
            .collect();
        // Versions our package uses, when the lock lists our package: one entry per
        // version (a crate can depend on two versions of a package under two names).
        let used: Vec<&str> = root
            .map(|root| {
                root.dependencies
                    .iter()
                    .filter_map(|entry| {
                        let mut words = entry.split_whitespace();
                        if words.next() != Some(dep.package.as_str()) {
                            return None;
                        }
                        match words.next() {
                            Some(version) => Some(version),
                            None if versions.len() == 1 => versions.first().copied(),
                            None => None,
                        }
                    })
                    .collect()
            })
            .unwrap_or_default();
        let candidates = if used.is_empty() { &versions } else { &used };
        let chosen = match candidates.as_slice() {
            [only] => Some(*only),
            many => dep.version_req.as_deref().and_then(|req| {
                many.iter()
                    .copied()
                    .filter(|v| compatible(req, v))
                    .max_by_key(|v| parse_triple(v))
            }),
        };
        dep.locked_version = chosen.map(str::to_owned);
    }
}

/// A version as a sortable triple (pre-release tags ignored).
fn parse_triple(version: &str) -> (u64, u64, u64) {
    let core = version.split(['-', '+']).next().unwrap_or(version);
    let mut parts = core.split('.').map(|p| p.parse::<u64>().unwrap_or(0));
    (
        parts.next().unwrap_or(0),
        parts.next().unwrap_or(0),
        parts.next().unwrap_or(0),
    )
}

/// Reading for discovery, so that the cached and uncached walks share code.
trait Source {
    fn text(&mut self, path: &Path) -> Result<Option<Arc<str>>, CrateFactsError>;
}

struct Direct<'a>(&'a dyn Fn(&Path) -> io::Result<Option<String>>);

impl Source for Direct<'_> {
    fn text(&mut self, path: &Path) -> Result<Option<Arc<str>>, CrateFactsError> {
        (self.0)(path)
            .map(|t| t.map(Arc::from))
            .map_err(|e| CrateFactsError::io(path, &e))
    }
}

/// The nearest Cargo.toml at or above `start` that has a `[package]`, parsed.
fn find_package_manifest(
    start: &Path,
    source: &mut dyn Source,
) -> Result<Option<(PathBuf, Table)>, CrateFactsError> {
    for dir in start.ancestors() {
        let path = dir.join("Cargo.toml");
        if let Some(text) = source.text(&path)? {
            let table = parse_table(&path, &text)?;
            if table.contains_key("package") {
                return Ok(Some((path, table)));
            }
        }
    }
    Ok(None)
}

/// Everything about the package whose manifest is `manifest_path`: finds the
/// workspace root and the lock file, then builds the facts.
fn facts_for_manifest(
    manifest_path: &Path,
    manifest: &Table,
    source: &mut dyn Source,
) -> Result<CrateFacts, CrateFactsError> {
    let Some(package_dir) = manifest_path.parent() else {
        return Ok(CrateFacts::none());
    };
    let (root_dir, workspace) = find_workspace_root(package_dir, manifest, source)?;
    let lock = match source.text(&root_dir.join("Cargo.lock"))? {
        Some(text) => Some(text),
        None if root_dir != package_dir => source.text(&package_dir.join("Cargo.lock"))?,
        None => None,
    };
    // Existence is all that matters; an unreadable main.rs still exists.
    let main_exists = !matches!(
        source.text(&package_dir.join("src").join("main.rs")),
        Ok(None)
    );
    let lib_exists = !matches!(
        source.text(&package_dir.join("src").join("lib.rs")),
        Ok(None)
    );
    let mut facts = from_tables(
        manifest_path,
        manifest,
        workspace.as_ref(),
        lock.as_deref(),
        main_exists,
    );
    facts.has_lib = facts.package_name.is_some() && (lib_exists || declares_lib(manifest));
    Ok(facts)
}

/// A `[lib]` table in the manifest.
fn declares_lib(manifest: &Table) -> bool {
    manifest.get("lib").and_then(Value::as_table).is_some()
}

/// The workspace root directory for a package, and its manifest when it is another
/// file: `package.workspace` when set, the package itself when it holds `[workspace]`,
/// else the nearest ancestor Cargo.toml with `[workspace]` that does not exclude the
/// package. Without one, the package is its own root.
fn find_workspace_root(
    package_dir: &Path,
    manifest: &Table,
    source: &mut dyn Source,
) -> Result<(PathBuf, Option<Table>), CrateFactsError> {
    if manifest.contains_key("workspace") {
        return Ok((package_dir.to_path_buf(), None));
    }
    let explicit = manifest
        .get("package")
        .and_then(Value::as_table)
        .and_then(|p| str_at(p, "workspace"));
    if let Some(rel) = explicit {
        let root = normalize_path(&package_dir.join(rel));
        let path = root.join("Cargo.toml");
        let workspace = match source.text(&path)? {
            Some(text) => Some(parse_table(&path, &text)?),
            None => None,
        };
        return Ok((root, workspace));
    }
    for dir in package_dir.ancestors().skip(1) {
        let path = dir.join("Cargo.toml");
        let Some(text) = source.text(&path)? else {
            continue;
        };
        let table = parse_table(&path, &text)?;
        let Some(ws) = table.get("workspace").and_then(Value::as_table) else {
            continue;
        };
        let rel = package_dir.strip_prefix(dir).unwrap_or(package_dir);
        let excluded = ws
            .get("exclude")
            .and_then(Value::as_array)
            .is_some_and(|ex| {
                ex.iter()
                    .filter_map(Value::as_str)
                    .any(|e| rel.starts_with(normalize_rel(e)))
            });
        if excluded {
            break;
        }
        return Ok((dir.to_path_buf(), Some(table)));
    }
    Ok((package_dir.to_path_buf(), None))
}

/// A workspace-relative path from a manifest, without `./` or a trailing `/`.
fn normalize_rel(path: &str) -> PathBuf {
    Path::new(path).components().collect()
}

/// The facts for the crate `file` belongs to: the nearest Cargo.toml with a
/// `[package]`, its workspace root's `[workspace.dependencies]` for `workspace = true`
/// entries, and Cargo.lock from the workspace root (else the package directory).
/// [`CrateFacts::none`] when no package manifest is found. A manifest on the way that
/// does not parse is an error naming its path and line.
///
/// `read` returns `Ok(None)` for a missing file (see [`crate::config::read_from_disk`]).
pub fn discover(
    file: &Path,
    read: &dyn Fn(&Path) -> io::Result<Option<String>>,
) -> Result<CrateFacts, CrateFactsError> {
    let file = normalize_path(file);
    let start = file.parent().unwrap_or(&file);
    let mut source = Direct(read);
    match find_package_manifest(start, &mut source)? {
        Some((path, table)) => facts_for_manifest(&path, &table, &mut source),
        None => Ok(CrateFacts::none()),
    }
}

/// Memoised [`discover`]: each file is read once, each package's facts built once, each
/// directory resolved once. Safe to share between threads (calls are serialised).
///
/// Call [`CrateFactsCache::invalidate`] when a Cargo.toml, Cargo.lock or `src/main.rs`
/// is created, changed or deleted.
#[derive(Debug, Default)]
pub struct CrateFactsCache {
    inner: Mutex<FactsState>,
}

type FactsResult = Result<Arc<CrateFacts>, CrateFactsError>;

#[derive(Debug, Default)]
struct FactsState {
    /// File texts (`None`: missing). Read errors are not remembered.
    texts: HashMap<PathBuf, Option<Arc<str>>>,
    /// The package manifest each directory belongs to (`None`: not in a package).
    dirs: HashMap<PathBuf, Result<Option<PathBuf>, CrateFactsError>>,
    /// Facts per package manifest, with every file consulted to build them.
    manifests: HashMap<PathBuf, (FactsResult, Vec<PathBuf>)>,
}

/// Reads through the cache's text memo and records what was consulted.
struct Memo<'a> {
    texts: &'a mut HashMap<PathBuf, Option<Arc<str>>>,
    read: &'a dyn Fn(&Path) -> io::Result<Option<String>>,
    consulted: Vec<PathBuf>,
}

impl Source for Memo<'_> {
    fn text(&mut self, path: &Path) -> Result<Option<Arc<str>>, CrateFactsError> {
        self.consulted.push(path.to_path_buf());
        if let Some(text) = self.texts.get(path) {
            return Ok(text.clone());
        }
        let text = (self.read)(path)
            .map_err(|e| CrateFactsError::io(path, &e))?
            .map(Arc::<str>::from);
        self.texts.insert(path.to_path_buf(), text.clone());
        Ok(text)
    }
}

impl CrateFactsCache {
    pub fn new() -> CrateFactsCache {
        CrateFactsCache::default()
    }

    fn state(&self) -> MutexGuard<'_, FactsState> {
        // Entries are inserted whole, so a lock poisoned by a panic elsewhere still
        // guards consistent maps.
        self.inner
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// The facts for `file`'s crate, as [`discover`] would build them.
    pub fn discover(
        &self,
        file: &Path,
        read: &dyn Fn(&Path) -> io::Result<Option<String>>,
    ) -> Result<Arc<CrateFacts>, CrateFactsError> {
        let file = normalize_path(file);
        let start = file.parent().unwrap_or(&file).to_path_buf();
        let mut guard = self.state();
        let state = &mut *guard;
        let manifest = match state.dirs.get(&start) {
            Some(hit) => hit.clone()?,
            None => {
                let mut memo = Memo {
                    texts: &mut state.texts,
                    read,
                    consulted: Vec::new(),
                };
                let found =
                    find_package_manifest(&start, &mut memo).map(|m| m.map(|(path, _)| path));
                state.dirs.insert(start, found.clone());
                found?
            }
        };
        let Some(manifest) = manifest else {
            return Ok(Arc::new(CrateFacts::none()));
        };
        if let Some((facts, _)) = state.manifests.get(&manifest) {
            return facts.clone();
        }
        let mut memo = Memo {
            texts: &mut state.texts,
            read,
            consulted: Vec::new(),
        };
        let facts = match memo.text(&manifest) {
            Ok(Some(text)) => match parse_table(&manifest, &text) {
                Ok(table) => facts_for_manifest(&manifest, &table, &mut memo).map(Arc::new),
                Err(e) => Err(e),
            },
            Ok(None) => Ok(Arc::new(CrateFacts::none())),
            Err(e) => Err(e),
        };
        let consulted = memo.consulted;
        state.manifests.insert(manifest, (facts.clone(), consulted));
        facts
    }

    /// Forgets everything `changed` can affect: its text, the facts of every package
    /// that consulted it, and the package lookup of every directory at or below it.
    pub fn invalidate(&self, changed: &Path) {
        let changed = normalize_path(changed);
        let affected = changed.parent().unwrap_or(&changed).to_path_buf();
        let mut state = self.state();
        state.texts.remove(&changed);
        state.dirs.retain(|dir, _| !dir.starts_with(&affected));
        state.manifests.retain(|manifest, (_, consulted)| {
            !consulted.contains(&changed)
                && !manifest.parent().is_some_and(|d| d.starts_with(&affected))
        });
    }

    pub fn clear(&self) {
        let mut state = self.state();
        state.texts.clear();
        state.dirs.clear();
        state.manifests.clear();
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // A failed unwrap is a failed test.
mod tests {
    use super::*;

    const WS: &str = r#"
[workspace]
members = ["crates/*"]
exclude = ["demo"]
[workspace.dependencies]
tokio = { version = "1.40", features = ["rt"] }
serde = "1"
nodefault = { version = "0.3", default-features = false }
http-client = { package = "reqwest", version = "0.12", features = ["json"] }
"#;

    const MEMBER: &str = r#"
[package]
name = "svc"
version = "0.1.0"
[dependencies]
tokio = { workspace = true, features = ["time", "macros"] }
serde.workspace = true
nodefault = { workspace = true }
http-client = { workspace = true }
sqlx = { version = "0.8", default-features = false, features = ["postgres"], optional = true }
uuid = "1.10"
old_reqwest = { package = "reqwest", version = "0.11" }
local = { path = "../local" }
[target.'cfg(unix)'.dependencies]
tokio = { workspace = true, features = ["signal"] }
nix = "0.29"
[dev-dependencies]
proptest = "1"
[build-dependencies]
cc = "1"
"#;

    const LOCK: &str = r#"
version = 4
[[package]]
name = "reqwest"
version = "0.11.27"
source = "registry+https://github.com/rust-lang/crates.io-index"
[[package]]
name = "reqwest"
version = "0.12.9"
source = "registry+https://github.com/rust-lang/crates.io-index"
[[package]]
name = "svc"
version = "0.1.0"
dependencies = ["reqwest 0.11.27", "reqwest 0.12.9", "tokio", "uuid"]
[[package]]
name = "tokio"
version = "1.41.1"
source = "registry+https://github.com/rust-lang/crates.io-index"
[[package]]
name = "uuid"
version = "1.11.0"
source = "registry+https://github.com/rust-lang/crates.io-index"
"#;

    fn facts() -> CrateFacts {
        CrateFacts::parse(
            Path::new("/ws/crates/svc/Cargo.toml"),
            MEMBER,
            Some((Path::new("/ws/Cargo.toml"), WS)),
            Some(LOCK),
        )
        .unwrap()
    }

    #[test]
    fn package_and_dependencies() {
        let f = facts();
        assert_eq!(f.manifest_dir.as_deref(), Some(Path::new("/ws/crates/svc")));
        assert_eq!(f.package_name.as_deref(), Some("svc"));
        let keys: Vec<&str> = f.deps.keys().map(String::as_str).collect();
        assert_eq!(
            keys,
            [
                "http_client",
                "local",
                "nix",
                "nodefault",
                "old_reqwest",
                "serde",
                "sqlx",
                "tokio",
                "uuid"
            ]
        );
        assert!(!f.has_dep("proptest") && !f.has_dep("cc"));
    }

    #[test]
    fn workspace_dependencies_merge_features() {
        let f = facts();
        let tokio = f.dep("tokio").unwrap();
        assert_eq!(tokio.version_req.as_deref(), Some("1.40"));
        let features: Vec<&str> = tokio.features.iter().map(String::as_str).collect();
        assert_eq!(features, ["macros", "rt", "signal", "time"]);
        assert!(f.has_feature("tokio", "rt") && f.has_feature("tokio", "signal"));
        assert!(!f.has_feature("tokio", "full"));
        assert_eq!(
            f.dep("serde").and_then(|d| d.version_req.as_deref()),
            Some("1")
        );
        assert!(!f.dep("nodefault").unwrap().default_features);
        let sqlx = f.dep("sqlx").unwrap();
        assert!(!sqlx.default_features && sqlx.optional);
        assert!(f.dep("tokio").unwrap().default_features);
        assert_eq!(f.dep("local").and_then(|d| d.version_req.clone()), None);
    }

    #[test]
    fn renamed_dependencies() {
        let f = facts();
        // Renamed in the workspace, used through `workspace = true`.
        let client = f.dep("http-client").unwrap();
        assert_eq!(client.package, "reqwest");
        assert_eq!(f.dep("http_client"), Some(client));
        assert!(f.has_feature("http_client", "json"));
        assert_eq!(f.version("http_client"), Some((0, 12)));
        // Renamed in the member; the lock lists two reqwest versions.
        let old = f.dep("old_reqwest").unwrap();
        assert_eq!(old.package, "reqwest");
        assert_eq!(old.locked_version.as_deref(), Some("0.11.27"));
        assert!(!f.has_dep("reqwest"));
        let (key, _) = f.dep_by_package("reqwest").unwrap();
        assert!(key == "http_client" || key == "old_reqwest");
    }

    #[test]
    fn locked_versions() {
        let f = facts();
        assert_eq!(
            f.dep("tokio").and_then(|d| d.locked_version.as_deref()),
            Some("1.41.1")
        );
        assert_eq!(f.version("tokio"), Some((1, 41)));
        assert_eq!(
            f.dep("http_client")
                .and_then(|d| d.locked_version.as_deref()),
            Some("0.12.9")
        );
        assert_eq!(f.version("uuid"), Some((1, 11)));
        // Not in the lock: from the requirement.
        assert_eq!(f.dep("nix").and_then(|d| d.locked_version.as_deref()), None);
        assert_eq!(f.version("nix"), Some((0, 29)));
        assert_eq!(f.version("serde"), Some((1, 0)));
        assert_eq!(f.version("local"), None);
        assert_eq!(f.version("missing"), None);
    }

    #[test]
    fn lock_without_our_package_uses_compatible_versions() {
        let manifest = "[package]\nname = \"other\"\n[dependencies]\nreqwest = \"0.11\"\n";
        let f = CrateFacts::parse(Path::new("/o/Cargo.toml"), manifest, None, Some(LOCK)).unwrap();
        assert_eq!(
            f.dep("reqwest").and_then(|d| d.locked_version.as_deref()),
            Some("0.11.27")
        );
        let broken =
            CrateFacts::parse(Path::new("/o/Cargo.toml"), manifest, None, Some("[[[")).unwrap();
        assert_eq!(broken.version("reqwest"), Some((0, 11)));
    }

    #[test]
    fn requirement_parsing() {
        for (req, want) in [
            ("0.12", Some((0, 12))),
            ("^1.2.3", Some((1, 2))),
            ("~0.4", Some((0, 4))),
            ("=2.0.0-rc.1", Some((2, 0))),
            (">= 1.5, < 2", Some((1, 5))),
            ("1", Some((1, 0))),
            ("1.*", Some((1, 0))),
            ("*", None),
            ("", None),
        ] {
            assert_eq!(parse_major_minor(req), want, "{req}");
        }
    }

    #[test]
    fn has_main_from_bins_and_autobins() {
        let with_bin =
            "[package]\nname = \"a\"\n[[bin]]\nname = \"tool\"\npath = \"src/tool.rs\"\n";
        let t = parse_table(Path::new("/a/Cargo.toml"), with_bin).unwrap();
        assert!(from_tables(Path::new("/a/Cargo.toml"), &t, None, None, false).has_main);
        let plain = parse_table(Path::new("/a/Cargo.toml"), "[package]\nname = \"a\"\n").unwrap();
        assert!(from_tables(Path::new("/a/Cargo.toml"), &plain, None, None, true).has_main);
        assert!(!from_tables(Path::new("/a/Cargo.toml"), &plain, None, None, false).has_main);
        let off = parse_table(
            Path::new("/a/Cargo.toml"),
            "[package]\nname = \"a\"\nautobins = false\n",
        )
        .unwrap();
        assert!(!from_tables(Path::new("/a/Cargo.toml"), &off, None, None, true).has_main);
    }

    #[test]
    fn own_workspace_root_and_errors() {
        let both =
            "[package]\nname = \"r\"\n[workspace]\n[workspace.dependencies]\nlog = \"0.4\"\n\
                    [dependencies]\nlog = { workspace = true, features = [\"std\"] }\n";
        let f = CrateFacts::parse(Path::new("/r/Cargo.toml"), both, None, None).unwrap();
        assert_eq!(
            f.dep("log").and_then(|d| d.version_req.as_deref()),
            Some("0.4")
        );
        assert!(f.has_feature("log", "std"));

        let err = CrateFacts::parse(
            Path::new("/r/Cargo.toml"),
            "[package]\nname = \"r\"\nname = \"s\"\n",
            None,
            None,
        )
        .unwrap_err();
        assert_eq!(
            err.to_string(),
            "/r/Cargo.toml:3:1: invalid TOML: duplicate key"
        );
        let err = CrateFacts::parse(
            Path::new("/r/Cargo.toml"),
            "[package]\n",
            Some((Path::new("/Cargo.toml"), "x")),
            None,
        )
        .unwrap_err();
        assert_eq!(
            (err.path.as_path(), err.line),
            (Path::new("/Cargo.toml"), 1)
        );

        // Odd shapes are skipped, not errors.
        let odd = "[package]\nname = 3\n[dependencies]\na = 1\nb = { features = \"x\" }\n[target]\nx = 1\n";
        let f = CrateFacts::parse(Path::new("/r/Cargo.toml"), odd, None, None).unwrap();
        assert_eq!(f.package_name, None);
        assert!(!f.has_dep("a") && f.has_dep("b"));
    }

    #[test]
    fn digest_is_stable() {
        assert_eq!(facts().digest(), facts().digest());
        let moved = CrateFacts::parse(
            Path::new("/else/svc/Cargo.toml"),
            MEMBER,
            Some((Path::new("/else/Cargo.toml"), WS)),
            Some(LOCK),
        )
        .unwrap();
        assert_eq!(moved.digest(), facts().digest());
        assert_ne!(CrateFacts::none().digest(), facts().digest());
        let unlocked = CrateFacts::parse(
            Path::new("/ws/crates/svc/Cargo.toml"),
            MEMBER,
            Some((Path::new("/ws/Cargo.toml"), WS)),
            None,
        )
        .unwrap();
        assert_ne!(unlocked.digest(), facts().digest());
    }
}
