// End-to-end test of the packaged extension in real VS Code: code-server (VS Code
// in the browser) with the .vsix installed, driven in Debian's Chromium by
// playwright-core. Run by editors/test.sh; the environment says where things are:
//
//   PRECEPT_BIN        the precept binary (set as precept.path in the user settings)
//   PRECEPT_VSIX       the packaged extension
//   NODE24             the Node 24 binary that runs code-server
//   CODE_SERVER        the code-server package directory
//   TEST_TOOLS         the directory whose node_modules has playwright-core
//   DEMO_DIR           the demo service to copy (opened as the workspace)
//   SCREENSHOT         where to save the screenshot of the diagnostics
//
// Every wait is on a condition with a deadline; every process started here is
// stopped by PID (code-server by its process group, which also holds its file
// watcher and extension host, and so the precept server).

import { spawn, spawnSync } from "node:child_process";
import fs from "node:fs";
import { createRequire } from "node:module";
import net from "node:net";
import os from "node:os";
import path from "node:path";

const env = (name) => {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set`);
  return value;
};
const PRECEPT_BIN = env("PRECEPT_BIN");
const VSIX = env("PRECEPT_VSIX");
const NODE24 = env("NODE24");
const CODE_SERVER = env("CODE_SERVER");
const SCREENSHOT = env("SCREENSHOT");
const DEMO_DIR = env("DEMO_DIR");
const { chromium } = createRequire(path.join(env("TEST_TOOLS"), "package.json"))("playwright-core");

const FIX = "Add a 30 s timeout";
const FIXED_LINE = 'Client::builder().user_agent("orders/1.0").timeout(Duration::from_secs(30)).build()';

const started = Date.now();
const log = (message) => console.log(`[vscode ${((Date.now() - started) / 1000).toFixed(1)}s] ${message}`);

/** An error that ends a waitFor at once instead of being retried. */
class Fatal extends Error {}

/** Poll `check` until it returns a truthy value, or fail after `ms`. */
async function waitFor(what, check, ms = 30000) {
  const deadline = Date.now() + ms;
  let lastError;
  for (;;) {
    const value = await check().catch((err) => {
      if (err instanceof Fatal) throw err;
      lastError = err;
      return undefined;
    });
    if (value) return value;
    if (Date.now() > deadline) {
      const cause = lastError ? ` (last error: ${String(lastError.message ?? lastError).split("\n")[0]})` : "";
      throw new Error(`timed out after ${ms} ms waiting for ${what}${cause}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

// --- A throwaway home for code-server: config, data, extensions, workspace. ---
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "precept-vscode-e2e-"));
const dirs = {
  home: path.join(tmp, "home"),
  data: path.join(tmp, "data"),
  extensions: path.join(tmp, "extensions"),
  workspace: path.join(tmp, "demo"),
};
for (const dir of Object.values(dirs)) fs.mkdirSync(dir, { recursive: true });
fs.cpSync(DEMO_DIR, dirs.workspace, {
  recursive: true,
  filter: (src) => !/[/\\](target|\.precept_cache)$/.test(src),
});
const configFile = path.join(tmp, "config.yaml");
fs.writeFileSync(configFile, "auth: none\ncert: false\n");
fs.mkdirSync(path.join(dirs.data, "User"), { recursive: true });
const settings = {
  "precept.path": PRECEPT_BIN,
  "security.workspace.trust.enabled": false,
  "workbench.startupEditor": "none",
  "workbench.tips.enabled": false,
  "workbench.welcomePage.walkthroughs.openOnInstall": false,
  "workbench.secondarySideBar.defaultVisibility": "hidden",
  "chat.disableAIFeatures": true,
  "telemetry.telemetryLevel": "off",
  "update.mode": "none",
  "extensions.autoCheckUpdates": false,
  "extensions.ignoreRecommendations": true,
  "git.enabled": false,
  "editor.minimap.enabled": false,
  // The protocol in the extension's log: kept with the test data when a run fails.
  "precept.trace.server": "verbose",
};
fs.writeFileSync(path.join(dirs.data, "User", "settings.json"), JSON.stringify(settings, null, 2));
const childEnv = {
  ...process.env,
  HOME: dirs.home,
  XDG_CONFIG_HOME: path.join(dirs.home, ".config"),
  XDG_DATA_HOME: path.join(dirs.home, ".local", "share"),
  XDG_CACHE_HOME: path.join(dirs.home, ".cache"),
};
const codeServerArgs = [
  path.join(CODE_SERVER, "out", "node", "entry.js"),
  "--config", configFile,
  "--user-data-dir", dirs.data,
  "--extensions-dir", dirs.extensions,
];

