// What the VMM's handler for the pending exit reads and will write back: the scope of the
// `VMM: handle <REASON> exit` frame, and the "what the VMM does" line of exceptionInfo. Computed
// from the exit and the VMCS without running the handler (a CPUID answer is the policy's pure
// function; an RDMSR is previewed on a copy of the registers and the copy discarded).
import type { Vmm } from '../vmm/vmm';
import type { VCpu } from '../vmm/vcpu';
import { VMCS } from '../hw/vmx/vmcsFields';
import { ExitReason } from '../hw/vmx/exitReasons';
import { decodeCrAccess, decodeEptViolation, decodeInterruptionInfo, decodeIoQualification, describeEvent, gprName } from '../hw/vmx/exitQualification';
import { cpuidPolicy } from '../vmm/cpuidPolicy';
import { HC_CONSOLE_PUTC, HC_EXIT, HC_MMU_UPDATE } from '../vmm/hypercalls';
import { hex, hex8, type TreeNode } from './treeNode';

export interface VmmFrameView {
  /** What the handler does, in one sentence. */
  action: string;
  reads: TreeNode[];
  writes: TreeNode[];
}

const node = (name: string, value: string, type?: string): TreeNode => (type ? { name, value, type } : { name, value });

export function vmmFrameView(vmm: Vmm, vcpu: number): VmmFrameView | undefined {
  const v = vmm.vcpus[vcpu];
  const ev = v?.pendingExit;
  if (!v || !ev) return undefined;
  const m = v.vmcs;
  const r = v.regs;
  const rip = m.read(VMCS.GUEST_RIP) >>> 0;
  const len = m.read(VMCS.VM_EXIT_INSTRUCTION_LEN);
  const skip = node('GUEST_RIP', `${hex8(rip)} -> ${hex8(rip + len)} (skip the ${len}-byte instruction)`, 'VMCS 0x681e');
  const reads: TreeNode[] = [node('VM_EXIT_REASON', `${ev.reason} (${ev.reasonName})`, 'VMCS 0x4402'), node('EXIT_QUALIFICATION', hex8(ev.qualification), 'VMCS 0x6400')];
  const writes: TreeNode[] = [];
  let action: string;
  switch (ev.reason) {
    case ExitReason.CPUID: {
      const [a, b, c, d] = cpuidPolicy(r[0] >>> 0, r[1] >>> 0, vcpu);
      reads.push(node('eax (leaf)', hex8(r[0])), node('ecx (subleaf)', hex8(r[1])));
      writes.push(node('eax', hex8(a)), node('ebx', hex8(b)), node('ecx', hex8(c)), node('edx', hex8(d)), skip);
      action = `answers CPUID leaf ${hex(r[0])} subleaf ${hex(r[1])} from the virtual CPU model (eax=${hex8(a)} ebx=${hex8(b)} ecx=${hex8(c)} edx=${hex8(d)}) and skips the instruction`;
      break;
    }
    case ExitReason.IO_INSTRUCTION: {
      const q = decodeIoQualification(ev.qualification);
      const dev = vmm.ports.deviceAt(q.port)?.name ?? 'no device (empty bus)';
      const accName = q.size === 1 ? 'al' : q.size === 2 ? 'ax' : 'eax';
      const mask = q.size === 4 ? 0xffffffff : (1 << (8 * q.size)) - 1;
      reads.push(node('port', hex(q.port)), node('size', `${q.size} byte${q.size > 1 ? 's' : ''}`), node('direction', q.in ? 'in' : 'out'), node('device', dev));
      if (q.string) reads.push(node('string', `${q.in ? 'INS' : 'OUTS'}${q.rep ? ' with REP, ecx = ' + (r[1] >>> 0) : ''}, ${q.in ? 'edi' : 'esi'} = ${hex8(r[q.in ? 7 : 6])}`));
      if (!q.in && !q.string) reads.push(node(accName, hex((r[0] & mask) >>> 0)));
      if (q.in && !q.string) writes.push(node(accName, `the value ${dev} returns (read when handled)`));
      if (q.string) writes.push(node(q.in ? 'guest memory at es:edi' : 'device', q.in ? 'bytes from the device' : 'bytes from ds:esi'), node(q.in ? 'edi' : 'esi', 'advanced'), ...(q.rep ? [node('ecx', '0')] : []));
      writes.push(skip);
      action = q.in
        ? `reads port ${hex(q.port)} (${dev}) into ${q.string ? 'guest memory' : accName} and skips the instruction`
        : `writes ${q.string ? 'the string' : hex((r[0] & mask) >>> 0)} to port ${hex(q.port)} (${dev}) and skips the instruction`;
      break;
    }
    case ExitReason.HLT:
      writes.push(node('GUEST_ACTIVITY_STATE', '1 (HLT)', 'VMCS 0x4826'), skip);
      action = 'marks the vCPU halted; the next entry skips virtual time to the next device deadline that can wake it, or stops the VM when none can';
      break;
    case ExitReason.VMCALL: {
      const nr = r[0] >>> 0;
      reads.push(node('eax (number)', String(nr)), node('ebx', hex8(r[3])), node('ecx', hex8(r[1])), node('edx', hex8(r[2])));
      if (nr === HC_CONSOLE_PUTC) { writes.push(node('console', JSON.stringify(String.fromCharCode(r[3] & 0xff))), node('eax', '0')); action = `hypercall HC_CONSOLE_PUTC: prints ${JSON.stringify(String.fromCharCode(r[3] & 0xff))} and returns 0`; }
      else if (nr === HC_EXIT) { writes.push(node('VM', `ends with status ${((r[3] << 1) | 1) >>> 0}`)); action = `hypercall HC_EXIT: ends the VM with status ${((r[3] << 1) | 1) >>> 0}`; }
      else if (nr === HC_MMU_UPDATE) { writes.push(node('page-table entries', `${r[1] >>> 0} requests from ${hex8(r[3])}`), node('eax', 'the count, or -14 / -22 (edx = the failing request)')); action = `hypercall HC_MMU_UPDATE: validates and writes ${r[1] >>> 0} page-table entries (and their shadow entries under shadow paging)`; }
      else { writes.push(node('eax', '-1000 (-ENOSYS)')); action = `unknown hypercall ${nr}: returns -1000 (KVM's -ENOSYS)`; }
      writes.push(skip);
      break;
    }
    case ExitReason.CR_ACCESS: {
      const q = decodeCrAccess(ev.qualification);
      const val = (q.gpr === 4 ? m.read(VMCS.GUEST_RSP) : r[q.gpr]) >>> 0;
      reads.push(node('cr', `cr${q.cr}`), node('access type', ['MOV to CR', 'MOV from CR', 'CLTS', 'LMSW'][q.accessType]), node(gprName(q.gpr), hex8(val)));
      if (q.accessType === 0 && (q.cr === 0 || q.cr === 4)) {
        writes.push(node(q.cr === 0 ? 'GUEST_CR0' : 'GUEST_CR4', `${hex8(val)} | host-owned bits`), node(q.cr === 0 ? 'CR0_READ_SHADOW' : 'CR4_READ_SHADOW', 'host-owned bits as the guest wrote them'), node('TLB', 'flushed'), skip);
        action = `loads cr${q.cr} = ${hex8(val)} (keeping host-owned bits in the read shadow) and skips the instruction`;
      } else action = `cr${q.cr} access type ${q.accessType} is not handled by this VMM: it will stop with an error`;
      break;
    }
    case ExitReason.MSR_READ: {
      const msr = r[1] >>> 0;
      const copy = Int32Array.from(r);
      const ok = vmm.msrs.read(v as VCpu, msr);
      const lo = r[0] >>> 0, hi = r[2] >>> 0;
      r.set(copy);
      reads.push(node('ecx (MSR)', hex(msr)));
      if (ok) { writes.push(node('edx:eax', `${hex8(hi)}:${hex8(lo)}`), skip); action = `returns MSR ${hex(msr)} = ${hex8(hi)}_${hex8(lo).slice(2)} and skips the instruction`; }
      else { writes.push(node('event', '#GP(0) injected')); action = `MSR ${hex(msr)} does not exist on this CPU model: injects #GP(0)`; }
      break;
    }
    case ExitReason.MSR_WRITE: {
      const msr = r[1] >>> 0;
      reads.push(node('ecx (MSR)', hex(msr)), node('edx:eax', `${hex8(r[2])}:${hex8(r[0])}`));
      writes.push(node(`MSR ${hex(msr)}`, `${hex8(r[2])}_${hex8(r[0]).slice(2)} (or #GP(0) if the MSR or value is not supported)`), skip);
      action = `writes MSR ${hex(msr)} = ${hex8(r[2])}_${hex8(r[0]).slice(2)} (#GP(0) if this CPU model has no such MSR) and skips the instruction`;
      break;
    }
    case ExitReason.EPT_VIOLATION: {
      const gpa = m.read(VMCS.GUEST_PHYSICAL_ADDRESS) >>> 0;
      const q = decodeEptViolation(ev.qualification);
      const hpa = vmm.memory.gpaToHpa(gpa & ~0xfff);
      reads.push(node('GUEST_PHYSICAL_ADDRESS', hex8(gpa), 'VMCS 0x2400'), node('access', `${q.read ? 'read ' : ''}${q.write ? 'write ' : ''}${q.fetch ? 'fetch' : ''}`.trim()));
      if (q.glaValid) reads.push(node('GUEST_LINEAR_ADDRESS', hex8(m.read(VMCS.GUEST_LINEAR_ADDRESS)), 'VMCS 0x640a'));
      if (hpa !== -1) {
        writes.push(node('EPT PTE', `GPA ${hex8(gpa & ~0xfff)} -> HPA ${hex8(hpa)} RWX WB`));
        action = `maps guest-physical page ${hex8(gpa & ~0xfff)} (RAM) to host page ${hex8(hpa)} with RWX and re-executes the instruction`;
      } else if (!q.write) {
        writes.push(node('EPT PTE', `GPA ${hex8(gpa & ~0xfff)} -> the all-ones page, R-X`));
        action = 'maps the shared all-ones page (nothing is at this guest-physical address: an empty bus) read-only and re-executes';
      } else {
        writes.push(node('memory', 'nothing (the write is dropped)'), skip);
        action = 'drops the write to unbacked guest-physical memory and skips the instruction';
      }
      break;
    }
    case ExitReason.EXCEPTION_NMI: {
      const info = decodeInterruptionInfo(m.read(VMCS.VM_EXIT_INTR_INFO));
      const err = info.errorCodeValid ? m.read(VMCS.VM_EXIT_INTR_ERROR_CODE) >>> 0 : undefined;
      reads.push(node('VM_EXIT_INTR_INFO', describeEvent(info, err), 'VMCS 0x4404'));
      if (info.vector === 14) { reads.push(node('faulting address', hex8(ev.qualification))); writes.push(node('cr2', hex8(ev.qualification))); }
      writes.push(node('VM_ENTRY_INTR_INFO_FIELD', `re-inject ${describeEvent(info, err)}`, 'VMCS 0x4016'));
      action = `re-injects ${describeEvent(info, err)} into the guest unchanged (the exception bitmap intercepted it for the debugger or the VMM's #UD/#AC policy)`;
      break;
    }
    case ExitReason.DR_ACCESS: {
      const q = ev.qualification;
      reads.push(node('debug register', `DR${q & 7}`), node('direction', q & 0x10 ? 'MOV from DR' : 'MOV to DR'), node('register', gprName((q >>> 8) & 15)));
      writes.push(q & 0x10 ? node(gprName((q >>> 8) & 15), `DR${q & 7}`) : node(`DR${q & 7}`, (q & 7) === 7 ? 'GUEST_DR7' : 'the processor register'), skip);
      action = `emulates MOV ${q & 0x10 ? `from DR${q & 7}` : `to DR${q & 7}`} (#UD for DR4/DR5 with CR4.DE, #DB if DR7.GD) and skips it`;
      break;
    }
    case ExitReason.INVD: case ExitReason.WBINVD: case ExitReason.MWAIT_INSTRUCTION: case ExitReason.MONITOR_INSTRUCTION: case ExitReason.PAUSE_INSTRUCTION:
      writes.push(skip);
      action = `treats ${ev.reasonName.replace('_INSTRUCTION', '')} as a no-op (KVM's policy) and skips it`;
      break;
    case ExitReason.RDPMC:
      writes.push(node('VM_ENTRY_INTR_INFO_FIELD', 'inject #GP(0)', 'VMCS 0x4016'));
      action = 'injects #GP(0): the virtual CPU has no performance counters';
      break;
    case ExitReason.RDTSC:
      writes.push(node('edx:eax', 'icount + TSC_OFFSET'), skip);
      action = 'returns the guest TSC (icount + TSC_OFFSET), what the processor would have returned';
      break;
    case ExitReason.GDTR_IDTR: case ExitReason.LDTR_TR:
      writes.push(node('guest state', 'the instruction\'s result, from the scratch processor'));
      action = 'emulates the descriptor-table instruction on a scratch processor and copies the result back';
      break;
    case ExitReason.APIC_ACCESS: case ExitReason.EPT_MISCONFIG:
      reads.push(node('local APIC register', ev.reason === ExitReason.APIC_ACCESS ? hex(ev.qualification & 0xfff) : hex8(m.read(VMCS.GUEST_PHYSICAL_ADDRESS) >>> 0)));
      writes.push(node('APIC model', 'the emulated access'), skip);
      action = ev.reason === ExitReason.APIC_ACCESS ? 'decodes the instruction and emulates the local APIC access' : 'on a page the VMM marked for MMIO: decodes the instruction and emulates the access (else: a VMM bug, the VM stops)';
      break;
    case ExitReason.VMCLEAR: case ExitReason.VMLAUNCH: case ExitReason.VMPTRLD: case ExitReason.VMPTRST: case ExitReason.VMREAD: case ExitReason.VMRESUME:
    case ExitReason.VMWRITE: case ExitReason.VMXOFF: case ExitReason.VMXON: case ExitReason.INVEPT: case ExitReason.INVVPID:
      writes.push(node('VM_ENTRY_INTR_INFO_FIELD', 'inject #UD', 'VMCS 0x4016'));
      action = 'injects #UD: this VMM offers the guest no VMX';
      break;
    case ExitReason.TRIPLE_FAULT:
      action = 'shuts the VM down (GUEST_ACTIVITY_STATE = shutdown); the state stays for inspection';
      break;
    case ExitReason.EXTERNAL_INTERRUPT: case ExitReason.INTERRUPT_WINDOW: case ExitReason.PREEMPTION_TIMER:
      writes.push(node('VM_ENTRY_INTR_INFO_FIELD', 'the pending PIC interrupt, if IF = 1 and nothing blocks it'));
      action = 'runs the due device deadlines and injects a pending interrupt on the next VM entry';
      break;
    default:
      action = `has no handler for ${ev.reasonName}: the VM stops with an error`;
  }
  return { action, reads, writes };
}
