// VM statistics, like `perf kvm stat`: instructions, exits by reason (count and share), EPT
// mappings made, TLB walks, interrupts injected.
import type { Vmm } from '../vmm/vmm';
import { exitReasonName } from '../hw/vmx/exitReasons';
import type { TreeNode } from './treeNode';

export function vmStatsView(vmm: Vmm, icount: number): TreeNode[] {
  const counts = vmm.exitCounts();
  const rows: { reason: number; n: number }[] = [];
  let total = 0;
  counts.forEach((n, r) => { if (n) { rows.push({ reason: r, n }); total += n; } });
  rows.sort((a, b) => b.n - a.n);
  const walks = vmm.vcpus.reduce((s, v) => s + v.cpu.mmu.walks, 0);
  const injected = vmm.vcpus.reduce((s, v) => s + v.injected, 0);
  return [
    { name: 'instructions', value: String(icount) },
    { name: 'VM exits', value: `${total} (${icount ? ((total / icount) * 1e6).toFixed(1) : '0'} per million instructions)`,
      children: () => rows.map((r) => ({ name: exitReasonName(r.reason), value: `${r.n} (${((r.n / total) * 100).toFixed(1)}%)`, type: `exit reason ${r.reason}` })) },
    { name: 'EPT pages mapped', value: String(vmm.ept.mapped), type: `${vmm.ept.tablePages} EPT table pages` },
    { name: 'TLB walks', value: String(walks) },
    { name: 'interrupts injected', value: String(injected) },
  ];
}
