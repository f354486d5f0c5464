// `--exit-stats`: a table in the shape of `perf kvm stat report` (event, samples, share).
import type { ExitStatRow } from '../core/debug/debugApi';

export function formatExitStats(rows: ExitStatRow[], icount: number): string {
  const total = rows.reduce((n, r) => n + r.count, 0);
  const lines = [`\nAnalyze events for all VMs, all VCPUs:\n`, `${'VM-EXIT'.padStart(22)} ${'Samples'.padStart(10)} ${'Samples%'.padStart(9)}`];
  for (const r of rows) {
    lines.push(`${r.reasonName.padStart(22)} ${String(r.count).padStart(10)} ${((100 * r.count) / (total || 1)).toFixed(2).padStart(8)}%`);
  }
  lines.push(`\nTotal Samples:${total}, Total instructions:${icount}\n`);
  return lines.join('\n') + '\n';
}
