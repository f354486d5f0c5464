// The shape of an exit handler (KVM's kvm_vmx_exit_handlers[] entries): it reads the exit from the
// VMCS, emulates, writes the result back, and either resumes the guest (undefined) or stops the VM
// with a typed stop event.
import type { StopEvent } from '../debug/debugApi';
import type { VCpu } from './vcpu';
import type { Vmm } from './vmm';
import { VMCS } from '../hw/vmx/vmcsFields';

export type ExitHandler = (vmm: Vmm, vcpu: VCpu) => StopEvent | undefined;

/** Advance the guest past the instruction that exited (KVM's kvm_skip_emulated_instruction): it retires. */
export function skipInstruction(vcpu: VCpu): void {
  const v = vcpu.vmcs;
  v.write(VMCS.GUEST_RIP, (v.read(VMCS.GUEST_RIP) + v.read(VMCS.VM_EXIT_INSTRUCTION_LEN)) >>> 0);
  // Blocking by STI / MOV SS ends with the instruction (SDM 26.6.2 / 6.8.3).
  v.write(VMCS.GUEST_INTERRUPTIBILITY_INFO, v.read(VMCS.GUEST_INTERRUPTIBILITY_INFO) & ~3);
  vcpu.cpu.icount++;
}

/**
 * One iteration of a REP string instruction emulated by a handler, the instruction not done: RIP
 * stays (SDM Vol. 2 "REP": the instruction restarts at the next iteration), the iteration retires
 * as one instruction count (the CPU counts REP iterations so, exec/string.ts), and blocking by STI /
 * MOV SS ends with it as after any instruction boundary (SDM 6.8.3).
 */
export function repIteration(vcpu: VCpu): void {
  const v = vcpu.vmcs;
  v.write(VMCS.GUEST_INTERRUPTIBILITY_INFO, v.read(VMCS.GUEST_INTERRUPTIBILITY_INFO) & ~3);
  vcpu.cpu.icount++;
}

/** Queue an exception for injection on the next VM entry (SDM 26.6). */
export function queueException(vcpu: VCpu, vector: number, errorCode = -1): void {
  const info = (vector | (3 << 8) | (errorCode >= 0 ? 1 << 11 : 0) | 0x80000000) >>> 0;
  vcpu.vmcs.write(VMCS.VM_ENTRY_INTR_INFO_FIELD, info);
  if (errorCode >= 0) vcpu.vmcs.write(VMCS.VM_ENTRY_EXCEPTION_ERROR_CODE, errorCode);
  vcpu.injected++;
}
