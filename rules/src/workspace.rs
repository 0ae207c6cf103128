//! From a file path to everything the analysis needs to know about it.
//!
//! The CLI and the language server both go through [`Resolver`], so the same file
//! gets the same configuration, crate facts and role in both — one of the ways
//! precept keeps "the editor shows exactly what `precept check` prints".

use std::collections::{BTreeMap, HashMap};
use std::io;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use crate::analysis::FileContext;
use crate::baseline::{Baseline, BaselineError};
use crate::config::{self, Config, ConfigCache, ConfigError};
use crate::crate_facts::{CrateFacts, CrateFactsCache, CrateFactsError};
use crate::project;
use crate::registry;
use crate::rule::Severity;
use crate::suppress::Date;

/// Reads a file, `Ok(None)` when it does not exist. The server passes one that
/// serves unsaved editor buffers first.
pub type ReadFn = dyn Fn(&Path) -> io::Result<Option<String>> + Send + Sync;

/// File contents read so far (`None`: the file does not exist).
type Memo = Mutex<HashMap<PathBuf, Option<String>>>;

/// Why a file's context could not be resolved.
#[derive(Debug, Clone, thiserror::Error)]
pub enum ResolveError {
    #[error(transparent)]
    Config(#[from] ConfigError),
    #[error(transparent)]
    CrateFacts(#[from] CrateFactsError),
    #[error(transparent)]
    Baseline(#[from] BaselineError),
}

/// Resolves file contexts, caching configuration and manifests per directory.
pub struct Resolver {
    configs: ConfigCache,
    facts: CrateFactsCache,
    explicit: Option<Arc<Config>>,
    severities: BTreeMap<String, Severity>,
    today: Date,
    read: Box<ReadFn>,
    /// Files read so far, when reading through the memo of [`Resolver::new`].
    memo: Option<Arc<Memo>>,
    /// Baselines parsed so far, by path.
    baselines: Mutex<HashMap<PathBuf, Result<Arc<Baseline>, BaselineError>>>,
    /// Ignore configured baselines (`precept baseline`, `check --no-baseline`).
    ignore_baseline: bool,
}

impl Resolver {
    /// A resolver that reads from disk, remembering what it read: for one-shot runs
    /// such as `precept check`, where thousands of files share parents, manifests
    /// and configuration. Call [`Resolver::invalidate`] for files that change.
    pub fn new() -> Resolver {
        let memo: Arc<Memo> = Arc::default();
        let read_memo = memo.clone();
        let mut resolver = Resolver::with_reader(Box::new(move |path: &Path| {
            let mut memo = read_memo.lock().unwrap_or_else(|p| p.into_inner());
            if let Some(hit) = memo.get(path) {
                return Ok(hit.clone());
            }
            let text = config::read_from_disk(path)?;
            memo.insert(path.to_path_buf(), text.clone());
            Ok(text)
        }));
        resolver.memo = Some(memo);
        resolver
    }

    pub fn with_reader(read: Box<ReadFn>) -> Resolver {
        Resolver {
            configs: ConfigCache::new(),
            facts: CrateFactsCache::new(),
            explicit: None,
            severities: BTreeMap::new(),
            today: Date::today(),
            read,
            memo: None,
            baselines: Mutex::default(),
            ignore_baseline: false,
        }
    }

    /// Report every finding, whatever baseline the configuration names.
    pub fn set_ignore_baseline(&mut self, ignore: bool) {
        self.ignore_baseline = ignore;
    }

    /// The baseline `config` names, parsed (and remembered), or `None` when it names
    /// none or baselines are ignored.
    pub fn baseline_for(&self, config: &Config) -> Result<Option<Arc<Baseline>>, BaselineError> {
        let Some(path) = config.baseline_path().filter(|_| !self.ignore_baseline) else {
            return Ok(None);
        };
        let mut memo = self.baselines.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(hit) = memo.get(&path) {
            return hit.clone().map(Some);
        }
        let loaded = match (self.read)(&path) {
            Ok(Some(text)) => Baseline::parse(&text, &path).map(Arc::new),
            Ok(None) => Err(BaselineError::Missing { path: path.clone() }),
            Err(e) => Err(BaselineError::Read {
                path: path.clone(),
                message: e.to_string(),
            }),
        };
        memo.insert(path, loaded.clone());
        loaded.map(Some)
    }

    /// Use this configuration file for every file instead of discovering one.
    pub fn set_explicit_config(&mut self, path: &Path) -> Result<(), ConfigError> {
        let text = (self.read)(path)
            .map_err(|e| ConfigError::io(path, &e))?
            .ok_or_else(|| {
                ConfigError::io(
                    path,
                    &io::Error::new(io::ErrorKind::NotFound, "file not found"),
                )
            })?;
        let config = Config::parse_explicit(&text, path, &registry::is_known)?;
        self.explicit = Some(Arc::new(config));
        Ok(())
    }

    /// Per-rule levels laid on top of every configuration (`--select`/`--ignore`,
    /// editor settings).
    pub fn set_severity_overrides(&mut self, severities: BTreeMap<String, Severity>) {
        self.severities = severities;
    }

    /// Fix "today" (suppression expiry) for reproducible runs and tests.
    pub fn set_today(&mut self, today: Date) {
        self.today = today;
    }

    pub fn today(&self) -> Date {
        self.today
    }

    /// The configuration in force for `file`, with overrides applied.
    pub fn config_for(&self, file: &Path) -> Result<Arc<Config>, ConfigError> {
        let base = match &self.explicit {
            Some(c) => c.clone(),
            None => self
                .configs
                .discover(file, &*self.read, &registry::is_known)?,
        };
        if self.severities.is_empty() {
            Ok(base)
        } else {
            Ok(Arc::new(base.with_severity_overrides(&self.severities)))
        }
    }

    /// The configuration in force in a directory (for excludes while walking).
    pub fn config_for_dir(&self, dir: &Path) -> Result<Arc<Config>, ConfigError> {
        match &self.explicit {
            Some(c) => Ok(c.clone()),
            None => self
                .configs
                .discover_from_dir(dir, &*self.read, &registry::is_known),
        }
    }

    pub fn crate_facts_for(&self, file: &Path) -> Result<Arc<CrateFacts>, CrateFactsError> {
        self.facts.discover(file, &*self.read)
    }

    /// Everything the analysis needs to know about `file` besides its text.
    pub fn context_for(&self, file: &Path) -> Result<FileContext, ResolveError> {
        self.context_with(file, true)
    }

    /// [`Resolver::context_for`] without the baseline: for going on with the rest of
    /// the configuration when the baseline cannot be read.
    pub fn context_without_baseline(&self, file: &Path) -> Result<FileContext, ResolveError> {
        self.context_with(file, false)
    }

    fn context_with(&self, file: &Path, use_baseline: bool) -> Result<FileContext, ResolveError> {
        let abs = absolute(file);
        let config = self.config_for(&abs)?;
        let crate_facts = self.crate_facts_for(&abs)?;
        let manifest_dir = crate_facts.manifest_dir.clone();
        let role = project::file_role(&abs, manifest_dir.as_deref());
        let module = project::module_facts(&abs, manifest_dir.as_deref(), &*self.read);
        let baseline = if use_baseline {
            self.baseline_for(&config)?.and_then(|b| b.for_file(&abs))
        } else {
            None
        };
        Ok(FileContext {
            path: abs,
            role,
            test_module: module.test,
            private_module: module.private,
            crate_facts,
            config,
            today: self.today,
            baseline,
        })
    }

    /// Forget cached configuration and manifests affected by a changed file.
    pub fn invalidate(&self, changed: &Path) {
        if let Some(memo) = &self.memo {
            memo.lock()
                .unwrap_or_else(|p| p.into_inner())
                .remove(changed);
        }
        self.configs.invalidate(changed);
        self.facts.invalidate(changed);
        self.baselines
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .remove(changed);
    }
}

impl Default for Resolver {
    fn default() -> Self {
        Resolver::new()
    }
}

/// An absolute form of `path` without touching the file system beyond the current
/// directory (no symlink resolution, so paths stay as the user wrote them).
pub fn absolute(path: &Path) -> PathBuf {
    std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf())
}
