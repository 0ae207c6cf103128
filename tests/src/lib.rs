//! Helpers for precept's end-to-end tests: locate (or build) the real `precept`
//! binary, run it, and prepare scratch copies of the demo service.

// precept:allow-file(unwrap-in-boundary): a test harness: failing to set up must fail the test

pub mod lsp;

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::OnceLock;

/// The repository root.
pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_default()
}

/// Path of the `precept` binary of this build, building it if a test runs alone
/// (`cargo test -p precept-tests` does not build other packages' binaries).
pub fn precept_bin() -> &'static Path {
    static BIN: OnceLock<PathBuf> = OnceLock::new();
    BIN.get_or_init(|| {
        let exe = std::env::current_exe().unwrap_or_default();
        // target/<profile>/deps/<test-binary>
        let profile_dir = exe
            .parent()
            .and_then(Path::parent)
            .map(Path::to_path_buf)
            .unwrap_or_default();
        let bin = profile_dir.join(format!("precept{}", std::env::consts::EXE_SUFFIX));
        let status = Command::new(env!("CARGO"))
            .args(["build", "--quiet", "-p", "precept", "--bin", "precept"])
            .current_dir(repo_root())
            .status();
        match status {
            Ok(s) if s.success() && bin.exists() => bin,
            Ok(s) => panic!(
                "building precept failed ({s}); expected the binary at {}",
                bin.display()
            ),
            Err(e) => panic!("cannot run cargo to build precept: {e}"),
        }
    })
}

/// The outcome of one run.
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

/// Run `precept` with `args` in `dir`, feeding `stdin`.
pub fn run_in(dir: &Path, args: &[&str], stdin: Option<&str>) -> Run {
    let mut cmd = Command::new(precept_bin());
    cmd.args(args)
        .current_dir(dir)
        .env_remove("PRECEPT_LOG")
        .env("NO_COLOR", "1")
        .stdin(if stdin.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = match cmd.spawn() {
        Ok(c) => c,
        Err(e) => panic!("cannot start precept: {e}"),
    };
    if let (Some(text), Some(mut pipe)) = (stdin, child.stdin.take()) {
        use std::io::Write;
        if let Err(e) = pipe.write_all(text.as_bytes()) {
            panic!("cannot write stdin: {e}");
        }
    }
    let output: Output = match child.wait_with_output() {
        Ok(o) => o,
        Err(e) => panic!("precept did not finish: {e}"),
    };
    Run {
        code: output.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    }
}

/// Copy a directory tree (for running `--fix` on a scratch copy of the demo).
pub fn copy_dir(from: &Path, to: &Path) -> std::io::Result<()> {
    std::fs::create_dir_all(to)?;
    for entry in std::fs::read_dir(from)? {
        let entry = entry?;
        let target = to.join(entry.file_name());
        if entry.file_type()?.is_dir() {
            copy_dir(&entry.path(), &target)?;
        } else {
            std::fs::copy(entry.path(), &target)?;
        }
    }
    Ok(())
}

/// A scratch copy of the demo service in a temporary directory.
pub fn demo_copy() -> tempfile::TempDir {
    let dir = match tempfile::tempdir() {
        Ok(d) => d,
        Err(e) => panic!("cannot create a temporary directory: {e}"),
    };
    if let Err(e) = copy_dir(&repo_root().join("demo"), &dir.path().join("demo")) {
        panic!("cannot copy the demo: {e}");
    }
    dir
}
