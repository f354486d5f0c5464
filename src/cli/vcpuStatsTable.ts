// `--exit-stats` with several vCPUs: one block per vCPU (exits by reason, INIT/SIPI included, and the
// local / I/O APIC accesses the VMM emulated), after the all-vCPU table.
import type { VcpuExitStats } from '../core/machine/smpViews';

export function formatVcpuExitStats(rows: VcpuExitStats[]): string {
  const lines: string[] = [];
  for (const r of rows) {
    const total = r.exits.reduce((n, e) => n + e.count, 0);
    lines.push(`\nvcpu${r.vcpu}: ${total} exits, ${r.icount} instructions, ${r.apicAccesses} APIC accesses, ${r.injected} injected events, activity ${r.activity}`);
    for (const e of r.exits) lines.push(`${e.reasonName.padStart(22)} ${String(e.count).padStart(10)}`);
  }
  return lines.join('\n') + '\n';
}
