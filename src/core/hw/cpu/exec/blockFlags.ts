// Dead-flag elimination for translated blocks (issue 3 "Speed"). Handlers store every ALU
// instruction's lazy-flag record (lazyFlags.ts: op, operands, result, size) in the Cpu. Inside a
// block the record lives in locals `fo fd fs fr fz` instead, and reaches the Cpu only where it can be
// observed: before an instruction that uses the Cpu's flags itself (a handler call, ADC/SBB, shifts),
// on a slow memory path (a page walk may VM-exit and save RFLAGS), when the block ends and when a
// fault unwinds it. Records that a later instruction overwrites before any of those are never stored.
// A Jcc/SETcc/CMOVcc or the CF read of INC/DEC after an operation whose kind is known at translation
// time is computed from the locals (after CMP: one compare of the operands, as v86 and QEMU do).
//
// Static state while generating (in execution order): 'cpu' (the Cpu holds the record, fo = 0),
// `${op}:${size}` (the locals hold the record of operation op, fo = op), or 'any' (at the head of a
// loop: the locals hold the record when fo !== 0, else the Cpu does).
import { LF_ADD, LF_DEC, LF_INC, LF_LOGIC, LF_SUB } from '../lazyFlags';
import type { FlagOps } from './specialize';

const STORE = ['cpu.lfOp = fo', 'cpu.lfDst = fd', 'cpu.lfSrc = fs', 'cpu.lfRes = fr', 'cpu.lfSize = fz'];
const storeStmt = STORE.join('; ') + ';';
const storeExpr = STORE.join(', ');

export class BlockFlags implements FlagOps {
  constructor(public state: string) {}

  private known(): [number, number] | null {
    if (this.state === 'cpu' || this.state === 'any') return null;
    const [op, size] = this.state.split(':').map(Number);
    return [op, size];
  }

  set(op: number, d: string, s: string, r: string, size: number): string {
    this.state = `${op}:${size}`;
    return `fo = ${op}; fd = ${d}; fs = ${s}; fr = ${r}; fz = ${size};`;
  }

  /** Statement: the Cpu holds the record from here on (the locals are empty). */
  flush(): string {
    const st = this.state;
    this.state = 'cpu';
    if (st === 'cpu') return '';
    if (st === 'any') return `if (fo !== 0) { ${storeStmt} fo = 0; }`;
    return `${storeStmt} fo = 0;`;
  }
  direct(): string { return this.flush(); }

  /** Statement storing the record into the Cpu without changing the state (exits, slow paths). */
  sync(): string {
    if (this.state === 'cpu') return '';
    if (this.state === 'any') return `if (fo !== 0) { ${storeStmt} }`;
    return storeStmt;
  }
  /** Expression prefix (ends with a comma) doing what sync() does. */
  syncExpr(): string {
    if (this.state === 'cpu') return '';
    if (this.state === 'any') return `(fo !== 0 && (${storeExpr})), `;
    return `${storeExpr}, `;
  }

  cond(cc: number): string {
    const k = this.known();
    const inline = k === null ? null : condOf(k[0], k[1], cc);
    return inline ?? `(${this.syncExpr()}ENV.COND[${cc}](cpu))`;
  }

  cf(): string {
    const k = this.known();
    const inline = k === null ? null : condOf(k[0], k[1], 2);
    if (inline !== null) return `(${inline} ? 1 : 0)`;
    return `(${this.syncExpr()}cpu.lfOp !== 0 ? (ENV.cfOf(cpu) ? 1 : 0) : cpu.eflags & 1)`;
  }
}

/**
 * Condition `cc` from the locals after operation `op` of `size` bits, or null (then the lazy-flag
 * functions decide). The operands and result are masked to the size: 8/16-bit values are
 * non-negative, 32-bit ones are int32. Same definitions as lazyFlags.ts (SDM Vol. 1 Table B-1).
 */
function condOf(op: number, size: number, cc: number): string | null {
  const sign = size === 32 ? null : String(1 << (size - 1));
  const sh = 32 - size;
  const zf = 'fr === 0';
  const sf = sign === null ? 'fr < 0' : `(fr & ${sign}) !== 0`;
  const u = (x: string): string => (size === 32 ? `(${x} >>> 0)` : x);
  const sx = (x: string): string => (size === 32 ? x : `(${x} << ${sh})`);
  let pos: string | null = null;
  const base = cc & ~1;
  if (base === 4) pos = zf;
  else if (base === 8) pos = sf;
  else if (op === LF_SUB) {
    if (base === 2) pos = `${u('fd')} < ${u('fs')}`;
    else if (base === 6) pos = `${u('fd')} <= ${u('fs')}`;
    else if (base === 12) pos = `${sx('fd')} < ${sx('fs')}`;
    else if (base === 14) pos = `${sx('fd')} <= ${sx('fs')}`;
  } else if (op === LF_LOGIC) {
    if (base === 0 || base === 2) pos = 'false';
    else if (base === 6) pos = zf;
    else if (base === 12) pos = sf;
    else if (base === 14) pos = `(${zf} || ${sf})`;
  } else if (op === LF_ADD) {
    if (base === 2) pos = `${u('fr')} < ${u('fd')}`;
    else if (base === 6) pos = `(${u('fr')} < ${u('fd')} || ${zf})`;
  } else if (op === LF_INC || op === LF_DEC) {
    // INC/DEC leave CF alone: the template folded it into EFLAGS before recording.
    if (base === 2) pos = '(cpu.eflags & 1) !== 0';
    else if (base === 6) pos = `((cpu.eflags & 1) !== 0 || ${zf})`;
  }
  if (pos === null) return null;
  return cc & 1 ? `!(${pos})` : `(${pos})`;
}
