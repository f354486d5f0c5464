// `monitor ...` commands (qRcmd): VM state that gdb has no words for.
import type { Vm } from '../core/machine/vm';
import { formatExitStats } from '../cli/exitStatsTable';

export const MONITOR_HELP = [
  'vmm-debug monitor commands:',
  '  vmcs              dump the VMCS of the current vCPU (SDM Appendix B names and encodings)',
  '  exits             VM-exit statistics (reason, count, share)',
  '  translate ADDR    guest-virtual -> guest-physical through the current page tables',
  '  help              this list',
  '',
].join('\n');

function parseAddress(s: string | undefined): number | undefined {
  if (!s) return undefined;
  const t = s.trim();
  if (/^0x[0-9a-f]+$/i.test(t)) return parseInt(t.slice(2), 16);
  if (/^\d+$/.test(t)) return Number(t);
  if (/^[0-9a-f]+$/i.test(t)) return parseInt(t, 16);
  return undefined;
}

const hex8 = (n: number): string => '0x' + (n >>> 0).toString(16).padStart(8, '0');

/** Run one monitor command; the text is what gdb prints. */
export function monitorCommand(vm: Vm, vcpu: number, line: string): string {
  const [cmd, ...args] = line.trim().split(/\s+/);
  switch (cmd) {
    case '':
    case 'help':
      return MONITOR_HELP;
    case 'vmcs': {
      const out: string[] = [`VMCS of vCPU ${vcpu}`];
      if (vm.vmm.vcpus[vcpu]?.inGuest) out.push('(the vCPU is in VMX non-root operation: guest-state fields are as saved at the last VM exit)');
      for (const g of vm.vmcs(vcpu)) {
        out.push(`${g.name}:`);
        for (const f of g.fields) out.push(`  ${f.name.padEnd(40)} ${f.text}${f.detail ? `  (${f.detail})` : ''}`);
      }
      return out.join('\n') + '\n';
    }
    case 'exits':
      return formatExitStats(vm.exitStats(), vm.icount);
    case 'translate': {
      const a = parseAddress(args[0]);
      if (a === undefined || a > 0xffffffff) return `translate: needs a guest-virtual address (hex like 0x100000), got "${args[0] ?? ''}"\n`;
      const g = vm.translate(vcpu, a);
      return g < 0 ? `${hex8(a)}: not mapped by the current page tables\n` : `${hex8(a)} (guest-virtual) -> ${hex8(g)} (guest-physical)\n`;
    }
    default:
      return `unknown monitor command "${cmd}"; try "monitor help"\n`;
  }
}
