import { strict as assert } from 'node:assert';
import {
  adjustControls, allowed0, allowed1, controlCapabilityMsrFor, controlsAllowed, guestCr0FixedOk, VMX_MSR, vmxBasicMemType,
  vmxBasicRevisionId, vmxBasicVmcsSize, vmxCapabilityMsrs, vmxMiscCr3TargetCount, vmxMiscMaxMsrList, vmxMiscPreemptionTimerRate,
} from '../../../src/core/hw/vmx/vmxCapabilities';
import { CpuBasedControls as P, PinBasedControls as Pin, SecondaryExecControls as S, VmEntryControls as En, VmExitControls as Ex } from '../../../src/core/hw/vmx/vmxControls';
import { VMCS } from '../../../src/core/hw/vmx/vmcsFields';

const caps = vmxCapabilityMsrs();
const msr = (n: number): bigint => {
  const v = caps.get(n);
  assert.notEqual(v, undefined, `MSR 0x${n.toString(16)} reported`);
  return v!;
};

describe('vmx/vmxCapabilities: Appendix A reporting', () => {
  it('uses the SDM MSR numbers', () => {
    assert.equal(VMX_MSR.IA32_FEATURE_CONTROL, 0x3a);
    assert.equal(VMX_MSR.IA32_VMX_BASIC, 0x480);
    assert.equal(VMX_MSR.IA32_VMX_PROCBASED_CTLS2, 0x48b);
    assert.equal(VMX_MSR.IA32_VMX_EPT_VPID_CAP, 0x48c);
    assert.equal(VMX_MSR.IA32_VMX_TRUE_ENTRY_CTLS, 0x490);
    assert.equal(VMX_MSR.IA32_VMX_VMFUNC, 0x491);
    assert.equal(caps.has(VMX_MSR.IA32_VMX_VMFUNC), false, 'no VM functions, so no VMFUNC MSR');
  });

  it('reports IA32_VMX_BASIC', () => {
    const basic = msr(VMX_MSR.IA32_VMX_BASIC);
    assert.equal(vmxBasicRevisionId(basic), 1);
    assert.equal(vmxBasicVmcsSize(basic), 4096);
    assert.equal(vmxBasicMemType(basic), 6);
    assert.equal((basic >> 54n) & 1n, 1n, 'INS/OUTS instruction information');
    assert.equal((basic >> 55n) & 1n, 1n, 'TRUE controls');
    assert.equal((basic >> 48n) & 1n, 1n, '32-bit physical addresses on IA-32');
  });

  it('reports IA32_VMX_MISC', () => {
    const misc = msr(VMX_MSR.IA32_VMX_MISC);
    assert.equal(vmxMiscPreemptionTimerRate(misc), 5);
    assert.equal(vmxMiscCr3TargetCount(misc), 4);
    assert.equal(Number(misc >> 6n) & 7, 7, 'HLT, shutdown and wait-for-SIPI');
    assert.equal(vmxMiscMaxMsrList(misc), 512);
    assert.equal((misc >> 29n) & 1n, 0n, 'VMWRITE to read-only fields is not advertised');
  });

  it('reports default1 bits and supported controls', () => {
    const pin = msr(VMX_MSR.IA32_VMX_PINBASED_CTLS);
    assert.equal(allowed0(pin), 0x16);
    assert.ok(controlsAllowed(pin, 0x16 | Pin.PIN_BASED_EXT_INTR_MASK | Pin.PIN_BASED_NMI_EXITING | Pin.PIN_BASED_VIRTUAL_NMIS));
    assert.ok(!controlsAllowed(pin, 0x16 | Pin.PIN_BASED_POSTED_INTR));
    const proc = msr(VMX_MSR.IA32_VMX_PROCBASED_CTLS);
    assert.equal(allowed0(proc), 0x0401e172);
    assert.ok(allowed1(proc) & P.CPU_BASED_HLT_EXITING);
    assert.equal(allowed1(proc) & P.CPU_BASED_CR8_LOAD_EXITING, 0, 'no CR8 exiting on IA-32');
    assert.equal(allowed1(proc) & P.CPU_BASED_TPR_SHADOW, 0);
    const trueProc = msr(VMX_MSR.IA32_VMX_TRUE_PROCBASED_CTLS);
    assert.equal(allowed0(trueProc), 0x04006172, 'CR3-load/store exiting may be 0 per the TRUE MSR');
    assert.equal(allowed1(trueProc), allowed1(proc));
    const sec = msr(VMX_MSR.IA32_VMX_PROCBASED_CTLS2);
    assert.equal(allowed0(sec), 0);
    assert.equal(allowed1(sec), S.SECONDARY_EXEC_ENABLE_EPT | S.SECONDARY_EXEC_DESC | S.SECONDARY_EXEC_ENABLE_RDTSCP |
      S.SECONDARY_EXEC_ENABLE_VPID | S.SECONDARY_EXEC_WBINVD_EXITING | S.SECONDARY_EXEC_UNRESTRICTED_GUEST | S.SECONDARY_EXEC_VIRTUALIZE_APIC_ACCESSES);
    assert.ok(allowed1(proc) & P.CPU_BASED_USE_TSC_OFFSETTING, 'TSC offsetting (SDM 25.6.5)');
    const exit = msr(VMX_MSR.IA32_VMX_EXIT_CTLS);
    assert.equal(allowed0(exit), 0x36dff);
    assert.equal(allowed1(exit) & Ex.VM_EXIT_HOST_ADDR_SPACE_SIZE, 0, 'IA-32: host address-space size must be 0');
    assert.ok(allowed1(exit) & Ex.VM_EXIT_ACK_INTR_ON_EXIT);
    assert.equal(allowed0(msr(VMX_MSR.IA32_VMX_TRUE_EXIT_CTLS)), 0x36dfb);
    const entry = msr(VMX_MSR.IA32_VMX_ENTRY_CTLS);
    assert.equal(allowed0(entry), 0x11ff);
    assert.equal(allowed1(entry) & En.VM_ENTRY_IA32E_MODE, 0, 'IA-32: no IA-32e mode guest');
    assert.ok(allowed1(entry) & En.VM_ENTRY_LOAD_IA32_EFER);
    assert.equal(allowed0(msr(VMX_MSR.IA32_VMX_TRUE_ENTRY_CTLS)), 0x11fb);
  });

  it('keeps allowed-0 inside allowed-1 for every control MSR', () => {
    for (const n of [0x481, 0x482, 0x483, 0x484, 0x48b, 0x48d, 0x48e, 0x48f, 0x490]) {
      const cap = msr(n);
      assert.equal((allowed0(cap) & ~allowed1(cap)) >>> 0, 0, `MSR 0x${n.toString(16)}`);
    }
  });

  it('adjustControls agrees with controlsAllowed (KVM adjust_vmx_controls)', () => {
    const proc = msr(VMX_MSR.IA32_VMX_TRUE_PROCBASED_CTLS);
    const want = P.CPU_BASED_HLT_EXITING | P.CPU_BASED_USE_IO_BITMAPS | P.CPU_BASED_TPR_SHADOW | P.CPU_BASED_ACTIVATE_SECONDARY_CONTROLS;
    const got = adjustControls(proc, want);
    assert.ok(controlsAllowed(proc, got));
    assert.equal(got & P.CPU_BASED_TPR_SHADOW, 0, 'unsupported control dropped');
    assert.ok(got & P.CPU_BASED_HLT_EXITING);
    assert.equal(got & 0x04006172, 0x04006172, 'required bits forced');
    for (const n of [0x481, 0x482, 0x483, 0x484, 0x48b, 0x48d, 0x48e, 0x48f, 0x490]) {
      const cap = msr(n);
      assert.ok(controlsAllowed(cap, adjustControls(cap, 0)));
      assert.ok(controlsAllowed(cap, adjustControls(cap, 0xffffffff)));
      assert.equal(adjustControls(cap, 0xffffffff), allowed1(cap));
    }
    assert.ok(!controlsAllowed(msr(VMX_MSR.IA32_VMX_PINBASED_CTLS), 0), 'default1 bits missing');
  });

  it('reports EPT/VPID capabilities', () => {
    const ept = msr(VMX_MSR.IA32_VMX_EPT_VPID_CAP);
    for (const b of [0n, 6n, 14n, 16n, 20n, 21n, 25n, 26n, 32n, 40n, 41n, 42n, 43n]) assert.equal((ept >> b) & 1n, 1n, `bit ${b}`);
    assert.equal((ept >> 17n) & 1n, 0n, 'no 1-GByte pages');
    assert.equal((ept >> 7n) & 1n, 0n, 'no 5-level EPT');
  });

  it('reports fixed CR bits, and the unrestricted-guest relaxation', () => {
    assert.equal(msr(VMX_MSR.IA32_VMX_CR0_FIXED0), 0x80000021n);
    assert.equal(msr(VMX_MSR.IA32_VMX_CR0_FIXED1), 0xffffffffn);
    assert.equal(msr(VMX_MSR.IA32_VMX_CR4_FIXED0), 0x2000n);
    assert.equal(msr(VMX_MSR.IA32_VMX_CR4_FIXED1), 0x21ffn);
    assert.equal(vmxCapabilityMsrs({ cr4Fixed1: 0x6ff }).get(VMX_MSR.IA32_VMX_CR4_FIXED1), 0x26ffn, 'parameter, VMXE always');
    assert.equal(guestCr0FixedOk(0x80000031, false), true);
    assert.equal(guestCr0FixedOk(0x00000030, false), false, 'real mode needs unrestricted guest');
    assert.equal(guestCr0FixedOk(0x00000030, true), true);
    assert.equal(guestCr0FixedOk(0x00000010, true), false, 'NE stays fixed');
  });

  it('reports the VMCS enumeration and maps control fields to their MSR', () => {
    assert.equal(msr(VMX_MSR.IA32_VMX_VMCS_ENUM), 0x52n);
    assert.equal(controlCapabilityMsrFor(VMCS.CPU_BASED_VM_EXEC_CONTROL), 0x48e);
    assert.equal(controlCapabilityMsrFor(VMCS.CPU_BASED_VM_EXEC_CONTROL, false), 0x482);
    assert.equal(controlCapabilityMsrFor(VMCS.SECONDARY_VM_EXEC_CONTROL), 0x48b);
    assert.equal(controlCapabilityMsrFor(VMCS.GUEST_RIP), undefined);
  });
});
