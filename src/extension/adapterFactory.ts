// Starts the debug adapter (dist/adapter.js) as its own process for every `vmm` session.
//
// Why an executable and not DebugAdapterInlineImplementation: the guest runs in the adapter's event
// loop at full speed; in its own process a runaway guest or an adapter bug cannot stall or crash the
// extension host. Which executable: `process.execPath` is the editor's own runtime (Electron, or
// Node in a remote extension host), always present, unlike a `node` on PATH. ELECTRON_RUN_AS_NODE=1
// makes Electron behave as plain Node (ignored by a real Node binary). A launch.json `debugServer`
// port still wins: VS Code then connects to an adapter started with --server=PORT instead.
import * as vscode from 'vscode';

export class VmmAdapterFactory implements vscode.DebugAdapterDescriptorFactory {
  constructor(private readonly context: vscode.ExtensionContext) {}

  createDebugAdapterDescriptor(session: vscode.DebugSession): vscode.ProviderResult<vscode.DebugAdapterDescriptor> {
    const port = session.configuration.debugServer;
    if (typeof port === 'number' && port > 0) return new vscode.DebugAdapterServer(port, '127.0.0.1');
    const adapter = this.context.asAbsolutePath('dist/adapter.js');
    const env: Record<string, string> = {};
    for (const [k, v] of Object.entries(process.env)) if (v !== undefined) env[k] = v;
    env.ELECTRON_RUN_AS_NODE = '1';
    return new vscode.DebugAdapterExecutable(process.execPath, [adapter], { env, cwd: sessionCwd(session) });
  }
}

/** The adapter runs in the workspace folder: a relative `image` or `cwd` in launch.json starts there. */
function sessionCwd(session: vscode.DebugSession): string | undefined {
  return session.workspaceFolder?.uri.fsPath;
}
