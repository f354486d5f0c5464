// Debug exceptions (#DB, vector 1) from the debug registers and EFLAGS.TF (SDM Vol. 3B 17.2-17.3):
//  - instruction breakpoints (DR7.RWn = 00) are faults, checked before the instruction executes and
//    suppressed by EFLAGS.RF (17.3.1.1);
//  - data breakpoints (RWn = 01 write, 11 read/write) are traps, reported after the instruction
//    that accessed the range completes (17.3.1.2);
//  - single step (TF set when the instruction began) is a trap after the instruction (17.3.1.4);
//  - general detect (DR7.GD) is a fault on MOV DRn (17.3.1.3);
//  - I/O breakpoints (RWn = 10 with CR4.DE = 1) are traps after IN/OUT/INS/OUTS touch the port (17.2.4).
// A MOV SS / POP SS inhibits debug traps for the next instruction (SDM 6.8.3): they are held and
// reported after it. The CPU calls in here only when debug registers are armed or TF/RF are set, so
// the common path costs one test.
import type { Cpu } from './cpu';
import { CR4_DE } from './regs';

export const DR6_BS = 1 << 14, DR6_BD = 1 << 13, DR7_GD = 1 << 13;
/** DR6 bits that always read as 1 on P6 (SDM Figure 17-2). */
export const DR6_FIXED1 = 0xffff0ff0 | 0;

/** Is breakpoint n enabled (Ln or Gn)? */
const enabled = (dr7: number, n: number): boolean => ((dr7 >> (2 * n)) & 3) !== 0;
const rw = (dr7: number, n: number): number => (dr7 >>> (16 + 4 * n)) & 3;
/** Breakpoint length in bytes from LENn (00 = 1, 01 = 2, 11 = 4; 10 is undefined: 8 on later CPUs). */
const len = (dr7: number, n: number): number => [1, 2, 8, 4][(dr7 >>> (18 + 4 * n)) & 3];

/** Recompute which data/instruction breakpoints are armed after a DR7 write (or VM entry). */
export function armDebugRegisters(cpu: Cpu): void {
  const dr7 = cpu.dr[7];
  let insn = 0, data = 0, io = 0;
  const pages: number[] = [];
  for (let n = 0; n < 4; n++) {
    if (!enabled(dr7, n)) continue;
    const t = rw(dr7, n);
    if (t === 0) insn |= 1 << n;
    else if (t === 1 || t === 3) {
      data |= 1 << n;
      const a = cpu.dr[n] & ~(len(dr7, n) - 1);
      pages.push(a >>> 12, (a + len(dr7, n) - 1) >>> 12);
    }
    else io |= 1 << n; // RWn = 10: I/O reads and writes, only while CR4.DE = 1 (SDM 17.2.4)
  }
  cpu.dbgIoBps = io;
  cpu.dbgInsnBps = insn;
  cpu.dbgDataBps = data;
  cpu.mmu.setWatchedPages(pages);
}

/** Before executing at CS:EIP: instruction breakpoints (faults) unless EFLAGS.RF. */
export function checkInstructionBreakpoints(cpu: Cpu, lin: number): void {
  let hit = 0;
  for (let n = 0; n < 4; n++) if ((cpu.dbgInsnBps >> n) & 1 && cpu.dr[n] === lin) hit |= 1 << n;
  if (hit) {
    cpu.dr[6] = (cpu.dr[6] & ~0xf) | hit | DR6_FIXED1;
    cpu.raise(1);
  }
}

/** A data access of `size` bytes at `lin` (write or read): record matching data breakpoints. */
export function checkDataBreakpoints(cpu: Cpu, lin: number, size: number, write: boolean): void {
  const dr7 = cpu.dr[7];
  for (let n = 0; n < 4; n++) {
    if (!((cpu.dbgDataBps >> n) & 1)) continue;
    if (!write && rw(dr7, n) === 1) continue;
    const l = len(dr7, n);
    const a = (cpu.dr[n] & ~(l - 1)) >>> 0;
    const s = lin >>> 0;
    if (s <= a + l - 1 && a <= s + size - 1) cpu.dbgHits |= 1 << n;
  }
}

/**
 * An I/O access of `bytes` bytes at `port` (IN, OUT, INS, OUTS): record matching I/O breakpoints, a trap
 * reported after the instruction (SDM 17.2.4, 17.3.1.2). DRn holds the port; LENn the range.
 */
export function checkIoBreakpoints(cpu: Cpu, port: number, bytes: number): void {
  if (!(cpu.cr4 & CR4_DE)) return;
  const dr7 = cpu.dr[7];
  for (let n = 0; n < 4; n++) {
    if (!((cpu.dbgIoBps >> n) & 1)) continue;
    const l = len(dr7, n);
    const a = (cpu.dr[n] & 0xffff & ~(l - 1)) >>> 0;
    if (port <= a + l - 1 && a <= port + bytes - 1) cpu.dbgHits |= 1 << n;
  }
}

/**
 * After an instruction completed: the single-step and data-breakpoint traps it raised (held over a
 * MOV SS shadow). `tf` is EFLAGS.TF as the instruction began. Returns DR6 bits to report, or 0.
 */
export function pendingDebugTraps(cpu: Cpu, tf: boolean, movSsShadowNow: boolean): number {
  let bits = cpu.dbgHits & 0xf;
  if (tf) bits |= DR6_BS;
  cpu.dbgHits = 0;
  bits |= cpu.dbgHeld;
  cpu.dbgHeld = 0;
  if (bits && movSsShadowNow) { cpu.dbgHeld = bits; return 0; }
  return bits;
}
