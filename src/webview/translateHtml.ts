// The translation walk drawn as a picture (the "Translate address" webview): one row of boxes per
// dimension: the guest's paging levels left to right (each with the EPT walk of its own entry
// beneath it), then the EPT walk of the final guest-physical address and the host-physical result
// or the fault. Pure: builds an HTML string from the walk's plain data; no scripts.
import type { EptWalk, Translation } from '../core/debug/translate';

const esc = (s: string): string => s.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' }[c]!));
const hex8 = (n: number): string => '0x' + (n >>> 0).toString(16).padStart(8, '0');

function eptColumn(w: EptWalk | undefined): string {
  if (!w) return '';
  const rows = w.levels.map((l) => `<div class="ept ${l.flags.problem ? 'bad' : ''}"><b>${esc(l.name)}</b><br>${esc(l.flags.text)}</div>`).join('<div class="down">↓</div>');
  const end = w.hpa !== undefined ? `<div class="hpa">HPA ${hex8(w.hpa)} ${esc(w.perms ?? '')} ${esc(w.memType ?? '')}</div>` : `<div class="fault">${esc(w.fault ?? '')}${w.vmmAction ? `<br><i>${esc(w.vmmAction)}</i>` : ''}</div>`;
  return `<div class="col">${rows}${rows ? '<div class="down">↓</div>' : ''}${end}</div>`;
}

export function translationHtml(t: Translation, cspSource = ''): string {
  const via = t.via === 'memslots' ? 'memslot' : 'EPT walk';
  const sh = t.shadow;
  const shadow = sh ? `
<h4>Shadow page tables (what the processor walks: GVA → HPA)</h4>
<div class="walk">${sh.levels.map((g) => `<div class="box ${g.flags.problem || !(g.lo & 1) ? 'bad' : ''}"><div class="title">shadow ${esc(g.name)}</div><div>@ HPA ${hex8(g.entryGpa)}</div><div class="raw">${g.size === 8 ? `${hex8(g.hi)}_${hex8(g.lo).slice(2)}` : hex8(g.lo)}</div><div>${esc(g.flags.text)}</div></div>`).join('<div class="arrow">→</div>')}
<div class="arrow">→</div><div class="${sh.stale ? 'fault' : sh.hpa !== undefined ? 'hpa' : 'box'}">${sh.hpa !== undefined ? `HPA ${hex8(sh.hpa)} ${esc(sh.perms ?? '')}<br>` : ''}${esc(sh.verdict)}</div></div>` : '';
  const guest = t.guest.map((g) => `
    <div class="step">
      <div class="box ${g.flags.problem || !(g.lo & 1) ? 'bad' : ''}">
        <div class="title">${esc(g.name)}</div>
        <div>@ GPA ${hex8(g.entryGpa)}</div>
        <div class="raw">${g.size === 8 ? `${hex8(g.hi)}_${hex8(g.lo).slice(2)}` : hex8(g.lo)}</div>
        <div>${esc(g.flags.text)}</div>
      </div>
      <div class="label">${via} of the entry</div>
      ${eptColumn(g.ept)}
    </div><div class="arrow">→</div>`).join('');
  const final = t.gpa !== undefined ? `
    <div class="step">
      <div class="box gpa"><div class="title">GPA</div><div class="raw">${hex8(t.gpa)}</div><div>guest ${esc(t.guestPerms ?? '')}</div></div>
      <div class="label">${via} of the data access</div>
      ${eptColumn(t.ept)}
    </div>` : `<div class="step"><div class="box bad"><div class="title">fault</div>${esc(t.fault ?? '')}</div></div>`;
  return `<!DOCTYPE html><html><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline' ${cspSource};">
<style>
body { font-family: var(--vscode-editor-font-family, monospace); font-size: 12px; color: var(--vscode-foreground); }
.walk { display: flex; align-items: flex-start; gap: 6px; flex-wrap: wrap; }
.step { display: flex; flex-direction: column; align-items: center; }
.box, .ept, .hpa, .fault { border: 1px solid var(--vscode-panel-border, #888); border-radius: 4px; padding: 4px 8px; margin: 2px; min-width: 160px; }
.box .title { font-weight: bold; } .raw { font-weight: bold; color: var(--vscode-debugTokenExpression-number, #b5cea8); }
.bad, .fault { border-color: var(--vscode-errorForeground, #f44); } .hpa { border-color: var(--vscode-charts-green, #4c4); }
.gpa { border-color: var(--vscode-charts-blue, #48f); } .arrow { font-size: 20px; align-self: center; } .down { text-align: center; }
.label { font-style: italic; opacity: 0.7; margin-top: 6px; } .col { display: flex; flex-direction: column; align-items: center; }
</style></head><body>
<h3>GVA ${hex8(t.gva)} — ${esc(t.mode)}${t.hpa !== undefined ? ` → HPA ${hex8(t.hpa)}` : ''}</h3>
${t.fault ? `<p class="fault">${esc(t.fault)}${t.vmmAction ? ` — ${esc(t.vmmAction)}` : ''}</p>` : ''}
<div class="walk">${guest}${final}</div>
${shadow}
</body></html>`;
}
