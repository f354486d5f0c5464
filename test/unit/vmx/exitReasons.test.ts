import { strict as assert } from 'node:assert';
import {
  basicExitReason, EXIT_REASONS, ExitReason, exitReasonByName, exitReasonDescription, exitReasonName, isEntryFailure,
  VMX_EXIT_REASON_ENTRY_FAILURE,
} from '../../../src/core/hw/vmx/exitReasons';

describe('vmx/exitReasons: SDM Appendix C', () => {
  it('uses the Appendix C numbers', () => {
    assert.equal(ExitReason.EXCEPTION_NMI, 0);
    assert.equal(ExitReason.TRIPLE_FAULT, 2);
    assert.equal(ExitReason.CPUID, 10);
    assert.equal(ExitReason.HLT, 12);
    assert.equal(ExitReason.VMCALL, 18);
    assert.equal(ExitReason.CR_ACCESS, 28);
    assert.equal(ExitReason.IO_INSTRUCTION, 30);
    assert.equal(ExitReason.MSR_READ, 31);
    assert.equal(ExitReason.MSR_WRITE, 32);
    assert.equal(ExitReason.INVALID_GUEST_STATE, 33);
    assert.equal(ExitReason.MONITOR_TRAP_FLAG, 37);
    assert.equal(ExitReason.EPT_VIOLATION, 48);
    assert.equal(ExitReason.EPT_MISCONFIG, 49);
    assert.equal(ExitReason.PREEMPTION_TIMER, 52);
    assert.equal(ExitReason.XRSTORS, 64);
    assert.equal(ExitReason.BUS_LOCK, 74);
    assert.equal(ExitReason.TDCALL, 77);
  });

  it('has unique numbers, none in the unassigned slots, each with a description', () => {
    const nums = EXIT_REASONS.map((r) => r.reason);
    assert.equal(new Set(nums).size, nums.length);
    for (const gap of [35, 38, 42, 71]) assert.ok(!nums.includes(gap), `reason ${gap} is unassigned`);
    for (const r of EXIT_REASONS) assert.ok(r.description.length > 0, r.name);
  });

  it('names reasons and finds them by name', () => {
    assert.equal(exitReasonName(30), 'IO_INSTRUCTION');
    assert.equal(exitReasonName(0x80000021), 'INVALID_GUEST_STATE', 'flags above bit 15 are ignored');
    assert.equal(exitReasonName(35), 'UNKNOWN_35');
    assert.equal(exitReasonName(200), 'UNKNOWN_200');
    assert.equal(exitReasonByName('cpuid'), 10);
    assert.equal(exitReasonByName('EXIT_REASON_HLT'), 12);
    assert.equal(exitReasonByName('EPT_VIOLATION'), 48);
    assert.equal(exitReasonByName('toString'), undefined);
    assert.equal(exitReasonByName('NOPE'), undefined);
    assert.match(exitReasonDescription(ExitReason.IO_INSTRUCTION), /I\/O instruction/);
  });

  it('splits the exit-reason field', () => {
    assert.equal(VMX_EXIT_REASON_ENTRY_FAILURE, 0x80000000);
    assert.equal(basicExitReason(0x80000021), 33);
    assert.equal(isEntryFailure(0x80000021), true);
    assert.equal(isEntryFailure(30), false);
  });
});
