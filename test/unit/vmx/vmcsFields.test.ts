import { strict as assert } from 'node:assert';
import {
  encodingName, fieldByEncoding, fieldByName, fieldIndex, fieldType, fieldWidth, isHighAccess, isReadOnlyField,
  VMCS, VMCS_FIELD_COUNT, VMCS_FIELDS, VMCS_MAX_ENCODING_INDEX, type VmcsGroup,
} from '../../../src/core/hw/vmx/vmcsFields';

describe('vmx/vmcsFields: SDM Appendix B encodings', () => {
  it('has the well-known encodings', () => {
    assert.equal(VMCS.GUEST_CR3, 0x6802);
    assert.equal(VMCS.VM_EXIT_REASON, 0x4402);
    assert.equal(VMCS.EXIT_QUALIFICATION, 0x6400);
    assert.equal(VMCS.GUEST_PHYSICAL_ADDRESS, 0x2400);
    assert.equal(VMCS.GUEST_LINEAR_ADDRESS, 0x640a);
    assert.equal(VMCS.EPT_POINTER, 0x201a);
    assert.equal(VMCS.EPT_POINTER_HIGH, 0x201b);
    assert.equal(VMCS.VIRTUAL_PROCESSOR_ID, 0x0000);
    assert.equal(VMCS.POSTED_INTR_NV, 0x0002);
    assert.equal(VMCS.EPTP_INDEX, 0x0004);
    assert.equal(VMCS.GUEST_ES_SELECTOR, 0x0800);
    assert.equal(VMCS.GUEST_RIP, 0x681e);
    assert.equal(VMCS.GUEST_RSP, 0x681c);
    assert.equal(VMCS.GUEST_RFLAGS, 0x6820);
    assert.equal(VMCS.GUEST_CS_AR_BYTES, 0x4816);
    assert.equal(VMCS.GUEST_INTERRUPTIBILITY_INFO, 0x4824);
    assert.equal(VMCS.GUEST_ACTIVITY_STATE, 0x4826);
    assert.equal(VMCS.GUEST_SYSENTER_CS, 0x482a);
    assert.equal(VMCS.VMCS_LINK_POINTER, 0x2800);
    assert.equal(VMCS.PIN_BASED_VM_EXEC_CONTROL, 0x4000);
    assert.equal(VMCS.CPU_BASED_VM_EXEC_CONTROL, 0x4002);
    assert.equal(VMCS.SECONDARY_VM_EXEC_CONTROL, 0x401e);
    assert.equal(VMCS.VM_ENTRY_INTR_INFO_FIELD, 0x4016);
    assert.equal(VMCS.VM_INSTRUCTION_ERROR, 0x4400);
    assert.equal(VMCS.CR3_TARGET_VALUE3, 0x600e);
    assert.equal(VMCS.HOST_RIP, 0x6c16);
    assert.equal(VMCS.HOST_IA32_SYSENTER_CS, 0x4c00);
    assert.equal(VMCS.TSC_MULTIPLIER, 0x2032);
    assert.equal(VMCS.XSS_EXIT_BITMAP, 0x202c);
    assert.equal(VMCS.PML_ADDRESS, 0x200e);
    assert.equal(VMCS.ENCLS_EXITING_BITMAP, 0x202e);
    assert.equal(VMCS.GUEST_PML_INDEX, 0x0812);
    assert.equal(VMCS.GUEST_BNDCFGS, 0x2812);
    assert.equal(VMCS.GUEST_IA32_RTIT_CTL, 0x2814);
    assert.equal(VMCS.HOST_IA32_PERF_GLOBAL_CTRL, 0x2c04);
    assert.equal(VMCS.GUEST_S_CET, 0x6828);
    assert.equal(VMCS.HOST_S_CET, 0x6c18);
    assert.equal(VMCS.TERTIARY_VM_EXEC_CONTROL, 0x2034);
    assert.equal(VMCS.VMX_PREEMPTION_TIMER_VALUE, 0x482e);
  });

  it('reads width and type from the encoding bits', () => {
    assert.equal(fieldWidth(VMCS.GUEST_ES_SELECTOR), 16);
    assert.equal(fieldWidth(VMCS.EPT_POINTER), 64);
    assert.equal(fieldWidth(VMCS.EPT_POINTER_HIGH), 64);
    assert.equal(fieldWidth(VMCS.VM_EXIT_REASON), 32);
    assert.equal(fieldWidth(VMCS.GUEST_CR3), 'natural');
    assert.equal(fieldType(VMCS.CPU_BASED_VM_EXEC_CONTROL), 'control');
    assert.equal(fieldType(VMCS.EXIT_QUALIFICATION), 'exitInfo');
    assert.equal(fieldType(VMCS.GUEST_CR3), 'guest');
    assert.equal(fieldType(VMCS.HOST_CR3), 'host');
    assert.equal(isHighAccess(VMCS.EPT_POINTER_HIGH), true);
    assert.equal(isHighAccess(VMCS.EPT_POINTER), false);
    assert.equal(isHighAccess(0x4403), false, 'bit 0 on a 32-bit encoding is not a high access');
    assert.equal(isReadOnlyField(VMCS.VM_EXIT_REASON), true);
    assert.equal(isReadOnlyField(VMCS.GUEST_RIP), false);
  });

  it('has unique names and encodings, in ascending (Appendix B) order', () => {
    const names = new Set(VMCS_FIELDS.map((f) => f.name));
    const encs = new Set(VMCS_FIELDS.map((f) => f.encoding));
    assert.equal(names.size, VMCS_FIELDS.length);
    assert.equal(encs.size, VMCS_FIELDS.length);
    assert.equal(VMCS_FIELD_COUNT, VMCS_FIELDS.length);
    for (let i = 1; i < VMCS_FIELDS.length; i++) assert.ok(VMCS_FIELDS[i]!.encoding > VMCS_FIELDS[i - 1]!.encoding);
    const allValues = Object.values(VMCS);
    assert.equal(new Set(allValues).size, allValues.length, 'no two VMCS names share an encoding');
  });

  it('keeps each encoding consistent with its group, and full encodings even with bit 12 clear', () => {
    const typeOf: Record<VmcsGroup, string> = {
      execControl: 'control', exitControl: 'control', entryControl: 'control', exitInfo: 'exitInfo', guest: 'guest', host: 'host',
    };
    for (const f of VMCS_FIELDS) {
      assert.equal(fieldType(f.encoding), typeOf[f.group], f.name);
      assert.equal(f.encoding & 1, 0, `${f.name} full encoding has access type 0`);
      assert.equal(f.encoding & 0x1000, 0, `${f.name} bit 12 reserved`);
      assert.ok(f.encoding < 0x8000, f.name);
    }
  });

  it('pairs every 64-bit field with a _HIGH name = encoding | 1, and nothing else', () => {
    const table = VMCS as Record<string, number>;
    let highs = 0;
    for (const f of VMCS_FIELDS) {
      const high = table[f.name + '_HIGH'];
      if (fieldWidth(f.encoding) === 64) {
        assert.equal(high, f.encoding | 1, f.name);
        highs++;
      } else {
        assert.equal(high, undefined, f.name);
      }
      assert.equal(table[f.name], f.encoding);
    }
    assert.equal(Object.keys(VMCS).length, VMCS_FIELDS.length + highs, 'every VMCS key is a field or a HIGH alias');
  });

  it('looks fields up by encoding and by name', () => {
    assert.equal(fieldByEncoding(VMCS.GUEST_CR3)?.name, 'GUEST_CR3');
    assert.equal(fieldByEncoding(VMCS.EPT_POINTER_HIGH)?.name, 'EPT_POINTER');
    assert.equal(fieldByEncoding(0x4403), undefined);
    assert.equal(fieldByEncoding(0x6801), undefined, 'natural-width fields have no high access');
    assert.equal(fieldByEncoding(0x12345678), undefined);
    assert.equal(fieldByName('VM_EXIT_REASON')?.encoding, 0x4402);
    assert.equal(fieldByName('EPT_POINTER_HIGH')?.encoding, 0x201a);
    assert.equal(fieldByName('GUEST_CR3_HIGH'), undefined);
    assert.equal(fieldByName('EXIT_QUALIFICATION')?.group, 'exitInfo');
    assert.equal(fieldByName('VM_ENTRY_INTR_INFO_FIELD')?.group, 'entryControl');
    assert.equal(fieldByName('VM_EXIT_CONTROLS')?.group, 'exitControl');
    assert.equal(encodingName(VMCS.TSC_OFFSET_HIGH), 'TSC_OFFSET_HIGH');
  });

  it('gives a dense storage index', () => {
    assert.equal(fieldIndex(VMCS.VIRTUAL_PROCESSOR_ID), 0);
    assert.equal(fieldIndex(VMCS.HOST_INTR_SSP_TABLE), VMCS_FIELD_COUNT - 1);
    assert.equal(fieldIndex(VMCS.EPT_POINTER_HIGH), fieldIndex(VMCS.EPT_POINTER));
    assert.equal(fieldIndex(0x0001), -1);
    assert.equal(fieldIndex(-2), -1);
    assert.equal(fieldIndex(0x8000), -1);
    VMCS_FIELDS.forEach((f, i) => assert.equal(fieldIndex(f.encoding), i));
  });

  it('knows the highest encoding index for IA32_VMX_VMCS_ENUM', () => {
    // INJECTED_EVENT_DATA 0x2052 has index 0x29 (bits 9:1), the largest in Appendix B.
    assert.equal(VMCS_MAX_ENCODING_INDEX, 0x29);
  });
});
