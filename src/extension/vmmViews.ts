// The VMM views of a `vmm` debug session: "VMM: Translate address…" (the walk drawn in a webview),
// "VMM: Show guest screen" (the CGA text buffer, refreshed while the guest runs) and a status bar
// item with the instruction count and exit rate (from the adapter's `vmm/stats` events).
import * as vscode from 'vscode';
import type { Translation } from '../core/debug/translate';
import { translationHtml } from '../webview/translateHtml';
import { screenHtml } from '../webview/screenHtml';

const DEBUG_TYPE = 'vmm';

interface StatsBody { running: boolean; icount: number; exits: number; instructionsPerSecond: number; exitsPerSecond: number }

function activeVmmSession(): vscode.DebugSession | undefined {
  const s = vscode.debug.activeDebugSession;
  return s && s.type === DEBUG_TYPE ? s : undefined;
}

function short(n: number): string {
  return n >= 1e9 ? `${(n / 1e9).toFixed(2)}G` : n >= 1e6 ? `${(n / 1e6).toFixed(1)}M` : n >= 1e3 ? `${(n / 1e3).toFixed(1)}k` : String(n);
}

export function registerVmmViews(context: vscode.ExtensionContext): void {
  const status = vscode.window.createStatusBarItem(vscode.StatusBarAlignment.Left, 50);
  status.name = 'VMM guest';
  status.command = 'vmm-debug.showGuestScreen';
  let screen: vscode.WebviewPanel | undefined;
  let screenTimer: NodeJS.Timeout | undefined;

  const refreshScreen = async (): Promise<void> => {
    const s = activeVmmSession();
    if (!screen) return;
    if (!s) { screen.webview.html = screenHtml([], 'no vmm debug session', screen.webview.cspSource); return; }
    try {
      const r = await s.customRequest('vmm/textScreen') as { lines: string[] };
      screen.webview.html = screenHtml(r.lines, `${s.name}`, screen.webview.cspSource);
    } catch (e) {
      screen.webview.html = screenHtml([], `cannot read the screen: ${e instanceof Error ? e.message : String(e)}`, screen.webview.cspSource);
    }
  };

  context.subscriptions.push(
    status,
    vscode.debug.onDidReceiveDebugSessionCustomEvent((e) => {
      if (e.session.type !== DEBUG_TYPE || e.event !== 'vmm/stats') return;
      const b = e.body as StatsBody;
      status.text = b.running
        ? `$(pulse) ${short(b.icount)} insns · ${short(b.instructionsPerSecond)}/s · ${short(b.exitsPerSecond)} exits/s`
        : `$(debug-pause) ${short(b.icount)} insns · ${short(b.exits)} exits`;
      status.tooltip = `Guest instruction count ${b.icount.toLocaleString()}, VM exits ${b.exits.toLocaleString()}. Click: show the guest screen.`;
      status.show();
      if (screen) void refreshScreen();
    }),
    vscode.debug.onDidTerminateDebugSession((s) => { if (s.type === DEBUG_TYPE) status.hide(); }),

    vscode.commands.registerCommand('vmm-debug.translateAddress', async (arg?: string) => {
      const s = activeVmmSession();
      if (!s) { void vscode.window.showWarningMessage('VMM: Translate address needs a stopped vmm debug session.'); return; }
      const address = typeof arg === 'string' ? arg : await vscode.window.showInputBox({
        prompt: 'Guest-virtual address or expression to translate (GVA → GPA → HPA)', placeHolder: '0xc0101234, esp, kmain + 0x10',
      });
      if (!address) return;
      try {
        const r = await s.customRequest('vmm/translate', { address }) as { translation: Translation; text: string };
        const panel = vscode.window.createWebviewPanel('vmmTranslate', `Translate ${address}`, vscode.ViewColumn.Beside, { enableScripts: false });
        panel.webview.html = translationHtml(r.translation, panel.webview.cspSource);
      } catch (e) {
        void vscode.window.showErrorMessage(`VMM: ${e instanceof Error ? e.message : String(e)}`);
      }
    }),

    vscode.commands.registerCommand('vmm-debug.showGuestScreen', () => {
      if (screen) { screen.reveal(); return; }
      screen = vscode.window.createWebviewPanel('vmmScreen', 'Guest screen', vscode.ViewColumn.Beside, { enableScripts: false });
      screen.onDidDispose(() => { screen = undefined; if (screenTimer) clearInterval(screenTimer); screenTimer = undefined; });
      screenTimer = setInterval(() => void refreshScreen(), 500);
      void refreshScreen();
    }),
  );
}
