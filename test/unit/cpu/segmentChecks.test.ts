// Per-access segment checks in protected mode (SDM Vol. 3A 5.3 limit checking, 5.4.1 type checking,
// 6.15 #GP/#SS): writes to read-only data and code segments, reads of execute-only code, limits of
// expand-up and expand-down segments (B flag: upper bound 0xffff or 0xffffffff), #SS for SS. The same
// checks hold inside translated blocks, which only skip them for flat read/write segments.
import { strict as assert } from 'node:assert';
import { Cpu, CS, DS, ES, FS, GS, SS } from '../../../src/core/hw/cpu/cpu';
import { HostPhysMem } from '../../../src/core/hw/physMem';

const CODE = 0x1000;
const GP = 13, SSF = 12;

function bare(): { cpu: Cpu; faults: [number, number, number][] } {
  const cpu = new Cpu(0, new HostPhysMem(0x100000));
  cpu.cr0 |= 1;
  for (const s of [ES, SS, DS, FS, GS]) cpu.setSegCache(s, 0x10, 0, -1, 0xc093);
  cpu.setSegCache(CS, 0x08, 0, -1, 0xc09b);
  const faults: [number, number, number][] = [];
  cpu.deliverException = (vector: number, errorCode: number): void => {
    faults.push([vector, errorCode, cpu.icount]);
    cpu.eip = (cpu.eip + cpu.insn.length) | 0;
  };
  return { cpu, faults };
}

/** Execute one instruction at CODE; returns the vector it raised or -1. */
function exec(cpu: Cpu, faults: [number, number, number][], bytes: number[]): number {
  cpu.mem.u8.set(bytes, CODE);
  cpu.mem.codeWritten(CODE >>> 12);
  cpu.eip = CODE;
  const n = faults.length;
  cpu.step();
  return faults.length > n ? faults[faults.length - 1][0] : -1;
}

describe('segment permission and limit checks (issue 3)', () => {
  it('writes to a read-only data segment #GP(0); reads of it work', () => {
    const { cpu, faults } = bare();
    cpu.setSegCache(DS, 0x18, 0, -1, 0xc091); // read-only data
    cpu.reg[0] = 0x8000;
    assert.equal(exec(cpu, faults, [0x89, 0x18]), GP); // mov [eax], ebx
    assert.equal(faults[0][1], 0);
    assert.equal(exec(cpu, faults, [0x01, 0x18]), GP); // add [eax], ebx (read-modify-write)
    assert.equal(exec(cpu, faults, [0x8b, 0x18]), -1); // mov ebx, [eax]
    assert.equal(exec(cpu, faults, [0x39, 0x18]), -1); // cmp [eax], ebx only reads
    cpu.setSegCache(ES, 0x18, 0, -1, 0xc091);
    cpu.reg[7] = 0x8000;
    assert.equal(exec(cpu, faults, [0xaa]), GP); // stosb to ES
  });

  it('reads through an execute-only code segment #GP(0); a readable one reads; code is never written', () => {
    const { cpu, faults } = bare();
    cpu.reg[3] = 0x8000;
    assert.equal(exec(cpu, faults, [0x2e, 0x8b, 0x03]), -1); // mov eax, cs:[ebx] (readable code)
    assert.equal(exec(cpu, faults, [0x2e, 0x89, 0x03]), GP); // mov cs:[ebx], eax
    cpu.setSegCache(CS, 0x08, 0, -1, 0xc099); // execute-only
    assert.equal(exec(cpu, faults, [0x2e, 0x8b, 0x03]), GP);
    assert.equal(exec(cpu, faults, [0x8b, 0x03]), -1); // DS still reads
  });

  it('expand-up limits, expand-down limits (B = 0 and 1), and #SS(0) for SS', () => {
    const { cpu, faults } = bare();
    cpu.setSegCache(DS, 0x18, 0, 0xfff, 0x4093);
    cpu.reg[0] = 0xffc;
    assert.equal(exec(cpu, faults, [0x8b, 0x18]), -1); // dword at 0xffc..0xfff
    cpu.reg[0] = 0xffd;
    assert.equal(exec(cpu, faults, [0x8b, 0x18]), GP);
    // Expand-down, B = 1: valid offsets are limit+1 .. 0xffffffff.
    cpu.setSegCache(DS, 0x18, 0x10000, 0xfff, 0x4097); // base 64 KiB: offset -4 wraps to linear 0xfffc
    cpu.reg[0] = 0xfff;
    assert.equal(exec(cpu, faults, [0x8a, 0x18]), GP); // mov bl, [eax]
    cpu.reg[0] = 0x1000;
    assert.equal(exec(cpu, faults, [0x8a, 0x18]), -1);
    cpu.reg[0] = -4;
    assert.equal(exec(cpu, faults, [0x8b, 0x18]), -1);
    // Expand-down, B = 0: the upper bound is 0xffff.
    cpu.setSegCache(DS, 0x18, 0, 0xfff, 0x0097);
    cpu.reg[0] = 0xfffe;
    assert.equal(exec(cpu, faults, [0x8b, 0x18]), GP);
    cpu.reg[0] = 0xfffc;
    assert.equal(exec(cpu, faults, [0x8b, 0x18]), -1);
    // SS: the same checks raise #SS(0).
    cpu.setSegCache(SS, 0x10, 0, 0xfff, 0x4097);
    cpu.reg[4] = 0x1002;
    assert.equal(exec(cpu, faults, [0x50]), SSF); // push eax: writes 0xffe..0x1001
    assert.equal(faults[faults.length - 1][1], 0);
    cpu.reg[4] = 0x2000;
    assert.equal(exec(cpu, faults, [0x50]), -1);
  });

  it('inside a translated block: a limit #GP at the same icount as the plain interpreter', () => {
    const run = (translate: boolean): [number, number, number][] => {
      const { cpu, faults } = bare();
      cpu.translate = translate;
      cpu.setSegCache(DS, 0x18, 0, 0x1fff, 0x4093); // limit 8 KiB: not flat, so blocks call Cpu.linear
      cpu.setSegCache(ES, 0x18, 0, -1, 0xc091); // flat but read-only: block writes through ES are checked
      cpu.reg[6] = 0x1800; cpu.reg[7] = 0x3000;
      // loop: mov eax, [esi]; add esi, 4; add eax, 1; mov es:[edi], al (faults); jmp loop
      cpu.mem.u8.set([0x8b, 0x06, 0x83, 0xc6, 0x04, 0x83, 0xc0, 0x01, 0x26, 0x88, 0x07, 0xeb, 0xf3], CODE);
      cpu.eip = CODE;
      for (let k = 0; k < 200; k++) cpu.run(k % 3 === 0 ? 1 : 97);
      return faults;
    };
    const blocks = run(true), plain = run(false);
    assert.ok(blocks.length > 10 && blocks.some((f) => f[0] === GP));
    assert.deepEqual(blocks, plain);
  });
});
