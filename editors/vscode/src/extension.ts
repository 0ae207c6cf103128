// The precept extension: find the `precept` binary, run `precept server` as a
// language server for Rust files, pass the `precept.*` settings through, and
// offer a restart. All lint logic lives in the server.

import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as vscode from "vscode";
import {
  LanguageClient,
  type LanguageClientOptions,
  type ServerOptions,
} from "vscode-languageclient/node";

const exe = process.platform === "win32" ? "precept.exe" : "precept";

let client: LanguageClient | undefined;
let output: vscode.LogOutputChannel;
// Serialises start/stop so that a restart during a start cannot leave two servers.
let queue: Promise<void> = Promise.resolve();
// Set while a restart for a changed setting is pending: the old client must not
// forward that change to a server that is about to stop.
let restarting = false;

export function activate(context: vscode.ExtensionContext): void {
  output = vscode.window.createOutputChannel("precept", { log: true });
  context.subscriptions.push(
    output,
    vscode.commands.registerCommand("precept.restartServer", () => run(() => restart(context))),
    vscode.commands.registerCommand("precept.showOutput", () => output.show(true)),
    vscode.workspace.onDidChangeConfiguration((e) => {
      // Rules are pushed to the running server (workspace/didChangeConfiguration);
      // the binary and the diagnostics scope are fixed when the server starts.
      if (e.affectsConfiguration("precept.path") || e.affectsConfiguration("precept.diagnostics.scope")) {
        restarting = true;
        void run(async () => {
          await stop();
          restarting = false;
          await start(context);
        });
      }
    }),
  );
  void run(() => start(context));
}

export function deactivate(): Thenable<void> | undefined {
  return run(stop);
}

function run(task: () => Promise<void>): Promise<void> {
  queue = queue.then(task).catch((err: unknown) => {
    output.error(`precept: ${String(err)}`);
  });
  return queue;
}

async function restart(context: vscode.ExtensionContext): Promise<void> {
  await stop();
  await start(context);
}

async function stop(): Promise<void> {
  const running = client;
  client = undefined;
  if (running) {
    await running.dispose(2000);
  }
}

async function start(context: vscode.ExtensionContext): Promise<void> {
  const found = findBinary(context);
  if ("problem" in found) {
    output.error(found.problem);
    // Not awaited: a notification nobody answers must not hold up the next restart.
    void vscode.window
      .showErrorMessage(`precept: ${found.problem}`, "Open Settings", "Show Output")
      .then((choice) => {
        if (choice === "Open Settings") {
          void vscode.commands.executeCommand("workbench.action.openSettings", "precept.path");
        } else if (choice === "Show Output") {
          output.show(true);
        }
      });
    return;
  }
  const command = found.command;
  output.info(`starting ${command} server`);

  const serverOptions: ServerOptions = {
    run: { command, args: ["server"] },
    debug: { command, args: ["server", "--log-level", "debug"] },
  };
  const clientOptions: LanguageClientOptions = {
    documentSelector: [
      { scheme: "file", language: "rust" },
      { scheme: "untitled", language: "rust" },
    ],
    initializationOptions: settings(),
    // Answers workspace/configuration for the "precept" section and forwards changes.
    synchronize: { configurationSection: "precept" },
    outputChannel: output,
    middleware: {
      workspace: {
        didChangeConfiguration: (sections, next) => (restarting ? Promise.resolve() : next(sections)),
      },
    },
  };
  const next = new LanguageClient("precept", "precept", serverOptions, clientOptions);
  client = next;
  try {
    await next.start();
  } catch (err) {
    client = undefined;
    const message = `precept: the server (${command}) failed to start: ${String(err)}`;
    output.error(message);
    void vscode.window.showErrorMessage(message, "Show Output").then((choice) => {
      if (choice) output.show(true);
    });
  }
}

/** The settings the server reads: level overrides and the diagnostics scope. */
function settings(): object {
  const config = vscode.workspace.getConfiguration("precept");
  return {
    rules: config.get<Record<string, string>>("rules", {}),
    diagnostics: { scope: config.get<string>("diagnostics.scope", "open") },
  };
}

/** `precept.path`, then `bin/precept` inside the extension, then `PATH`. */
function findBinary(context: vscode.ExtensionContext): { command: string } | { problem: string } {
  const configured = vscode.workspace.getConfiguration("precept").get<string>("path", "").trim();
  if (configured) {
    const resolved = expand(configured);
    if (isExecutable(resolved)) return { command: resolved };
    return {
      problem:
        `\`precept.path\` is "${configured}", but ${resolved} is not an executable file. ` +
        'Fix or clear the setting, then run "precept: Restart Server".',
    };
  }
  const bundled = context.asAbsolutePath(path.join("bin", exe));
  if (isExecutable(bundled)) return { command: bundled };
  for (const dir of (process.env.PATH ?? "").split(path.delimiter)) {
    const candidate = path.join(dir || ".", exe);
    if (dir && isExecutable(candidate)) return { command: candidate };
  }
  return {
    problem:
      "the `precept` binary was not found on PATH. Install it (`cargo install --path server` in a " +
      "precept checkout, or a release binary on your PATH) or set `precept.path` to it, then run " +
      '"precept: Restart Server".',
  };
}

function expand(p: string): string {
  let result = p;
  if (result === "~" || result.startsWith("~/")) {
    result = path.join(os.homedir(), result.slice(1));
  }
  const folder = vscode.workspace.workspaceFolders?.[0]?.uri.fsPath;
  if (folder) {
    result = result.replace(/\$\{workspaceFolder\}/g, folder);
    if (!path.isAbsolute(result)) result = path.join(folder, result);
  }
  return result;
}

function isExecutable(file: string): boolean {
  try {
    fs.accessSync(file, fs.constants.X_OK);
    return fs.statSync(file).isFile();
  } catch {
    return false;
  }
}
