// The "compare two moments" webview: what differs between a moment of recorded history and now, one
// table per kind (registers, VMCS fields, devices, memory pages, guest page-table and EPT mappings:
// added, removed, changed). Pure: HTML from the diff's plain data (core/time/compareMoments.ts); no scripts.
import type { MomentDiff } from '../core/time/compareMoments';

const esc = (s: string): string => s.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' }[c]!));
const hex8 = (n: number): string => '0x' + (n >>> 0).toString(16).padStart(8, '0');

function table(title: string, head: string[], rows: string[][], total = rows.length): string {
  if (total === 0) return `<h3>${esc(title)}</h3><p class="same">no differences</p>`;
  const more = total > rows.length ? `<p>… ${total - rows.length} more</p>` : '';
  return `<h3>${esc(title)} (${total})</h3><table><tr>${head.map((h) => `<th>${esc(h)}</th>`).join('')}</tr>${rows.map((r) => `<tr>${r.map((c, k) => `<td class="${head[k] === 'now' ? 'now' : head[k] === 'then' ? 'then' : ''}">${esc(c)}</td>`).join('')}</tr>`).join('')}</table>${more}`;
}

export function compareHtml(d: MomentDiff, cspSource = '', maxRows = 500): string {
  const vc = (v?: number): string => (v === undefined ? '' : `vcpu${v}`);
  const fieldRows = (fs: MomentDiff['registers']): string[][] => fs.slice(0, maxRows).map((f) => [vc(f.vcpu), f.group, f.name, f.then, f.now]);
  const mapRows = (ms: MomentDiff['guestMappings']): string[][] => ms.slice(0, maxRows).map((m) => [vc(m.vcpu), m.kind, m.entry, m.then ?? '', m.now ?? '']);
  return `<!DOCTYPE html><html><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline' ${cspSource};">
<style>
body { font-family: var(--vscode-editor-font-family, monospace); font-size: 12px; color: var(--vscode-foreground); }
table { border-collapse: collapse; margin-bottom: 8px; } td, th { border: 1px solid var(--vscode-panel-border, #555); padding: 2px 6px; text-align: left; vertical-align: top; }
.then { color: var(--vscode-gitDecoration-deletedResourceForeground, #e66); } .now { color: var(--vscode-gitDecoration-addedResourceForeground, #6c6); }
.same { opacity: 0.6; }
</style></head><body>
<h2>Instruction count ${d.then.toLocaleString('en-US')} (then) compared with ${d.now.toLocaleString('en-US')} (now)</h2>
${table('Registers', ['vCPU', 'group', 'register', 'then', 'now'], fieldRows(d.registers))}
${table('VMCS fields', ['vCPU', 'group', 'field', 'then', 'now'], fieldRows(d.vmcs))}
${table('Devices', ['', 'device', 'field', 'then', 'now'], fieldRows(d.devices))}
${table('Memory pages', ['HPA', 'GPA', 'bytes that differ', 'first at'], d.memory.slice(0, maxRows).map((m) => [hex8(m.hpa), m.gpa !== undefined ? hex8(m.gpa) : '(VMM)', String(m.bytesChanged), `+0x${m.firstOffset.toString(16)}`]), d.memoryPages)}
${table('Guest page-table mappings', ['vCPU', 'change', 'entry', 'then', 'now'], mapRows(d.guestMappings))}
${table('EPT mappings', ['', 'change', 'entry', 'then', 'now'], mapRows(d.eptMappings))}
</body></html>`;
}
