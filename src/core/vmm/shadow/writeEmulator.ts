// The VMM's instruction emulator for writes to write-protected guest page tables (KVM's
// x86_emulate_instruction from kvm_mmu_page_fault, arch/x86/kvm/emulate.c).
//
// Approach (chosen for robustness): the product's own interpreter executes the one faulting guest
// instruction on a scratch processor, a second hw/cpu Cpu bound to the same host memory, loaded with
// the guest state from the VMCS and the saved GPRs, walking the same shadow tables (CR3 = the shadow
// root, paging as the hardware runs the guest) with the write-protected shadow entries made writable
// for that one instruction. Every store form the interpreter knows (MOV, AND/OR with a memory
// destination, XCHG, CMPXCHG, CMPXCHG8B, BTS, STOS, MOVS, PUSH ...) is therefore emulated exactly as
// the hardware would execute it, flags included. The caller diffs the guest table page before and
// after to learn which guest entries changed and updates their shadow entries at once.
//
// The scratch processor runs in "non-root operation" under hooks that stop it instead of exiting:
// anything that would exit or an exception (vector, error code, #PF address) ends the attempt, and the
// caller decides (map the page and retry, reflect the fault, or give up with a clear error).
import { Cpu, type NonRootHooks } from '../../hw/cpu/cpu';
import type { HostPhysMem } from '../../hw/physMem';
import type { VCpu } from '../vcpu';
import { VMCS } from '../../hw/vmx/vmcsFields';
import { SS } from '../../hw/cpu/regs';

/** Why the scratch instruction stopped. */
export interface EmulationStop {
  kind: 'exception' | 'exit';
  vector: number;
  errorCode: number;
  /** #PF linear address. */
  address: number;
}

const STOP = { signal: 'shadow-emulation-stop' } as const;

class StopHooks implements NonRootHooks {
  stop: EmulationStop | null = null;
  private halt(kind: 'exception' | 'exit', vector = -1, errorCode = -1, address = 0): never {
    this.stop = { kind, vector, errorCode, address };
    throw STOP;
  }
  instruction(): void { this.halt('exit'); }
  exception(cpu: Cpu, vector: number, errorCode: number, hasError: boolean): void {
    this.halt('exception', vector, hasError ? errorCode : -1, cpu.pfAddress >>> 0);
  }
  tripleFault(): never { return this.halt('exit'); }
  io(): void { this.halt('exit'); }
  crWrite(): number { return this.halt('exit'); }
  crRead(): number { return this.halt('exit'); }
  msr(): void { this.halt('exit'); }
  instructionBoundary(): void { /* no events for the scratch processor */ }
}

const SEL = (s: number): number => 0x0800 + 2 * s;
const LIM = (s: number): number => 0x4800 + 2 * s;
const ARF = (s: number): number => 0x4814 + 2 * s;
const BASE = (s: number): number => 0x6806 + 2 * s;

export class WriteEmulator {
  private cpu: Cpu | null = null;
  private readonly hooks = new StopHooks();

  constructor(private readonly host: HostPhysMem) {}

  /** The scratch processor, made on first use (it has its own TLB and decoded-instruction cache). */
  private scratch(): Cpu {
    if (!this.cpu) this.cpu = new Cpu(255, this.host);
    return this.cpu;
  }

  /**
   * Execute the guest instruction at GUEST_RIP once. Returns null when it completed (the guest state in
   * the VMCS and `vcpu.regs` is updated and the instruction retired), else why it stopped (nothing of
   * the guest state is changed; memory written before a fault inside the instruction stays written).
   */
  step(vcpu: VCpu, pdpte: Int32Array | null): EmulationStop | null {
    const c = this.scratch();
    const v = vcpu.vmcs;
    c.reg.set(vcpu.regs);
    c.reg[4] = v.read(VMCS.GUEST_RSP) | 0;
    c.eip = v.read(VMCS.GUEST_RIP) | 0;
    c.setEflags(v.read(VMCS.GUEST_RFLAGS));
    for (let s = 0; s < 8; s++) c.setSegCache(s, v.read(SEL(s)), v.read(BASE(s)), v.read(LIM(s)), v.read(ARF(s)));
    c.gdtrBase = v.read(VMCS.GUEST_GDTR_BASE) | 0; c.gdtrLimit = v.read(VMCS.GUEST_GDTR_LIMIT);
    c.idtrBase = v.read(VMCS.GUEST_IDTR_BASE) | 0; c.idtrLimit = v.read(VMCS.GUEST_IDTR_LIMIT);
    c.cr0 = v.read(VMCS.GUEST_CR0) | 0; c.cr3 = v.read(VMCS.GUEST_CR3) | 0; c.cr4 = v.read(VMCS.GUEST_CR4) | 0;
    c.efer = v.read(VMCS.GUEST_IA32_EFER) | 0;
    c.cpl = (c.segAr[SS] >> 5) & 3;
    c.activity = 0; c.interruptibility = 0;
    c.dr[7] = 0x400; c.dbgInsnBps = 0; c.dbgDataBps = 0; c.dbgHits = 0; c.dbgHeld = 0;
    if (pdpte) c.mmu.pdpte.set(pdpte);
    c.mmu.ept = null;
    c.mmu.flushAll();
    c.nonRoot = true;
    c.vmx = this.hooks;
    c.vmxEventAt = Infinity;
    this.hooks.stop = null;
    const before = c.icount;
    try {
      c.step();
    } catch (e) {
      if (e !== STOP) throw e;
      const st = this.hooks.stop as EmulationStop | null;
      // A trap-like #DB after the instruction completed (TF, data breakpoint) still completed it.
      if (!(st && st.vector === 1 && c.icount > before)) return st;
    }
    if (c.icount === before) return (this.hooks.stop as EmulationStop | null) ?? { kind: 'exit', vector: -1, errorCode: -1, address: 0 };
    // Completed: the instruction's architectural results become the guest's.
    vcpu.regs.set(c.reg);
    v.write(VMCS.GUEST_RSP, c.reg[4] >>> 0);
    v.write(VMCS.GUEST_RIP, c.eip >>> 0);
    v.write(VMCS.GUEST_RFLAGS, c.getEflags() >>> 0);
    for (let s = 0; s < 6; s++) {
      v.write(SEL(s), c.segSel[s]); v.write(BASE(s), c.segBase[s] >>> 0); v.write(LIM(s), c.segLimit[s] >>> 0); v.write(ARF(s), c.segAr[s] >>> 0);
    }
    // Blocking by STI / MOV SS ends with the instruction, which retires (as skipInstruction does).
    v.write(VMCS.GUEST_INTERRUPTIBILITY_INFO, v.read(VMCS.GUEST_INTERRUPTIBILITY_INFO) & ~3);
    vcpu.cpu.icount++;
    return null;
  }
}
