// Time-travel commands and views of a `vmm` debug session (issue 7): "VMM: Show VM Exit Timeline"
// (webview: exits over time per vCPU, zoomable; a click travels to the exit), "VMM: Go to
// Instruction Count…", "VMM: Compare with a Moment…" (a checkpoint or an instruction count against
// now, in a webview), and snapshot files: "VMM: Save Snapshot…", "VMM: Restore Snapshot…",
// "VMM: Clone Session from Here" (a new session from a snapshot of this moment). They talk to the adapter through the custom requests of
// adapter/timeTravelRequests.ts, so they work the same with an adapter in another process.
import * as vscode from 'vscode';
import * as path from 'node:path';
import { timelineHtml, type TimelineData } from '../webview/timelineHtml';
import { compareHtml } from '../webview/compareHtml';
import type { MomentDiff } from '../core/time/compareMoments';

const DEBUG_TYPE = 'vmm';

function activeVmmSession(): vscode.DebugSession | undefined {
  const s = vscode.debug.activeDebugSession;
  return s && s.type === DEBUG_TYPE ? s : undefined;
}
function errorText(e: unknown): string { return e instanceof Error ? e.message : String(e); }
function nonce(): string {
  const chars = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
  let s = '';
  for (let k = 0; k < 32; k++) s += chars[Math.floor(Math.random() * chars.length)];
  return s;
}

interface SeriesBody {
  history: TimelineData['history'];
  series: { from: number; to: number; bins: number; total: number; lanes: TimelineData['lanes'] };
}

