import { strict as assert } from 'node:assert';
import {
  activityStateName, CpuBasedControls, decodeControlBits, decodeFieldBits, PinBasedControls, SecondaryExecControls,
  segmentTypeName, VmEntryControls, VmExitControls,
} from '../../../src/core/hw/vmx/vmxControls';
import { VMCS } from '../../../src/core/hw/vmx/vmcsFields';

const find = (rows: { name: string; value: number; text?: string }[] | undefined, name: string) => rows?.find((r) => r.name === name);

describe('vmx/vmxControls: named control bits', () => {
  it('has the SDM bit positions', () => {
    assert.equal(CpuBasedControls.CPU_BASED_HLT_EXITING, 1 << 7);
    assert.equal(CpuBasedControls.CPU_BASED_UNCOND_IO_EXITING, 1 << 24);
    assert.equal(CpuBasedControls.CPU_BASED_USE_IO_BITMAPS, 1 << 25);
    assert.equal(CpuBasedControls.CPU_BASED_USE_MSR_BITMAPS, 1 << 28);
    assert.equal(CpuBasedControls.CPU_BASED_CR3_LOAD_EXITING, 1 << 15);
    assert.equal(CpuBasedControls.CPU_BASED_CR3_STORE_EXITING, 1 << 16);
    assert.equal(CpuBasedControls.CPU_BASED_ACTIVATE_SECONDARY_CONTROLS, 0x80000000);
    assert.equal(SecondaryExecControls.SECONDARY_EXEC_ENABLE_EPT, 1 << 1);
    assert.equal(SecondaryExecControls.SECONDARY_EXEC_DESC, 1 << 2);
    assert.equal(SecondaryExecControls.SECONDARY_EXEC_ENABLE_VPID, 1 << 5);
    assert.equal(SecondaryExecControls.SECONDARY_EXEC_UNRESTRICTED_GUEST, 1 << 7);
    assert.equal(PinBasedControls.PIN_BASED_EXT_INTR_MASK, 1);
    assert.equal(PinBasedControls.PIN_BASED_NMI_EXITING, 1 << 3);
    assert.equal(VmExitControls.VM_EXIT_HOST_ADDR_SPACE_SIZE, 0x200);
    assert.equal(VmExitControls.VM_EXIT_ACK_INTR_ON_EXIT, 0x8000);
    assert.equal(VmEntryControls.VM_ENTRY_IA32E_MODE, 0x200);
    assert.equal(VmEntryControls.VM_ENTRY_LOAD_IA32_EFER, 0x8000);
  });

  it('decodes the primary processor-based controls bit by bit', () => {
    const v = CpuBasedControls.CPU_BASED_HLT_EXITING | CpuBasedControls.CPU_BASED_USE_IO_BITMAPS | 0x0401e172;
    const rows = decodeControlBits(VMCS.CPU_BASED_VM_EXEC_CONTROL, v);
    assert.deepEqual(find(rows, 'HLT exiting'), { name: 'HLT exiting', value: 1, text: 'on' });
    assert.deepEqual(find(rows, 'Use I/O bitmaps'), { name: 'Use I/O bitmaps', value: 1, text: 'on' });
    assert.deepEqual(find(rows, 'RDTSC exiting'), { name: 'RDTSC exiting', value: 0, text: 'off' });
    assert.equal(find(rows, 'CR3-load exiting')?.value, 1);
    assert.equal(find(rows, 'bit 1 (default1)')?.value, 1);
    assert.deepEqual(decodeControlBits(VMCS.GUEST_RIP, 1), []);
  });

  it('expands segment access rights', () => {
    // Flat 32-bit code: type 0xb (code, execute/read, accessed), S, DPL 0, P, D/B, G = 0xc09b.
    const rows = decodeFieldBits(VMCS.GUEST_CS_AR_BYTES, 0xc09b);
    assert.equal(find(rows, 'Type')?.value, 0xb);
    assert.equal(find(rows, 'Type')?.text, 'code execute/read, accessed');
    assert.equal(find(rows, 'P (present)')?.value, 1);
    assert.equal(find(rows, 'D/B (default size)')?.value, 1);
    assert.equal(find(rows, 'G (granularity)')?.value, 1);
    assert.equal(find(rows, 'Segment unusable')?.value, 0);
    assert.equal(find(decodeFieldBits(VMCS.GUEST_LDTR_AR_BYTES, 0x10000), 'Segment unusable')?.value, 1);
    assert.equal(segmentTypeName(11, false), '32-bit TSS (busy)');
  });

  it('expands interruptibility, activity state, interruption info, exit reason and EPTP', () => {
    assert.equal(find(decodeFieldBits(VMCS.GUEST_INTERRUPTIBILITY_INFO, 0x2), 'Blocking by MOV SS')?.value, 1);
    assert.equal(decodeFieldBits(VMCS.GUEST_ACTIVITY_STATE, 1)?.[0]?.text, 'HLT');
    assert.equal(activityStateName(3), 'wait-for-SIPI');
    const ii = decodeFieldBits(VMCS.VM_EXIT_INTR_INFO, 0x80000b0e);
    assert.equal(find(ii, 'Vector')?.text, '#PF');
    assert.equal(find(ii, 'Type')?.text, 'hardware exception');
    assert.equal(find(ii, 'Error code valid')?.value, 1);
    assert.equal(find(ii, 'Valid')?.value, 1);
    assert.equal(find(decodeFieldBits(VMCS.VM_ENTRY_INTR_INFO_FIELD, 0x80000020), 'Deliver error code')?.value, 0);
    const er = decodeFieldBits(VMCS.VM_EXIT_REASON, 0x80000021);
    assert.equal(find(er, 'Basic exit reason')?.text, 'INVALID_GUEST_STATE');
    assert.equal(find(er, 'VM-entry failure')?.value, 1);
    // WB (6), page-walk length 4 (3 << 3), A/D (bit 6), PML4 at 0x00123000.
    const ep = decodeFieldBits(VMCS.EPT_POINTER, 0x0012305e);
    assert.equal(find(ep, 'Memory type')?.text, 'WB');
    assert.equal(find(ep, 'Page-walk length')?.value, 4);
    assert.equal(find(ep, 'Accessed and dirty flags')?.value, 1);
    assert.equal(find(ep, 'EPT PML4 table address')?.value, 0x123000);
    assert.equal(decodeFieldBits(VMCS.GUEST_RIP, 0x7c00), undefined);
    assert.equal(find(decodeFieldBits(VMCS.GUEST_CR0, 0x80000011), 'PG')?.value, 1);
    assert.equal(find(decodeFieldBits(VMCS.GUEST_RFLAGS, 0x3202), 'IOPL')?.value, 3);
    assert.equal(find(decodeFieldBits(VMCS.GUEST_RFLAGS, 0x3202), 'IF')?.value, 1);
    assert.deepEqual(decodeFieldBits(VMCS.EXCEPTION_BITMAP, 1 << 14)?.map((r) => r.name), ['#PF (14)']);
  });
});