let codeServer;
let browser;

async function stopAll() {
  if (browser) {
    await browser.close().catch(() => {});
    browser = undefined;
  }
  if (codeServer && codeServer.exitCode === null && codeServer.signalCode === null) {
    const pgid = codeServer.pid;
    const exited = new Promise((resolve) => codeServer.once("exit", resolve));
    try {
      process.kill(-pgid, "SIGTERM");
    } catch {}
    const timer = new Promise((resolve) => setTimeout(resolve, 10000, "timeout"));
    if ((await Promise.race([exited, timer])) === "timeout") log("code-server did not exit on SIGTERM");
  }
  if (codeServer) {
    // Whatever is left in its process group (the file watcher, the extension host,
    // the precept server) goes too.
    const deadline = Date.now() + 10000;
    while (groupAlive(codeServer.pid) && Date.now() < deadline) {
      try {
        process.kill(-codeServer.pid, "SIGKILL");
      } catch {}
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    if (groupAlive(codeServer.pid)) log(`process group ${codeServer.pid} is still alive`);
    codeServer = undefined;
  }
}

function groupAlive(pgid) {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch {
    return false;
  }
}

async function main() {
  // 1. Install the .vsix the way a user would.
  const install = spawnSync(NODE24, [...codeServerArgs, "--install-extension", VSIX], {
    env: childEnv,
    encoding: "utf8",
    timeout: 120000,
  });
  if (install.status !== 0 || !/successfully installed/.test(install.stdout)) {
    throw new Error(`--install-extension failed (${install.status}):\n${install.stdout}\n${install.stderr}`);
  }
  log("extension installed");

  // 2. Start code-server on a free loopback port, in its own process group.
  const port = await freePort();
  const logFile = path.join(tmp, "code-server.log");
  const out = fs.openSync(logFile, "a");
  codeServer = spawn(
    NODE24,
    [
      ...codeServerArgs,
      "--auth", "none",
      "--bind-addr", `127.0.0.1:${port}`,
      "--disable-telemetry",
      "--disable-update-check",
      "--disable-workspace-trust",
      "--disable-getting-started-override",
      dirs.workspace,
    ],
    { env: childEnv, detached: true, stdio: ["ignore", out, out] },
  );
  fs.closeSync(out);
  const base = `http://127.0.0.1:${port}`;
  await waitFor("code-server to answer /healthz", async () => {
    if (codeServer.exitCode !== null) throw new Fatal(`code-server exited with ${codeServer.exitCode}`);
    const response = await fetch(`${base}/healthz`);
    return response.ok;
  }, 60000).catch((err) => {
    throw new Error(`${err.message}\n${fs.readFileSync(logFile, "utf8")}`);
  });
  log(`code-server is up on ${base} (pid ${codeServer.pid})`);

  // 3. Chromium.
  browser = await chromium.launch({
    executablePath: "/usr/bin/chromium",
    headless: true,
    args: [
      "--no-sandbox",
      "--disable-gpu",
      "--disable-dev-shm-usage",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      "--no-first-run",
    ],
  });
  const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  page.setDefaultTimeout(30000);
  await page.goto(`${base}/?folder=${encodeURIComponent(dirs.workspace)}`);
  await page.locator(".monaco-workbench").waitFor();
  log("workbench loaded");

  // 4. Open src/clients.rs from the Explorer.
  const editor = page.locator(".editor-instance .monaco-editor").first();
  const explorerRow = (name) =>
    page.locator(".explorer-folders-view .monaco-list-row", { has: page.locator(".label-name", { hasText: new RegExp(`^${name.replace(".", "\\.")}$`) }) }).first();
  await explorerRow("src").waitFor();
  if (!(await explorerRow("clients.rs").isVisible())) await explorerRow("src").click();
  await explorerRow("clients.rs").click();
  await page.locator(".tab", { hasText: "clients.rs" }).first().waitFor();
  await editor.locator(".view-lines", { hasText: "shipping_client" }).waitFor();
  log("clients.rs is open");

  // 5. precept's squiggle in the editor and its entry in the Problems panel.
  await editor.locator(".squiggly-warning").first().waitFor({ timeout: 30000 });
  log(`squiggles: ${await editor.locator(".squiggly-warning").count()} warning`);
  await page.keyboard.press("Control+Shift+M");
  const problems = page.locator(".markers-panel .monaco-list-row");
  const entry = problems.filter({ hasText: "HTTP client built without a timeout" }).first();
  await entry.waitFor();
  const entryText = (await entry.innerText()).replace(/\s+/g, " ");
  if (!/precept/.test(entryText) || !/missing-timeout/.test(entryText)) {
    throw new Error(`the Problems entry does not name precept and the rule: ${entryText}`);
  }
  log(`Problems: ${entryText}`);

  // 6. The screenshot for the README: the squiggles, the hover and the Problems panel.
  // Show the hover at the cursor (Ctrl+K Ctrl+I), on the finding of line 20.
  await gotoLine(page, 20, 10);
  await waitFor("the hover on line 20", async () => {
    await page.keyboard.press("Control+K");
    await page.keyboard.press("Control+I");
    // precept's own hover (the rule's standard and why), not only the diagnostic.
    await page.locator(".monaco-hover", { hasText: "Standard:" }).first().waitFor({ timeout: 5000 });
    return true;
  }, 20000);
  fs.mkdirSync(path.dirname(SCREENSHOT), { recursive: true });
  await page.screenshot({ path: SCREENSHOT });
  log(`screenshot: ${SCREENSHOT}`);
  await page.keyboard.press("Escape");

  // 7. The quick fix from Ctrl+. on shipping_client()'s builder.
  const before = await problems.count();
  await gotoLine(page, 20, 10);
  const item = page.locator(".action-widget .monaco-list-row", { hasText: FIX }).first();
  await waitFor("Ctrl+. to offer the fix", async () => {
    await page.keyboard.press("Control+.");
    await item.waitFor({ timeout: 5000 });
    return true;
  });
  const offered = await page.locator(".action-widget .monaco-list-row").allInnerTexts();
  log(`Ctrl+. offers: ${offered.map((t) => t.replace(/\s+/g, " ").trim()).filter(Boolean).join(" | ")}`);
  await item.click();
  await editor.locator(".view-lines", { hasText: ".timeout(Duration::from_secs(30))" }).waitFor();
  log("the fix edited the text");
  await page.keyboard.press("Control+S");
  const file = path.join(dirs.workspace, "src", "clients.rs");
  await waitFor("the saved file to hold the fixed line", async () =>
    fs.readFileSync(file, "utf8").split("\n").some((line) => line.trim() === FIXED_LINE),
  );
  log(`saved: ${FIXED_LINE}`);
  await waitFor("the fixed finding to leave the Problems panel", async () => (await problems.count()) === before - 1);
  log(`Problems entries: ${before} -> ${before - 1}`);

  // 8. Settings reach the running server: raise missing-timeout to error in the
  // workspace settings; the extension forwards the change (seen in the protocol
  // trace, precept.trace.server = verbose).
  if (await editor.locator(".squiggly-error").count()) throw new Error("error squiggles before the override");
  fs.mkdirSync(path.join(dirs.workspace, ".vscode"));
  fs.writeFileSync(
    path.join(dirs.workspace, ".vscode", "settings.json"),
    JSON.stringify({ "precept.rules": { "missing-timeout": "error" } }, null, 2),
  );
  await waitFor("workspace/didChangeConfiguration with the override in the trace", async () =>
    extensionLog()
      .split("Sending notification 'workspace/didChangeConfiguration'")
      .slice(1)
      .some((after) => /"missing-timeout":\s*"error"/.test(after.split("[Trace")[0])),
  );
  log("precept.rules change sent to the server");

  // 9. "precept: Restart Server" starts a new server, which gets the settings as
  // initializationOptions: the squiggles are errors now.
  const count = (needle) => extensionLog().split("\n").filter((l) => l.includes(needle)).length;
  const starts = () => count("] starting ");
  const [startsBefore, readyBefore] = [starts(), count(" ready")];
  await runCommand(page, "precept: Restart Server");
  await waitFor("a new server to start and say it is ready", async () =>
    starts() > startsBefore && count(" ready") > readyBefore,
  );
  await editor.locator(".squiggly-error").first().waitFor();
  log(`restarted (${starts()} server starts in the log): ${await editor.locator(".squiggly-error").count()} error squiggles`);

  // 10. "precept: Show Output" shows the extension's log and the protocol trace.
  await page.keyboard.press("Control+Shift+M");
  await runCommand(page, "precept: Show Output");
  await waitFor("the Output panel to show the precept channel", async () =>
    page.evaluate(() =>
      [...document.querySelectorAll(".part.panel select")].some(
        (select) => select.offsetParent !== null && select.options[select.selectedIndex]?.text === "precept",
      ),
    ),
  );
  await waitFor("the log in the Output panel", async () =>
    (await page.locator(".part.panel .view-lines").allInnerTexts()).some((t) => t.trim() !== ""),
  );
  log("the output shows the server's log");

  // 11. A precept.path that is not a binary: a notification that says how to fix it.
  fs.writeFileSync(
    path.join(dirs.workspace, ".vscode", "settings.json"),
    JSON.stringify({ "precept.path": "/nonexistent/precept" }, null, 2),
  );
  const toast = page.locator(".notification-toast", { hasText: "not an executable file" }).first();
  await toast.waitFor();
  log(`notification: ${(await toast.innerText()).replace(/\s+/g, " ").trim()}`);
}

/** The extension's log file (its LogOutputChannel) in code-server's data directory. */
function extensionLog() {
  const logs = path.join(dirs.data, "logs");
  let text = "";
  for (const session of fs.readdirSync(logs)) {
    const dir = path.join(logs, session);
    for (const host of fs.readdirSync(dir).filter((d) => d.startsWith("exthost"))) {
      const file = path.join(dir, host, "precept-dev.precept", "precept.log");
      if (fs.existsSync(file)) text += fs.readFileSync(file, "utf8");
    }
  }
  return text;
}

/** Run a command from the Command Palette by its title. */
async function runCommand(page, title) {
  await page.keyboard.press("Control+Shift+P");
  const input = page.locator(".quick-input-widget input");
  await input.waitFor();
  await input.fill(`>${title}`);
  await page.locator(".quick-input-list .monaco-list-row", { hasText: title }).first().waitFor();
  await page.keyboard.press("Enter");
  await input.waitFor({ state: "hidden" });
}

const timeout = setTimeout(() => {
  console.error("FAIL: the whole test took longer than 300 s");
  stopAll().finally(() => process.exit(1));
}, 300000);
for (const signal of ["SIGINT", "SIGTERM"]) {
  process.once(signal, () => {
    console.error(`FAIL: ${signal}`);
    stopAll().finally(() => process.exit(1));
  });
}

let failed = false;
try {
  await main();
  log("PASS");
} catch (err) {
  failed = true;
  console.error(`FAIL: ${err.stack ?? err}`);
  if (browser) {
    const pages = browser.contexts().flatMap((c) => c.pages());
    const failure = path.join(tmp, "failure.png");
    if (pages[0]) await pages[0].screenshot({ path: failure }).catch(() => {});
    console.error(`state kept for inspection in ${tmp} (failure.png, code-server.log)`);
  }
} finally {
  await stopAll();
  clearTimeout(timeout);
  if (!failed && !process.env.KEEP_TMP) fs.rmSync(tmp, { recursive: true, force: true });
}
process.exit(failed ? 1 : 0);

/** Go to line:column with Quick Open's ":" mode, leaving the focus in the editor. */
async function gotoLine(page, line, column) {
  await page.keyboard.press("Control+P");
  const input = page.locator(".quick-input-widget input");
  await input.waitFor();
  await input.fill(`:${line}:${column}`);
  await page.locator(".quick-input-widget", { hasText: `line ${line}` }).first().waitFor();
  await page.keyboard.press("Enter");
  await page.locator(".quick-input-widget input").waitFor({ state: "hidden" });
}
