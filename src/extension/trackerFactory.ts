// Debug Adapter Protocol log: when the environment variable VMM_DEBUG_DAP_LOG names a file, every
// message between VS Code and a `vmm` adapter is appended to it, one JSON object per line:
//   {"t":<ms since the session started>,"session":"<id>","dir":"toAdapter"|"fromAdapter"|...,"msg":...}
// "toAdapter" is VS Code → adapter (requests), "fromAdapter" is adapter → VS Code (responses,
// events); "start", "error" and "exit" mark the session's life. The
// end-to-end suite (scripts/e2e.mjs) reads it to check what really crossed the wire, e.g. the
// `stopped` event with reason "exception" naming IO_INSTRUCTION. Not registered otherwise: no cost.
import * as vscode from 'vscode';
import { appendFileSync } from 'node:fs';

export const DAP_LOG_ENV = 'VMM_DEBUG_DAP_LOG';

export class DapLogTrackerFactory implements vscode.DebugAdapterTrackerFactory {
  constructor(private readonly file: string) {}

  createDebugAdapterTracker(session: vscode.DebugSession): vscode.DebugAdapterTracker {
    const start = Date.now();
    const write = (dir: string, msg: unknown): void => {
      try {
        appendFileSync(this.file, JSON.stringify({ t: Date.now() - start, session: session.id, dir, msg }) + '\n');
      } catch {
        // A log that cannot be written must never disturb the debug session.
      }
    };
    return {
      onWillStartSession: () => write('start', { name: session.name, type: session.type }),
      onWillReceiveMessage: (m) => write('toAdapter', m),
      onDidSendMessage: (m) => write('fromAdapter', m),
      onError: (e) => write('error', { message: e.message }),
      onExit: (code, signal) => write('exit', { code, signal }),
    };
  }
}

/** The tracker factory when VMM_DEBUG_DAP_LOG is set, else undefined. */
export function dapLogTrackerFactory(env: NodeJS.ProcessEnv = process.env): DapLogTrackerFactory | undefined {
  const file = env[DAP_LOG_ENV];
  return file ? new DapLogTrackerFactory(file) : undefined;
}
