import { strict as assert } from 'node:assert';
import {
  decodeCrAccess, decodeEptViolation, decodeExit, decodeIoQualification, encodeCrAccess, encodeDrAccess, encodeEptViolation,
  decodeVmcsExit, encodeInterruptionInfo, encodeIoQualification, exceptionHasErrorCode, exceptionName, IntrType,
} from '../../../src/core/hw/vmx/exitQualification';
import { ExitReason } from '../../../src/core/hw/vmx/exitReasons';
import { Vmcs } from '../../../src/core/hw/vmx/vmcs';
import { VMCS } from '../../../src/core/hw/vmx/vmcsFields';

describe('vmx/exitQualification: SDM 28.2.1 layouts', () => {
  it('decodes `out dx, al` to port 0x3f8', () => {
    // size-1 = 0 (bits 2:0), out (bit 3 = 0), not string/rep, DX operand (bit 6 = 0), port in 31:16.
    const q = 0x03f80000;
    const d = decodeExit(ExitReason.IO_INSTRUCTION, q);
    assert.equal(d.detail, 'port 0x3f8 out, 1 byte');
    assert.deepEqual(d.fields, { reason: 30, qualification: q, port: 0x3f8, in: false, size: 1, string: false, rep: false, imm: false });
    assert.equal(encodeIoQualification({ port: 0x3f8, size: 1, in: false, string: false, rep: false, imm: false }), q);
  });

  it('decodes `in al, 0x60` and `rep outsw`', () => {
    const inImm = decodeExit(ExitReason.IO_INSTRUCTION, 0x00600048);
    assert.equal(inImm.detail, 'port 0x60 in, 1 byte');
    assert.equal(inImm.fields.in, true);
    assert.equal(inImm.fields.imm, true);
    const rep = decodeExit(ExitReason.IO_INSTRUCTION, 0x01f00031, { guestLinearAddress: 0x1000 });
    assert.equal(rep.detail, 'port 0x1f0 out, 2 bytes, rep string, gla 0x00001000');
    assert.equal(rep.fields.size, 2);
    assert.equal(rep.fields.rep, true);
    assert.equal(decodeIoQualification(0x00710003).size, 4);
  });

  it('decodes CR accesses', () => {
    const movToCr3 = 0x3 | (0 << 4) | (0 << 8);
    const d = decodeExit(ExitReason.CR_ACCESS, movToCr3);
    assert.equal(d.detail, 'mov to cr3 from eax');
    assert.equal(d.fields.cr, 3);
    assert.equal(d.fields.accessType, 0);
    assert.equal(d.fields.gpr, 0);
    assert.equal(decodeExit(ExitReason.CR_ACCESS, 0x313).detail, 'mov from cr3 to ebx');
    assert.equal(decodeExit(ExitReason.CR_ACCESS, 0x20).detail, 'clts');
    const lmsw = decodeExit(ExitReason.CR_ACCESS, 0x00010030);
    assert.equal(lmsw.detail, 'lmsw 0x1 from register');
    assert.equal(lmsw.fields.lmswData, 1);
    assert.equal(decodeExit(ExitReason.CR_ACCESS, 0x0004).detail, 'mov to cr4 from eax');
    const c = decodeCrAccess(0x0713);
    assert.equal(encodeCrAccess(c), 0x0713);
  });

  it('decodes MOV DR', () => {
    assert.equal(decodeExit(ExitReason.DR_ACCESS, encodeDrAccess({ dr: 7, accessType: 0, gpr: 0 })).detail, 'mov to dr7 from eax');
    const from = decodeExit(ExitReason.DR_ACCESS, 0x116);
    assert.equal(from.detail, 'mov from dr6 to ecx');
    assert.equal(from.fields.dr, 6);
  });

  it('decodes an EPT violation (write to a not-present page)', () => {
    // Bit 1 write, bits 3-5 zero (not present), bit 7 GLA valid, bit 8 access to the translation.
    const q = 0x182;
    const d = decodeExit(ExitReason.EPT_VIOLATION, q, { guestPhysicalAddress: 0xb8000, guestLinearAddress: 0xb8000 });
    assert.equal(d.detail, 'gpa 0x000b8000 write (not present), gla 0x000b8000');
    assert.equal(d.fields.write, true);
    assert.equal(d.fields.read, false);
    assert.equal(d.fields.fetch, false);
    assert.equal(d.fields.gpa, 0xb8000);
    assert.equal(d.fields.gla, 0xb8000);
    const e = decodeEptViolation(0x10d);
    assert.equal(e.read, true);
    assert.equal(e.readable, true);
    assert.equal(e.executable, false);
    assert.equal(encodeEptViolation(e), 0x10d);
    const fetch = decodeExit(ExitReason.EPT_VIOLATION, 0x0c, { guestPhysicalAddress: 0x100000 });
    assert.equal(fetch.detail, 'gpa 0x00100000 fetch (entry r--)');
    assert.equal(fetch.fields.gla, undefined, 'no gla when bit 7 is clear');
  });

  it('decodes exceptions from the VM-exit interruption information', () => {
    const pf = decodeExit(ExitReason.EXCEPTION_NMI, 0x00401000, {
      exitIntrInfo: encodeInterruptionInfo(14, IntrType.HARDWARE_EXCEPTION, true), exitIntrErrorCode: 2,
    });
    assert.equal(pf.detail, '#PF error 0x2, address 0x00401000');
    assert.equal(pf.fields.vector, 14);
    assert.equal(pf.fields.errorCode, 2);
    const gp = decodeExit(ExitReason.EXCEPTION_NMI, 0, { exitIntrInfo: 0x80000b0d, exitIntrErrorCode: 0 });
    assert.equal(gp.detail, '#GP error 0x0');
    const nmi = decodeExit(ExitReason.EXCEPTION_NMI, 0, { exitIntrInfo: 0x80000202 });
    assert.equal(nmi.detail, 'NMI');
    const bp = decodeExit(ExitReason.EXCEPTION_NMI, 0, { exitIntrInfo: 0x80000603 });
    assert.equal(bp.detail, '#BP (software exception)');
    const db = decodeExit(ExitReason.EXCEPTION_NMI, 0x4000, { exitIntrInfo: 0x80000301 });
    assert.equal(db.detail, '#DB (single step)');
    assert.equal(db.fields.bs, true);
  });

  it('names exceptions', () => {
    assert.equal(exceptionName(0), '#DE');
    assert.equal(exceptionName(1), '#DB');
    assert.equal(exceptionName(2), 'NMI');
    assert.equal(exceptionName(8), '#DF');
    assert.equal(exceptionName(10), '#TS');
    assert.equal(exceptionName(13), '#GP');
    assert.equal(exceptionName(14), '#PF');
    assert.equal(exceptionName(16), '#MF');
    assert.equal(exceptionName(18), '#MC');
    assert.equal(exceptionName(20), '#VE');
    assert.equal(exceptionName(0x20), 'vector 0x20');
    assert.equal(exceptionHasErrorCode(14), true);
    assert.equal(exceptionHasErrorCode(6), false);
  });

  it('decodes CPUID, MSR, VMCALL, HLT and triple fault', () => {
    const cpuid = decodeExit(ExitReason.CPUID, 0, { regs: { eax: 1, ecx: 0 } });
    assert.equal(cpuid.detail, 'leaf 0x1 subleaf 0x0');
    assert.equal(cpuid.fields.leaf, 1);
    assert.equal(cpuid.fields.subleaf, 0);
    const rdmsr = decodeExit(ExitReason.MSR_READ, 0, { regs: { ecx: 0x1b } });
    assert.equal(rdmsr.detail, 'rdmsr 0x1b');
    assert.equal(rdmsr.fields.msr, 0x1b);
    assert.equal(decodeExit(ExitReason.MSR_WRITE, 0, { regs: { ecx: 0x277 } }).detail, 'wrmsr 0x277');
    const vmcall = decodeExit(ExitReason.VMCALL, 0, { regs: { eax: 5 } });
    assert.equal(vmcall.fields.nr, 5);
    assert.equal(vmcall.detail, 'hypercall 0x5');
    assert.equal(decodeExit(ExitReason.HLT, 0).detail, 'hlt');
    assert.equal(decodeExit(ExitReason.TRIPLE_FAULT, 0).detail, 'triple fault (shutdown)');
    const fail = decodeExit(0x80000021, 0);
    assert.equal(fail.fields.reason, 33);
    assert.equal(fail.fields.entryFailure, true);
    assert.match(fail.detail, /invalid guest state/);
  });

  it('decodes task switches, INVLPG and SIPI', () => {
    const ts = decodeExit(ExitReason.TASK_SWITCH, (3 << 30) | 0x28);
    assert.equal(ts.detail, 'task switch to TSS 0x28 via task gate in IDT');
    assert.equal(decodeExit(ExitReason.INVLPG, 0x401000).fields.gla, 0x401000);
    assert.equal(decodeExit(ExitReason.SIPI, 0x9a).detail, 'SIPI vector 0x9a (start at 0x0009a000)');
  });

  it('decodes the exit recorded in a VMCS', () => {
    const v = new Vmcs();
    v.write(VMCS.VM_EXIT_REASON, ExitReason.IO_INSTRUCTION);
    v.write(VMCS.EXIT_QUALIFICATION, 0x03f80000);
    v.write(VMCS.VM_EXIT_INSTRUCTION_LEN, 1);
    const d = decodeVmcsExit(v);
    assert.equal(d.detail, 'port 0x3f8 out, 1 byte');
    assert.equal(d.fields.instructionLength, 1);
  });
});
