import { strict as assert } from 'node:assert';
import {
  restoreVmcs, restoreVmcsInto, saveVmcs, Vmcs, VM_INSTRUCTION_ERRORS, VmInstructionError, vmInstructionErrorText, vmread, vmwrite,
} from '../../../src/core/hw/vmx/vmcs';
import { VMCS } from '../../../src/core/hw/vmx/vmcsFields';

describe('vmx/vmcs: storage and VMREAD/VMWRITE', () => {
  it('truncates 16-bit writes and keeps 32-bit / natural-width fields at 32 bits', () => {
    const v = new Vmcs();
    v.write(VMCS.GUEST_CS_SELECTOR, 0x12345678);
    assert.equal(v.read(VMCS.GUEST_CS_SELECTOR), 0x5678);
    v.write(VMCS.GUEST_CR3, 0xfffff000);
    assert.equal(v.read(VMCS.GUEST_CR3), 0xfffff000);
    v.write(VMCS.GUEST_RIP, -1);
    assert.equal(v.read(VMCS.GUEST_RIP), 0xffffffff);
    assert.equal(v.read64(VMCS.GUEST_RIP), 0xffffffffn);
  });

  it('splits 64-bit fields into halves', () => {
    const v = new Vmcs();
    v.write64(VMCS.EPT_POINTER, 0x0000000112345e1en);
    assert.equal(v.read(VMCS.EPT_POINTER), 0x12345e1e);
    assert.equal(v.read(VMCS.EPT_POINTER_HIGH), 1);
    assert.equal(v.read64(VMCS.EPT_POINTER), 0x112345e1en);
    // A 32-bit VMWRITE of the full encoding clears the high half (IA-32 VMWRITE).
    v.write(VMCS.EPT_POINTER, 0x5e);
    assert.equal(v.read64(VMCS.EPT_POINTER), 0x5en);
    v.write(VMCS.EPT_POINTER_HIGH, 0xabcd);
    assert.equal(v.read(VMCS.EPT_POINTER), 0x5e, 'a HIGH write leaves the low half');
    assert.equal(v.read64(VMCS.EPT_POINTER_HIGH), 0xabcdn);
    v.write64(VMCS.VMCS_LINK_POINTER, 0xffffffffffffffffn);
    assert.equal(v.read(VMCS.VMCS_LINK_POINTER), 0xffffffff);
    assert.equal(v.read(VMCS.VMCS_LINK_POINTER_HIGH), 0xffffffff);
  });

  it('throws on an unsupported encoding in the raw accessors', () => {
    const v = new Vmcs();
    assert.throws(() => v.read(0x4403), RangeError);
    assert.throws(() => v.write(0x7fff, 1), RangeError);
  });

  it('VMREAD of an unknown encoding fails with error 12', () => {
    const v = new Vmcs();
    const r = vmread(v, 0x4403);
    assert.deepEqual(r, { ok: false, error: 12 });
    assert.deepEqual(vmread(v, 0xffff_0000), { ok: false, error: VmInstructionError.UNSUPPORTED_VMCS_COMPONENT });
    v.write(VMCS.VM_EXIT_REASON, 30);
    assert.deepEqual(vmread(v, VMCS.VM_EXIT_REASON), { ok: true, value: 30 });
  });

  it('VMWRITE to a read-only field fails with error 13 unless IA32_VMX_MISC bit 29', () => {
    const v = new Vmcs();
    assert.deepEqual(vmwrite(v, VMCS.VM_EXIT_REASON, 1), { ok: false, error: 13 });
    assert.deepEqual(vmwrite(v, VMCS.GUEST_PHYSICAL_ADDRESS_HIGH, 1), { ok: false, error: 13 });
    assert.equal(v.read(VMCS.VM_EXIT_REASON), 0);
    assert.deepEqual(vmwrite(v, VMCS.VM_EXIT_REASON, 1, { writeAnyField: true }), { ok: true });
    assert.equal(v.read(VMCS.VM_EXIT_REASON), 1);
    assert.deepEqual(vmwrite(v, 0x0001, 1), { ok: false, error: 12 });
    assert.deepEqual(vmwrite(v, VMCS.GUEST_RIP, 0x7c00), { ok: true });
    assert.equal(v.read(VMCS.GUEST_RIP), 0x7c00);
  });

  it('lists the SDM VM-instruction error texts', () => {
    assert.equal(VM_INSTRUCTION_ERRORS[12], 'VMREAD/VMWRITE from/to unsupported VMCS component');
    assert.equal(VM_INSTRUCTION_ERRORS[13], 'VMWRITE to read-only VMCS component');
    assert.equal(VM_INSTRUCTION_ERRORS[7], 'VM entry with invalid control field(s)');
    assert.equal(VM_INSTRUCTION_ERRORS[28], 'Invalid operand to INVEPT/INVVPID');
    assert.equal(VM_INSTRUCTION_ERRORS[14], undefined);
    assert.match(vmInstructionErrorText(21), /reserved/);
    assert.equal(VmInstructionError.VMLAUNCH_NONCLEAR_VMCS, 4);
  });

  it('saves and restores a snapshot, versioned', () => {
    const v = new Vmcs();
    v.write(VMCS.GUEST_CR0, 0x80000031);
    v.write64(VMCS.GUEST_IA32_PAT, 0x0007040600070406n);
    v.launchState = 'launched';
    v.abortIndicator = 3;
    const snap = saveVmcs(v);
    const w = restoreVmcs(snap);
    assert.equal(w.read(VMCS.GUEST_CR0), 0x80000031);
    assert.equal(w.read64(VMCS.GUEST_IA32_PAT), 0x0007040600070406n);
    assert.equal(w.launchState, 'launched');
    assert.equal(w.abortIndicator, 3);
    assert.equal(w.revisionId, v.revisionId);
    const bad = snap.slice();
    bad[0] = 99;
    assert.throws(() => restoreVmcsInto(new Vmcs(), bad), /version/);
    v.reset();
    assert.equal(v.read(VMCS.GUEST_CR0), 0);
    assert.equal(v.launchState, 'clear');
  });
});
