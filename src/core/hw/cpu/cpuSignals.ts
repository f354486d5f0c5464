// Control transfers out of the middle of an instruction. They are thrown as preallocated singletons
// (no allocation on the fault path) and caught by the run loop: a guest fault is delivered through
// the guest IDT, a VM exit returns to the hypervisor. Neither is a host error (invariant 5).
export const GUEST_FAULT = { signal: 'guest-fault' } as const;
export const VM_EXIT = { signal: 'vm-exit' } as const;
/** The debugger's stop-before-instruction predicate matched (Cpu.insnStop): caught by Cpu.run, never a guest event. */
export const INSN_STOP = { signal: 'insn-stop' } as const;
export type CpuSignal = typeof GUEST_FAULT | typeof VM_EXIT;
export const isCpuSignal = (e: unknown): e is CpuSignal => e === GUEST_FAULT || e === VM_EXIT;

/** Access kinds for the MMU (and the EPT-violation qualification bits 0-2). */
export const ACC_READ = 0, ACC_WRITE = 1, ACC_FETCH = 2;
