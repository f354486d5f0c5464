// Installs the privileged / sensitive instruction filters (insnStops.ts) into each vCPU's CPU as
// Cpu.insnStop, and the VMM's matching stop event; and the stops on injected guest exceptions
// (injectedExceptions.ts). Uninstalled (null) when neither filter is checked,
// so the CPU's fast loop runs as usual (ARCHITECTURE invariant 7: debug features cost nothing unused).
import type { Vmm } from '../vmm/vmm';
import type { VCpu } from '../vmm/vcpu';
import type { StopEvent } from './debugApi';
import type { ActiveFilters } from './exitFilters';
import { describeInsnStop, type InsnStopContext } from './insnStops';
import { installInjectedExceptionStops } from './injectedExceptions';

function contextOf(vmm: Vmm, v: VCpu): InsnStopContext {
  const cpu = v.cpu;
  return {
    vmcs: v.vmcs, reg: cpu.reg, hostByte: (a) => vmm.host.u8[a] ?? 0,
    get cpl() { return cpu.cpl; },
    get eflags() { return cpu.getEflags(); },
  };
}

/** `on` false (replaying history with stops off) uninstalls whatever is checked. */
export function installInsnStops(vmm: Vmm, filters: ActiveFilters, on = true): void {
  installInjectedExceptionStops(vmm, filters, on);
  const active = on && filters.insn.active;
  for (const v of vmm.vcpus) {
    if (!active) { v.cpu.insnStop = null; continue; }
    const ctx = contextOf(vmm, v);
    v.cpu.insnStop = (i) => filters.insn.match(i, ctx) !== undefined;
  }
  vmm.insnStopEvent = active ? (v) => insnStopEvent(vmm, filters, v) : null;
}

function insnStopEvent(vmm: Vmm, filters: ActiveFilters, v: VCpu): StopEvent {
  const ctx = contextOf(vmm, v);
  const i = v.cpu.insn;
  const filterId = filters.insn.match(i, ctx) ?? 'insn.privileged';
  const d = describeInsnStop(filterId, i, ctx);
  return {
    kind: 'instruction', vcpu: v.id, address: i.address >>> 0, filterId, text: d.text, disassembly: d.disassembly,
    exits: d.outlook.exits, exitReason: d.outlook.reason, why: d.outlook.why, classWhy: d.why,
  };
}
