// The guest's COM1 in a VS Code terminal: what the guest prints (the adapter's `stdout` output
// events, seen through a debug adapter tracker) is written to a Pseudoterminal, and what the user
// types goes to the guest UART through the `vmm/serialInput` custom request (the adapter stamps it
// into the input log, so replay stays exact). Opened by "VMM: Open serial console", or at launch
// when the configuration says `"serial": "terminal"`.
import * as vscode from 'vscode';

const DEBUG_TYPE = 'vmm';

class SerialConsole {
  private readonly write = new vscode.EventEmitter<string>();
  private readonly close = new vscode.EventEmitter<void>();
  readonly terminal: vscode.Terminal;
  private pending = '';
  private opened = false;

  constructor(private readonly session: vscode.DebugSession) {
    const pty: vscode.Pseudoterminal = {
      onDidWrite: this.write.event,
      onDidClose: this.close.event,
      open: () => { this.opened = true; if (this.pending) { this.write.fire(this.pending); this.pending = ''; } },
      close: () => { consoles.delete(this.session.id); },
      handleInput: (data) => {
        // Enter sends CR as a terminal does; the guest's driver decides what a line is.
        void this.session.customRequest('vmm/serialInput', { text: data }).then(
          (r: { message?: string }) => { if (r?.message) this.output(`\r\n[vmm-debug] ${r.message}\r\n`); },
          (e: unknown) => this.output(`\r\n[vmm-debug] input not delivered: ${e instanceof Error ? e.message : String(e)}\r\n`),
        );
      },
    };
    this.terminal = vscode.window.createTerminal({ name: `COM1: ${session.name}`, pty });
  }

  output(text: string): void {
    const t = text.replace(/\r?\n/g, '\r\n');
    if (this.opened) this.write.fire(t); else this.pending += t;
  }

  ended(): void {
    this.output('\r\n[vmm-debug] session ended\r\n');
  }
}

const consoles = new Map<string, SerialConsole>();

function open(session: vscode.DebugSession): SerialConsole {
  let c = consoles.get(session.id);
  if (!c) { c = new SerialConsole(session); consoles.set(session.id, c); }
  return c;
}

export function registerSerialTerminal(context: vscode.ExtensionContext): void {
  context.subscriptions.push(
    vscode.debug.registerDebugAdapterTrackerFactory(DEBUG_TYPE, {
      createDebugAdapterTracker: (session) => {
        if (session.configuration.serial === 'terminal') open(session).terminal.show(true);
        return {
          onDidSendMessage: (m: { type?: string; event?: string; body?: { category?: string; output?: string } }) => {
            if (m.type === 'event' && m.event === 'output' && m.body?.category === 'stdout' && m.body.output) consoles.get(session.id)?.output(m.body.output);
          },
          onExit: () => consoles.get(session.id)?.ended(),
        };
      },
    }),
    vscode.commands.registerCommand('vmm-debug.openSerialConsole', () => {
      const s = vscode.debug.activeDebugSession;
      if (!s || s.type !== DEBUG_TYPE) { void vscode.window.showWarningMessage('VMM: the serial console needs a running vmm debug session.'); return; }
      open(s).terminal.show();
    }),
  );
}
