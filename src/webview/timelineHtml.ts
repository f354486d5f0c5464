// The VM-exit timeline webview: exits over time (instruction counts), one lane per vCPU, stacked bars
// per time bin coloured by exit reason, the counts per reason in the legend, the current moment and
// the recorded history marked. Zoom with the buttons or by dragging across the chart; click a bar to
// travel to the first exit in it. Pure: HTML from plain data; its small script posts messages
// ({type:'zoom', from, to} / {type:'goto', from, to, vcpu}) that the extension answers.
export interface TimelineLane { vcpu: number; reason: number; reasonName: string; counts: number[]; }
export interface TimelineData {
  from: number; to: number; bins: number; total: number;
  lanes: TimelineLane[];
  history: { recording: boolean; start: number; end: number; now: number; checkpoints: number; historyBytes: number; exits: number; exitsThinned?: number; exitsThinnedThrough?: number };
}

const esc = (s: string): string => s.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' }[c]!));

/** A stable colour per exit reason (SDM Appendix C number), distinct for neighbours. */
export function reasonColour(reason: number): string {
  const hue = (reason * 137.508) % 360;
  return `hsl(${hue.toFixed(0)}, 65%, 55%)`;
}

export function timelineHtml(d: TimelineData, nonce: string, cspSource = ''): string {
  const totals = new Map<number, { name: string; n: number }>();
  for (const l of d.lanes) {
    const t = totals.get(l.reason) ?? { name: l.reasonName, n: 0 };
    t.n += l.counts.reduce((a, b) => a + b, 0);
    totals.set(l.reason, t);
  }
  const legend = [...totals].sort((a, b) => b[1].n - a[1].n)
    .map(([r, t]) => `<span class="key"><i style="background:${reasonColour(r)}"></i>${esc(t.name)} (${r}) ${t.n.toLocaleString('en-US')}</span>`).join(' ');
  const h = d.history;
  const data = JSON.stringify(d).replace(/</g, '\\u003c');
  return `<!DOCTYPE html><html><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline' ${cspSource}; script-src 'nonce-${nonce}';">
<style>
body { font-family: var(--vscode-editor-font-family, monospace); font-size: 12px; color: var(--vscode-foreground); }
.key { margin-right: 12px; white-space: nowrap; } .key i { display: inline-block; width: 10px; height: 10px; margin-right: 4px; }
svg { width: 100%; background: var(--vscode-editor-background); } .lane { fill: none; stroke: var(--vscode-panel-border, #555); }
button { margin-right: 4px; } #tip { min-height: 1.4em; opacity: 0.85; }
</style></head><body>
<div><button id="in">Zoom in</button><button id="out">Zoom out</button><button id="all">All history</button><button id="now">Around now</button>
<span>instructions ${d.from.toLocaleString('en-US')} – ${d.to.toLocaleString('en-US')}: ${d.total.toLocaleString('en-US')} exits shown</span></div>
<p>${h.recording ? `history ${h.start.toLocaleString('en-US')} – ${h.end.toLocaleString('en-US')}, now ${h.now.toLocaleString('en-US')}; ${h.checkpoints} checkpoints, ${(h.historyBytes / 1048576).toFixed(1)} MiB; ${h.exits.toLocaleString('en-US')} exits logged` : 'recording is off: the exits are shown, travelling is not possible'}${h.exitsThinned ? `; the oldest ${h.exitsThinned.toLocaleString('en-US')} exits (up to instruction ${(h.exitsThinnedThrough ?? 0).toLocaleString('en-US')}) were thinned under the history budget and are not shown` : ''}</p>
<div>${legend || 'no exits in this range'}</div>
<div id="tip"></div>
<svg id="chart" xmlns="http://www.w3.org/2000/svg"></svg>
<script nonce="${nonce}">
const vscode = acquireVsCodeApi();
const d = ${data};
const svg = document.getElementById('chart'), tip = document.getElementById('tip');
const vcpus = [...new Set(d.lanes.map(l => l.vcpu))].sort((a, b) => a - b);
if (vcpus.length === 0) vcpus.push(0);
const W = 1000, LANE = 70, TOP = 16;
svg.setAttribute('viewBox', '0 0 ' + W + ' ' + (TOP + vcpus.length * LANE + 20));
const NS = 'http://www.w3.org/2000/svg';
const el = (n, a) => { const e = document.createElementNS(NS, n); for (const k in a) e.setAttribute(k, a[k]); return e; };
const colour = (r) => 'hsl(' + ((r * 137.508) % 360).toFixed(0) + ', 65%, 55%)';
const bw = W / d.bins, span = d.to - d.from;
const x = (ic) => ((ic - d.from) / span) * W;
let max = 1;
for (const v of vcpus) for (let b = 0; b < d.bins; b++) { let s = 0; for (const l of d.lanes) if (l.vcpu === v) s += l.counts[b]; max = Math.max(max, s); }
vcpus.forEach((v, i) => {
  const y0 = TOP + i * LANE;
  svg.appendChild(el('rect', { x: 0, y: y0, width: W, height: LANE - 6, class: 'lane' }));
  const t = el('text', { x: 2, y: y0 + 11, fill: 'currentColor', 'font-size': 10 }); t.textContent = 'vcpu' + v; svg.appendChild(t);
  const stack = new Array(d.bins).fill(0);
  for (const l of d.lanes.filter(l => l.vcpu === v)) {
    for (let b = 0; b < d.bins; b++) {
      const n = l.counts[b]; if (!n) continue;
      const hgt = Math.max(1, (Math.log1p(n) / Math.log1p(max)) * (LANE - 10) - stack[b]);
      const r = el('rect', { x: b * bw, y: y0 + LANE - 6 - stack[b] - hgt, width: Math.max(1, bw - 0.5), height: Math.max(1, hgt), fill: colour(l.reason) });
      const lo = Math.floor(d.from + (b * span) / d.bins), hi = Math.floor(d.from + ((b + 1) * span) / d.bins);
      r.addEventListener('mousemove', () => { tip.textContent = 'vcpu' + v + ' ' + l.reasonName + ': ' + n + ' exit(s) in instructions ' + lo.toLocaleString() + '–' + hi.toLocaleString() + ' (click: go to the first)'; });
      r.addEventListener('click', (e) => { e.stopPropagation(); vscode.postMessage({ type: 'goto', from: lo, to: hi, vcpu: v, reason: l.reason }); });
      svg.appendChild(r);
      stack[b] += hgt;
    }
  }
});
const mark = (ic, c, label) => { if (ic < d.from || ic > d.to) return; const X = x(ic); svg.appendChild(el('line', { x1: X, x2: X, y1: TOP - 4, y2: TOP + vcpus.length * LANE, stroke: c, 'stroke-width': 1.5 })); const t = el('text', { x: X + 2, y: TOP - 5, fill: c, 'font-size': 10 }); t.textContent = label; svg.appendChild(t); };
mark(d.history.now, 'var(--vscode-debugIcon-breakpointCurrentStackframeForeground, #fc0)', 'now');
if (d.history.recording) { mark(d.history.start, '#888', 'start'); mark(d.history.end, '#888', 'end'); }
const zoom = (from, to) => vscode.postMessage({ type: 'zoom', from: Math.max(0, Math.floor(from)), to: Math.ceil(to) });
document.getElementById('in').onclick = () => zoom(d.from + span / 4, d.to - span / 4);
document.getElementById('out').onclick = () => zoom(d.from - span / 2, d.to + span / 2);
document.getElementById('all').onclick = () => vscode.postMessage({ type: 'zoom' });
document.getElementById('now').onclick = () => zoom(d.history.now - span / 8, d.history.now + span / 8);
let drag = null;
const at = (e) => { const r = svg.getBoundingClientRect(); return d.from + ((e.clientX - r.left) / r.width) * span; };
svg.addEventListener('mousedown', (e) => { drag = at(e); });
svg.addEventListener('mouseup', (e) => { if (drag === null) return; const a = drag, b = at(e); drag = null; if (Math.abs(b - a) > span / 200) zoom(Math.min(a, b), Math.max(a, b)); });
</script>
</body></html>`;
}