export function registerTimeTravelViews(context: vscode.ExtensionContext): void {
  let panel: vscode.WebviewPanel | undefined;
  let range: { from?: number; to?: number } = {};

  const refresh = async (): Promise<void> => {
    const s = activeVmmSession();
    if (!panel) return;
    if (!s) { panel.webview.html = '<p>No vmm debug session.</p>'; return; }
    try {
      const r = await s.customRequest('vmm/exitTimeline', { ...range, bins: 400 }) as SeriesBody;
      panel.webview.html = timelineHtml({ ...r.series, history: r.history }, nonce(), panel.webview.cspSource);
    } catch (e) {
      panel.webview.html = `<p>Cannot read the exit timeline: ${errorText(e).replace(/</g, '&lt;')}</p>`;
    }
  };

  const onMessage = async (m: { type: string; from?: number; to?: number; vcpu?: number; reason?: number }): Promise<void> => {
    const s = activeVmmSession();
    if (!s) return;
    if (m.type === 'zoom') { range = m.from === undefined ? {} : { from: m.from, to: m.to }; await refresh(); return; }
    if (m.type === 'goto') {
      try {
        const q = `from=${m.from} to=${m.to} limit=1${m.vcpu !== undefined ? ` vcpu=${m.vcpu}` : ''}${m.reason !== undefined ? ` reason=${m.reason}` : ''}`;
        const r = await s.customRequest('vmm/exits', { query: q }) as { records: { icount: number; vcpu: number }[] };
        const e = r.records[0];
        if (!e) return;
        await s.customRequest('vmm/gotoIcount', { icount: e.icount, threadId: e.vcpu + 1 });
      } catch (err) {
        void vscode.window.showErrorMessage(`VMM: ${errorText(err)}`);
      }
    }
  };

  context.subscriptions.push(
    vscode.commands.registerCommand('vmm-debug.showExitTimeline', async () => {
      if (!activeVmmSession()) { void vscode.window.showWarningMessage('VMM: the exit timeline needs a vmm debug session.'); return; }
      if (panel) { panel.reveal(); await refresh(); return; }
      panel = vscode.window.createWebviewPanel('vmmExitTimeline', 'VM Exit Timeline', vscode.ViewColumn.Beside, { enableScripts: true });
      panel.onDidDispose(() => { panel = undefined; range = {}; });
      panel.webview.onDidReceiveMessage((m) => void onMessage(m as { type: string }));
      await refresh();
    }),
    vscode.commands.registerCommand('vmm-debug.gotoInstructionCount', async (arg?: number) => {
      const s = activeVmmSession();
      if (!s) { void vscode.window.showWarningMessage('VMM: Go to instruction count needs a stopped vmm debug session.'); return; }
      let n = typeof arg === 'number' ? arg : undefined;
      if (n === undefined) {
        const h = await s.customRequest('vmm/history') as { start: number; end: number; now: number };
        const text = await vscode.window.showInputBox({
          prompt: `Instruction count to travel to (recorded history ${h.start}..${h.end}, now ${h.now})`,
          validateInput: (v) => (/^\s*\d[\d_,]*\s*$/.test(v) ? undefined : 'an instruction count (a whole number)'),
        });
        if (!text) return;
        n = Number(text.replace(/[_,\s]/g, ''));
      }
      try { await s.customRequest('vmm/gotoIcount', { icount: n, threadId: 1 }); } catch (e) { void vscode.window.showErrorMessage(`VMM: ${errorText(e)}`); }
    }),
    vscode.commands.registerCommand('vmm-debug.compareWithMoment', async () => {
      const s = activeVmmSession();
      if (!s) { void vscode.window.showWarningMessage('VMM: Compare needs a stopped vmm debug session.'); return; }
      try {
        const h = await s.customRequest('vmm/history') as { start: number; end: number; now: number };
        const cps = (await s.customRequest('vmm/checkpoints') as { checkpoints: { index: number; icount: number }[] }).checkpoints;
        const items: (vscode.QuickPickItem & { icount?: number })[] = [
          { label: '$(edit) Instruction count…', description: `anywhere in ${h.start}..${h.end}` },
          ...cps.slice().reverse().map((c) => ({ label: `checkpoint ${c.index}`, description: `instruction count ${c.icount.toLocaleString('en-US')}`, icount: c.icount })),
        ];
        const pick = await vscode.window.showQuickPick(items, { placeHolder: `Compare now (instruction count ${h.now}) with…` });
        if (!pick) return;
        let icount = pick.icount;
        if (icount === undefined) {
          const text = await vscode.window.showInputBox({ prompt: `Instruction count to compare with now (${h.start}..${h.end})`, validateInput: (v) => (/^\s*\d[\d_,]*\s*$/.test(v) ? undefined : 'a whole number') });
          if (!text) return;
          icount = Number(text.replace(/[_,\s]/g, ''));
        }
        const d = await s.customRequest('vmm/diff', { icount }) as MomentDiff;
        const panel = vscode.window.createWebviewPanel('vmmCompare', `Compare ${d.then} ↔ ${d.now}`, vscode.ViewColumn.Beside, { enableScripts: false });
        panel.webview.html = compareHtml(d, panel.webview.cspSource);
      } catch (e) { void vscode.window.showErrorMessage(`VMM: ${errorText(e)}`); }
    }),
    vscode.commands.registerCommand('vmm-debug.saveSnapshot', async () => {
      const s = activeVmmSession();
      if (!s) { void vscode.window.showWarningMessage('VMM: Save Snapshot needs a stopped vmm debug session.'); return; }
      const uri = await vscode.window.showSaveDialog({ filters: { 'VMM snapshot': ['vmmsnap'] }, saveLabel: 'Save snapshot' });
      if (!uri) return;
      try {
        const r = await s.customRequest('vmm/snapshotSave', { path: uri.fsPath }) as { bytes: number; icount: number };
        void vscode.window.showInformationMessage(`VMM: snapshot of instruction count ${r.icount} saved (${(r.bytes / 1048576).toFixed(1)} MiB).`);
      } catch (e) { void vscode.window.showErrorMessage(`VMM: ${errorText(e)}`); }
    }),
    vscode.commands.registerCommand('vmm-debug.restoreSnapshot', async () => {
      const s = activeVmmSession();
      if (!s) { void vscode.window.showWarningMessage('VMM: Restore Snapshot needs a stopped vmm debug session.'); return; }
      const uris = await vscode.window.showOpenDialog({ filters: { 'VMM snapshot': ['vmmsnap'], 'All files': ['*'] }, canSelectMany: false, openLabel: 'Restore snapshot' });
      if (!uris?.[0]) return;
      try { await s.customRequest('vmm/snapshotRestore', { path: uris[0].fsPath }); } catch (e) { void vscode.window.showErrorMessage(`VMM: ${errorText(e)}`); }
    }),
    vscode.commands.registerCommand('vmm-debug.cloneSession', async () => {
      const s = activeVmmSession();
      if (!s) { void vscode.window.showWarningMessage('VMM: Clone Session needs a stopped vmm debug session.'); return; }
      try {
        const dir = context.globalStorageUri.fsPath;
        await vscode.workspace.fs.createDirectory(context.globalStorageUri);
        const r = await s.customRequest('vmm/snapshotSave', { path: path.join(dir, `clone-${Date.now()}.vmmsnap`) }) as { path: string; icount: number };
        const cfg = { ...s.configuration, name: `${s.configuration.name} (clone at ${r.icount})`, snapshot: r.path, stopOnEntry: true };
        await vscode.debug.startDebugging(s.workspaceFolder, cfg);
      } catch (e) { void vscode.window.showErrorMessage(`VMM: ${errorText(e)}`); }
    }),
    // Stops move the "now" marker.
    vscode.debug.onDidChangeActiveStackItem(() => { if (panel) void refresh(); }),
  );
}
