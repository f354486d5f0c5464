// Plain-data views of the multiprocessor parts for the CLI and the debugger: per-vCPU exit
// statistics (with INIT / SIPI exits and emulated APIC accesses) and the local / I/O APIC registers.
import type { Vmm } from '../vmm/vmm';
import type { FieldView, GroupView } from '../debug/debugApi';
import { exitReasonName } from '../hw/vmx/exitReasons';
import { VMCS } from '../hw/vmx/vmcsFields';
import { activityStateName } from '../hw/vmx/vmxControls';
import { IOAPIC_PINS } from '../devices/apicAddresses';

export interface VcpuExitStats {
  vcpu: number;
  /** Retired guest instructions (this vCPU's TSC). */
  icount: number;
  /** Exits by basic reason, most frequent first. */
  exits: { reason: number; reasonName: string; count: number }[];
  /** Guest accesses to the local / I/O APIC pages the VMM emulated (each one an EPT violation or #PF exit). */
  apicAccesses: number;
  /** Interrupts and exceptions injected. */
  injected: number;
  /** VMCS guest activity state now. */
  activity: string;
}

export function vcpuExitStats(vmm: Vmm): VcpuExitStats[] {
  return vmm.vcpus.map((v) => {
    const exits: VcpuExitStats['exits'] = [];
    v.exitCounts.forEach((n, r) => { if (n) exits.push({ reason: r, reasonName: exitReasonName(r), count: n }); });
    exits.sort((a, b) => b.count - a.count || a.reason - b.reason);
    return {
      vcpu: v.id, icount: v.cpu.icount, exits, apicAccesses: v.mmioExits, injected: v.injected,
      activity: activityStateName(v.inGuest ? v.cpu.activity : v.vmcs.read(VMCS.GUEST_ACTIVITY_STATE)),
    };
  });
}

const hex = (v: number, w = 8): string => '0x' + (v >>> 0).toString(16).padStart(w, '0');
const f = (name: string, value: number, text?: string, detail?: string): FieldView => ({ name, value: value >>> 0, text: text ?? hex(value), detail });

export function apicDevices(vmm: Vmm): GroupView[] {
  const out: GroupView[] = vmm.apic.lapics.map((l) => ({
    name: `Local APIC ${l.id}`,
    fields: [
      f('IA32_APIC_BASE', l.apicBase), f('SVR', l.svr, undefined, l.softwareEnabled ? 'software enabled' : 'software disabled'),
      f('TPR', l.tpr, hex(l.tpr, 2)), f('PPR', l.ppr, hex(l.ppr, 2)), f('LDR', l.ldr), f('DFR', l.dfr),
      f('highest IRR', l.highestIrr(), l.highestIrr() < 0 ? '(none)' : hex(l.highestIrr(), 2)),
      f('highest ISR', l.highestIsr(), l.highestIsr() < 0 ? '(none)' : hex(l.highestIsr(), 2)),
      f('LVT timer', l.lvt[0]), f('LVT LINT0', l.lvt[3]), f('LVT LINT1', l.lvt[4]), f('LVT error', l.lvt[5]), f('ESR', l.esr, hex(l.esr, 2)),
      f('timer initial count', l.timerInitial, String(l.timerInitial)), f('timer current count', l.currentCount(), String(l.currentCount())),
      f('timer divide', l.divisor, `÷${l.divisor}`), f('timer interrupts', l.timerFired, String(l.timerFired)),
    ],
  }));
  const io = vmm.apic.ioapic;
  const pins: FieldView[] = [];
  for (let p = 0; p < IOAPIC_PINS; p++) {
    const lo = io.lo[p] >>> 0;
    if (lo & 0x10000) continue;
    pins.push(f(`pin ${p}`, lo, `vector ${hex(lo & 0xff, 2)} ${['fixed', 'lowest', 'SMI', '?', 'NMI', 'INIT', '?', 'ExtINT'][(lo >> 8) & 7]} ${(lo & 0x8000) ? 'level' : 'edge'} dest ${hex(io.hi[p] >>> 24, 2)}${(lo & 0x800) ? ' logical' : ''}${(lo & 0x4000) ? ' remote-IRR' : ''}`));
  }
  out.push({ name: 'I/O APIC', fields: [f('ID', io.id, String(io.id)), f('IOREGSEL', io.ioregsel, hex(io.ioregsel, 2)), f('messages sent', io.delivered, String(io.delivered)), ...pins] });
  return out;
}
