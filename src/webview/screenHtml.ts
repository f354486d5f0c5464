// The guest-screen webview: the 80x25 CGA text buffer as a fixed-size text grid. Pure: HTML from lines.
const esc = (s: string): string => s.replace(/[&<>]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;' }[c]!));

export function screenHtml(lines: string[], status: string, cspSource = ''): string {
  const rows = Array.from({ length: 25 }, (_, i) => (lines[i] ?? '').padEnd(80).slice(0, 80));
  return `<!DOCTYPE html><html><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline' ${cspSource};">
<style>
body { background: #000; margin: 8px; }
pre { color: #aaa; background: #000; font-family: 'Courier New', monospace; font-size: 14px; line-height: 16px; margin: 0; }
.status { color: #888; font-family: sans-serif; font-size: 11px; margin-top: 6px; }
</style></head><body><pre>${esc(rows.join('\n'))}</pre><div class="status">${esc(status)}</div></body></html>`;
}
