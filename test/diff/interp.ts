// The interpreter side of the differential test: one Cpu alone on host-physical memory, in flat
// 32-bit protected mode with paging off, so linear = physical and the addresses are the native
// harness's (CODE_PAGE, MEM_BASE). Exceptions are caught before delivery and reported.
import { Cpu, CS, DS, ES, FS, GS, SS } from '../../src/core/hw/cpu/cpu';
import { HostPhysMem } from '../../src/core/hw/physMem';
import { CR0_PE } from '../../src/core/hw/cpu/regs';
import { CASE_IN, CODE_BYTES, CODE_PAGE, MEM_SIZE, REC_MEM } from './native';

export interface InterpResult {
  regs: Int32Array;
  eflags: number;
  mem: Uint8Array;
  /** Exception vector the instruction raised, or -1. */
  fault: number;
  /** Steps taken (REP iterations). */
  steps: number;
}

export class Interp {
  readonly mem = new HostPhysMem(0x300000);
  readonly cpu = new Cpu(0, this.mem);
  private fault = -1;
  private readonly lastCode = new Uint8Array(CODE_BYTES).fill(0xff);

  constructor() {
    const cpu = this.cpu;
    cpu.cr0 |= CR0_PE;
    for (const s of [ES, SS, DS, FS, GS]) cpu.setSegCache(s, 0x10, 0, 0xffffffff | 0, 0xc093);
    cpu.setSegCache(CS, 0x08, 0, 0xffffffff | 0, 0xc09b);
    // Catch the exception instead of delivering it (there is no IDT): the test reports the vector.
    cpu.deliverException = (vector: number): void => { this.fault = vector; };
  }

  /** Load a case record (native.ts layout), execute it, return the state. */
  run(rec: Buffer, at: number): InterpResult {
    const cpu = this.cpu, u8 = this.mem.u8;
    // Code bytes go through the CPU's own write path (so any decoded-instruction cache sees them),
    // and only when they change.
    for (let k = 0; k < CODE_BYTES; k++) {
      const b = rec[at + k];
      if (this.lastCode[k] !== b) { cpu.writeLin8(CODE_PAGE + k, b); this.lastCode[k] = b; }
    }
    for (let r = 0; r < 8; r++) cpu.reg[r] = rec.readInt32LE(at + CODE_BYTES + 4 * r);
    cpu.setEflags(rec.readInt32LE(at + CODE_BYTES + 32));
    const window = rec.readInt32LE(at + CODE_BYTES + 36);
    u8.set(rec.subarray(at + REC_MEM, at + CASE_IN), window);
    cpu.eip = CODE_PAGE;
    this.fault = -1;
    let steps = 0;
    do { cpu.step(); steps++; } while (cpu.eip === CODE_PAGE && this.fault < 0 && steps < 100000);
    return { regs: Int32Array.from(cpu.reg), eflags: cpu.getEflags(), mem: u8.slice(window, window + MEM_SIZE), fault: this.fault, steps };
  }
}
