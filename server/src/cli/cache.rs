//! The on-disk result cache in `.precept_cache/`.
//!
//! One JSON file maps a key — a digest of the file's path, its text, everything in
//! its context that can change findings (configuration, crate facts, role, today's
//! date for expiring suppressions) and precept's version — to the file's findings.
//! A warm run reads and hashes each file and looks it up; nothing is parsed.

use std::collections::HashMap;
use std::hash::{Hash, Hasher};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use anyhow::Context;
use precept_rules::analysis::FileContext;
use precept_rules::hash::Hasher64;
use precept_rules::Finding;
use serde::{Deserialize, Serialize};

const DIR: &str = ".precept_cache";
/// Bump when the cache format or the meaning of a key changes.
const FORMAT: u32 = 1;
/// Entries kept from earlier runs at most, so the file cannot grow without bound.
const MAX_ENTRIES: usize = 200_000;

/// Identifies the build of precept doing the checking: the version, plus the
/// executable's size and modification time, so that a rebuilt binary with changed
/// rules (same version, during development) never reads results of the old one.
fn engine_fingerprint() -> u64 {
    static FINGERPRINT: std::sync::OnceLock<u64> = std::sync::OnceLock::new();
    *FINGERPRINT.get_or_init(|| {
        let mut h = Hasher64::default();
        env!("CARGO_PKG_VERSION").hash(&mut h);
        if let Some(meta) = std::env::current_exe()
            .ok()
            .and_then(|p| std::fs::metadata(p).ok())
        {
            meta.len().hash(&mut h);
            if let Ok(modified) = meta.modified() {
                modified.hash(&mut h);
            }
        }
        h.finish()
    })
}

#[derive(Default, Serialize, Deserialize)]
struct Stored {
    format: u32,
    version: String,
    entries: HashMap<String, Vec<Finding>>,
}

pub struct DiskCache {
    path: PathBuf,
    old: HashMap<String, Vec<Finding>>,
    new: Mutex<HashMap<String, Vec<Finding>>>,
}

impl DiskCache {
    /// Open the cache under `root`. A missing, unreadable or outdated cache is empty.
    pub fn open(root: &Path) -> DiskCache {
        let path = root.join(DIR).join("results.json");
        let old = std::fs::read(&path)
            .ok()
            .and_then(|bytes| serde_json::from_slice::<Stored>(&bytes).ok())
            .filter(|s| s.format == FORMAT && s.version == env!("CARGO_PKG_VERSION"))
            .map(|s| s.entries)
            .unwrap_or_default();
        DiskCache {
            path,
            old,
            new: Mutex::new(HashMap::new()),
        }
    }

    pub fn key(&self, display_path: &str, text: &str, ctx: &FileContext) -> u64 {
        let mut h = Hasher64::default();
        engine_fingerprint().hash(&mut h);
        display_path.hash(&mut h);
        text.hash(&mut h);
        ctx.config.digest().hash(&mut h);
        ctx.crate_facts.digest().hash(&mut h);
        ctx.role.as_str().hash(&mut h);
        ctx.test_module.hash(&mut h);
        ctx.private_module.hash(&mut h);
        ctx.today.hash(&mut h);
        ctx.baseline.as_ref().map(|b| b.digest()).hash(&mut h);
        h.finish()
    }

    pub fn get(&self, key: u64) -> Option<Vec<Finding>> {
        let k = format!("{key:016x}");
        let hit = self.old.get(&k).cloned()?;
        self.lock().insert(k, hit.clone());
        Some(hit)
    }

    pub fn put(&self, key: u64, findings: Vec<Finding>) {
        self.lock().insert(format!("{key:016x}"), findings);
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Vec<Finding>>> {
        // Entries are inserted whole; a poisoned lock still holds a usable map.
        self.new.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Write this run's entries, plus earlier ones while there is room.
    pub fn save(self) -> anyhow::Result<()> {
        let mut entries = self.new.into_inner().unwrap_or_else(|p| p.into_inner());
        for (k, v) in self.old {
            if entries.len() >= MAX_ENTRIES {
                break;
            }
            entries.entry(k).or_insert(v);
        }
        let dir = self
            .path
            .parent()
            .map(Path::to_path_buf)
            .unwrap_or_default();
        std::fs::create_dir_all(&dir)
            .with_context(|| format!("cannot create {}", dir.display()))?;
        let ignore = dir.join(".gitignore");
        if !ignore.exists() {
            std::fs::write(
                &ignore,
                "# Created by precept; the cache is local to this machine.\n*\n",
            )?;
        }
        let stored = Stored {
            format: FORMAT,
            version: env!("CARGO_PKG_VERSION").to_owned(),
            entries,
        };
        let tmp = self
            .path
            .with_extension(format!("json.{}.tmp", std::process::id()));
        std::fs::write(&tmp, serde_json::to_vec(&stored)?)?;
        std::fs::rename(&tmp, &self.path)?;
        Ok(())
    }
}
