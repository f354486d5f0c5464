// Random instruction cases for the differential test, by group. A case is an instruction (with
// prefixes) plus the register, EFLAGS and memory-window state it starts from. Memory operands always
// address the window at MEM_BASE through registers or displacements the generator sets, so the same
// bytes are valid natively and in the interpreter. No case may fault natively (the divides are drawn
// so that they do not; #DE is covered by unit tests), and no case uses ESP.
import { Rng } from './rng';
import { BACK_PTR, CASE_IN, CODE_BYTES, LOW_BASE, MEM_BASE, MEM_SIZE, REC_MEM } from './native';

const CF = 1, PF = 4, AF = 0x10, ZF = 0x40, SF = 0x80, DF = 0x400, OF = 0x800;
const ARITH = CF | PF | AF | ZF | SF | OF;

export interface Loc { mem: boolean; rm: number; off: number }

export class Case {
  readonly regs = new Int32Array(8);
  readonly mem = new Uint8Array(MEM_SIZE);
  flags = 2;
  bytes: number[] = [];
  /** Operand size of the main operand (for the undefined-flag rules). */
  size = 32;
  /** Shift/rotate count as encoded (masked by the instruction), or -1. */
  count = -1;
  /** Registers with an addressing or counting role (bit per register): not reused as addresses. */
  fixed = 0;
  /** Linear address of the memory window: MEM_BASE, or LOW_BASE with 16-bit addressing. */
  base = MEM_BASE;

  /** `addr16`: every memory operand uses 16-bit addressing (0x67 prefix, window below 64 KiB). */
  constructor(private readonly rng: Rng, readonly addr16 = false) {}

  reset(): void {
    const rng = this.rng;
    for (let r = 0; r < 8; r++) this.regs[r] = rng.value();
    this.regs[4] = 0;
    for (let k = 0; k < MEM_SIZE; k += 4) {
      const v = rng.bool(0.3) ? rng.value() : rng.u32();
      this.mem[k] = v; this.mem[k + 1] = v >> 8; this.mem[k + 2] = v >> 16; this.mem[k + 3] = v >> 24;
    }
    this.flags = 2 | (rng.u32() & ARITH) | (rng.bool(0.5) ? DF : 0);
    this.bytes = []; this.size = 32; this.count = -1; this.fixed = 1 << 4;
    this.base = this.addr16 ? LOW_BASE : MEM_BASE;
  }

  /** A 16-bit value in a register whose upper half is random (16-bit addressing must ignore it). */
  set16(r: number, v: number): void { this.regs[r] = (this.rng.u32() & ~0xffff) | (v & 0xffff); this.fixed |= 1 << r; }

  emit(...b: number[]): void { for (const x of b) this.bytes.push(x & 0xff); }
  imm(v: number, bytes: number): void { for (let k = 0; k < bytes; k++) this.bytes.push((v >> (8 * k)) & 0xff); }

  /** Operand-size prefix and sometimes a (flat) segment override, in random order. */
  prefixes(size: number, seg = true): void {
    const p: number[] = [];
    if (size === 16) p.push(0x66);
    if (this.addr16) p.push(0x67);
    if (seg && this.rng.bool(0.15)) p.push(this.rng.pick([0x26, 0x36, 0x3e]));
    for (let k = p.length - 1; k > 0; k--) { const j = this.rng.int(k + 1); [p[k], p[j]] = [p[j], p[k]]; }
    this.emit(...p);
  }

  /** A general register for an operand of `size` (8-bit: AL..BH; else any but ESP), not in `avoid`. */
  pickReg(size: number, avoid = 0): number {
    for (;;) {
      const r = this.rng.int(8);
      const full = size === 8 ? r & 3 : r;
      if (size !== 8 && r === 4) continue;
      if ((avoid >> full) & 1) continue;
      return r;
    }
  }

  /**
   * ModRM (+ SIB and displacement) with `reg` in the reg field. The r/m operand is a register
   * (not in avoid) or, when `mem` says so (random if undefined), `bytes` bytes at window offset `off`
   * (random if omitted), addressed through registers not in `avoid`.
   */
  modrm(reg: number, o: { size: number; bytes?: number; mem?: boolean; off?: number; avoid?: number; rmAvoid?: number }): Loc {
    const rng = this.rng;
    const mem = o.mem ?? rng.bool(0.5);
    if (!mem) {
      const rm = this.pickReg(o.size, o.rmAvoid ?? 0);
      this.emit(0xc0 | ((reg & 7) << 3) | rm);
      return { mem: false, rm, off: 0 };
    }
    const bytes = o.bytes ?? o.size >> 3;
    const off = o.off ?? rng.int(MEM_SIZE - bytes + 1);
    if (this.addr16) return this.modrm16(reg, off, (o.avoid ?? 0) | this.fixed);
    const target = (this.base + off) | 0;
    const avoid = (o.avoid ?? 0) | this.fixed;
    const avail = [0, 1, 2, 3, 5, 6, 7].filter((r) => !((avoid >> r) & 1));
    const use = (r: number, v: number): void => { this.regs[r] = v | 0; this.fixed |= 1 << r; };
    const r3 = (reg & 7) << 3;
    let form = rng.int(6);
    if (avail.length < 2 && (form === 4 || form === 5)) form = 3;
    if (avail.length === 0) form = 3;
    switch (form) {
      case 0: { // [base]
        const b = rng.pick(avail.filter((r) => r !== 5).length ? avail.filter((r) => r !== 5) : avail);
        if (b === 5) { this.emit(0x40 | r3 | 5, 0); use(5, target); break; }
        this.emit(r3 | b); use(b, target); break;
      }
      case 1: { // [base + disp8]
        const b = rng.pick(avail), d = rng.int(256) - 128;
        this.emit(0x40 | r3 | b, d); use(b, target - d); break;
      }
      case 2: { // [base + disp32]
        const b = rng.pick(avail), d = rng.u32();
        this.emit(0x80 | r3 | b); this.imm(d, 4); use(b, target - d); break;
      }
      case 3: // [disp32]
        this.emit(r3 | 5); this.imm(target, 4); break;
      case 4: { // [base + index*scale + disp]
        const mod = rng.int(3);
        const bases = mod === 0 ? avail.filter((r) => r !== 5) : avail;
        const b = rng.pick(bases.length ? bases : avail);
        const idxs = avail.filter((r) => r !== b);
        const noIndex = rng.bool(0.15);
        const x = noIndex ? 4 : rng.pick(idxs);
        const ss = rng.int(4), scale = 1 << ss;
        const xv = noIndex ? 0 : rng.int(33) - 16;
        const m = mod === 0 && b === 5 ? 1 : mod;
        const d = m === 0 ? 0 : m === 1 ? rng.int(256) - 128 : rng.u32();
        this.emit((m << 6) | r3 | 4, (ss << 6) | (x << 3) | b);
        if (m === 1) this.emit(d); else if (m === 2) this.imm(d, 4);
        if (!noIndex) { this.regs[x] = xv; this.fixed |= 1 << x; }
        use(b, target - d - xv * scale);
        break;
      }
      default: { // [index*scale + disp32]
        const x = rng.pick(avail), ss = rng.int(4), xv = rng.int(33) - 16;
        this.emit(r3 | 4, (ss << 6) | (x << 3) | 5);
        this.imm(target - xv * (1 << ss), 4);
        this.regs[x] = xv; this.fixed |= 1 << x;
      }
    }
    return { mem: true, rm: -1, off };
  }

  /** 16-bit addressing (SDM Vol. 2 Table 2-1): [BX+SI] ... [BX], disp8/disp16, wrapping at 64 KiB. */
  private modrm16(reg: number, off: number, avoid: number): Loc {
    const rng = this.rng;
    const target = this.base + off;
    const RM_REGS = [[3, 6], [3, 7], [5, 6], [5, 7], [6], [7], [5], [3]];
    const ok = [0, 1, 2, 3, 4, 5, 6, 7].filter((rm) => RM_REGS[rm].every((r) => !((avoid >> r) & 1)));
    const r3 = (reg & 7) << 3;
    if (!ok.length || rng.bool(0.1)) { this.emit(r3 | 6); this.imm(target, 2); return { mem: true, rm: -1, off }; }
    const rm = rng.pick(ok);
    const mod = rm === 6 ? 1 + rng.int(2) : rng.int(3);
    const d = mod === 0 ? 0 : mod === 1 ? rng.int(256) - 128 : rng.int(0x10000);
    this.emit((mod << 6) | r3 | rm);
    if (mod === 1) this.emit(d); else if (mod === 2) this.imm(d, 2);
    const rs = RM_REGS[rm];
    if (rs.length === 2) {
      const first = rng.int(0x10000);
      this.set16(rs[0], first);
      this.set16(rs[1], target - d - first);
    } else this.set16(rs[0], target - d);
    return { mem: true, rm: -1, off };
  }

  get8(r: number): number { return r < 4 ? this.regs[r] & 0xff : (this.regs[r - 4] >> 8) & 0xff; }
  read(l: Loc, size: number): number {
    if (!l.mem) return size === 8 ? this.get8(l.rm) : size === 16 ? this.regs[l.rm] & 0xffff : this.regs[l.rm];
    let v = 0;
    for (let k = 0; k < size >> 3; k++) v |= this.mem[l.off + k] << (8 * k);
    return size === 32 ? v | 0 : v;
  }
  write(l: Loc, size: number, v: number): void {
    if (!l.mem) {
      const r = l.rm;
      if (size === 32) this.regs[r] = v;
      else if (size === 16) this.regs[r] = (this.regs[r] & ~0xffff) | (v & 0xffff);
      else if (r < 4) this.regs[r] = (this.regs[r] & ~0xff) | (v & 0xff);
      else this.regs[r - 4] = (this.regs[r - 4] & ~0xff00) | ((v & 0xff) << 8);
      return;
    }
    for (let k = 0; k < size >> 3; k++) this.mem[l.off + k] = v >> (8 * k);
  }
  /** Give an operand a fresh edge-biased value (registers that address memory keep theirs). */
  fresh(l: Loc, size: number): void {
    if (!l.mem && ((this.fixed >> (size === 8 ? l.rm & 3 : l.rm)) & 1)) return;
    this.write(l, size, this.rng.value());
  }

  /** Serialize as a native.ts record: instruction, `jmp dword [BACK_PTR]`, padding, state. */
  serialize(buf: Buffer, at: number): void {
    const code = [...this.bytes, 0xff, 0x25, BACK_PTR & 0xff, (BACK_PTR >> 8) & 0xff, (BACK_PTR >> 16) & 0xff, BACK_PTR >>> 24];
    if (code.length > CODE_BYTES) throw new Error(`instruction too long for the record: ${this.hex()}`);
    for (let k = 0; k < CODE_BYTES; k++) buf[at + k] = k < code.length ? code[k] : 0x90;
    for (let r = 0; r < 8; r++) buf.writeInt32LE(this.regs[r], at + CODE_BYTES + 4 * r);
    buf.writeInt32LE(this.flags, at + CODE_BYTES + 32);
    buf.writeInt32LE(this.base, at + CODE_BYTES + 36);
    buf.set(this.mem, at + REC_MEM);
    if (at + CASE_IN > buf.length) throw new Error('record buffer overflow');
  }
  hex(): string { return this.bytes.map((b) => b.toString(16).padStart(2, '0')).join(' '); }
}

/** Fills a reset case; returning false rejects it (the runner draws another). */
export type Gen = (c: Case, rng: Rng) => boolean | void;
const sizeOf = (rng: Rng): number => rng.pick([8, 16, 32]);
const immBytes = (size: number): number => (size === 8 ? 1 : size >> 3);

// ---------------------------------------------------------------------------------------------- ALU
/** ADD OR ADC SBB AND SUB XOR CMP in all forms, and TEST. */
export const genAlu: Gen = (c, rng) => {
  const op = rng.int(8), size = sizeOf(rng), w = size === 8 ? 0 : 1;
  c.size = size;
  c.prefixes(size);
  const form = rng.int(9);
  const reg = c.pickReg(size);
  const avoid = 1 << (size === 8 ? reg & 3 : reg);
  let l: Loc;
  switch (form) {
    case 0: case 1: c.emit(op * 8 + w); l = c.modrm(reg, { size, avoid }); break; // E,G
    case 2: c.emit(op * 8 + 2 + w); l = c.modrm(reg, { size, avoid }); break; // G,E
    case 3: c.emit(op * 8 + 4 + w); c.imm(rng.value(), immBytes(size)); return; // AL/eAX, imm
    case 4: { // 80/81/82/83 group 1
      const opc = size === 8 ? rng.pick([0x80, 0x82]) : rng.pick([0x81, 0x83]);
      c.emit(opc); l = c.modrm(op, { size });
      c.imm(rng.value(), opc === 0x81 ? immBytes(size) : 1);
      break;
    }
    case 5: c.emit(0x84 + w); l = c.modrm(reg, { size, avoid }); break; // TEST E,G
    case 6: c.emit(0xa8 + w); c.imm(rng.value(), immBytes(size)); return; // TEST AL/eAX, imm
    case 7: c.emit(0xf6 + w); l = c.modrm(0, { size }); c.imm(rng.value(), immBytes(size)); break; // TEST E, imm
    default: c.emit(op * 8 + w); l = c.modrm(reg, { size, avoid }); break;
  }
  c.fresh(l, size);
  // Equal operands (x - x, x ^ x) and carry chains are where flags go wrong.
  if (rng.bool(0.1) && !l.mem) c.write(l, size, c.read({ mem: false, rm: reg, off: 0 }, size));
};

/** INC DEC NEG NOT. */
export const genUnary: Gen = (c, rng) => {
  const size = sizeOf(rng), w = size === 8 ? 0 : 1;
  c.size = size;
  c.prefixes(size);
  const k = rng.int(5);
  if (k === 0 && size !== 8) { c.emit((rng.bool() ? 0x40 : 0x48) + c.pickReg(size)); return; }
  let l: Loc;
  if (k <= 2) { c.emit(0xfe + w); l = c.modrm(rng.int(2), { size }); }
  else { c.emit(0xf6 + w); l = c.modrm(rng.pick([2, 3]), { size }); }
  c.fresh(l, size);
};

/** MUL IMUL (one-, two- and three-operand) DIV IDIV; divides are drawn so that they never raise #DE. */
export const genMulDiv: Gen = (c, rng) => {
  const k = rng.int(6);
  if (k >= 4) { // IMUL r, r/m [, imm]
    const size = rng.pick([16, 32]);
    c.size = size;
    c.prefixes(size);
    const reg = c.pickReg(size);
    const form = rng.int(3);
    c.emit(...(form === 0 ? [0x0f, 0xaf] : form === 1 ? [0x69] : [0x6b]));
    const l = c.modrm(reg, { size, avoid: 1 << reg });
    c.fresh(l, size);
    if (form === 1) c.imm(rng.value(), size >> 3); else if (form === 2) c.imm(rng.value(), 1);
    return;
  }
  const size = sizeOf(rng);
  c.size = size;
  c.prefixes(size);
  const ext = 4 + k; // /4 MUL /5 IMUL /6 DIV /7 IDIV
  c.emit(size === 8 ? 0xf6 : 0xf7);
  const l = c.modrm(ext, { size, avoid: 0b101 });
  c.fresh(l, size);
  if (ext < 6) return;
  // Make the divide legal: nonzero divisor, quotient in range (a few dividend repairs, else reject).
  for (let tries = 0; tries < 8; tries++) {
    if (c.read(l, size) === 0) c.write(l, size, rng.value() || 1);
    if (divOk(c, l, size, ext === 7)) return true;
    const hi = rng.value();
    if (size === 8) c.regs[0] = (c.regs[0] & ~0xff00) | ((hi & (tries & 1 ? 0x0f : 0xff)) << 8);
    else if (tries & 1) c.regs[2] = size === 32 ? c.regs[0] >> 31 : (c.regs[2] & ~0xffff) | (((c.regs[0] << 16) >> 31) & 0xffff);
    else c.regs[2] = size === 32 ? hi >>> rng.int(32) : (c.regs[2] & ~0xffff) | (hi & (0xffff >> rng.int(16)));
  }
  return false;
};

function divOk(c: Case, l: Loc, size: number, signed: boolean): boolean {
  const b = BigInt(1) << BigInt(size);
  let d = BigInt(c.read(l, size) >>> 0) & (b - 1n);
  let n: bigint;
  if (size === 8) n = BigInt(c.regs[0] & 0xffff);
  else if (size === 16) n = BigInt(((c.regs[2] & 0xffff) << 16 | (c.regs[0] & 0xffff)) >>> 0);
  else n = (BigInt(c.regs[2] >>> 0) << 32n) | BigInt(c.regs[0] >>> 0);
  if (d === 0n) return false;
  if (!signed) return n / d < b;
  const nb = BigInt(size * 2);
  n = BigInt.asIntN(Number(nb), n);
  d = BigInt.asIntN(size, d);
  const q = n / d;
  return q < b / 2n && q >= -b / 2n;
}

// ---------------------------------------------------------------------------------- shift, rotate
/** ROL ROR RCL RCR SHL SHR SAL SAR by 1, imm8 and CL; SHLD/SHRD by imm8 and CL. */
export const genShift: Gen = (c, rng) => {
  const rawCount = (): number => rng.bool(0.8) ? rng.int(32) : rng.int(256);
  if (rng.bool(0.3)) {
    const size = rng.pick([16, 32]);
    c.size = size;
    c.prefixes(size);
    // A count above the operand size gives an undefined result and flags (SDM Vol. 2 SHLD/SHRD): not drawn.
    const cnt = size === 16 ? rng.int(17) | (rng.bool(0.2) ? rng.int(8) << 5 : 0) : rawCount();
    const right = rng.bool(), byCl = rng.bool();
    c.emit(0x0f, (right ? 0xac : 0xa4) | (byCl ? 1 : 0));
    const reg = c.pickReg(size, byCl ? 2 : 0);
    const l = c.modrm(reg, { size, avoid: (1 << reg) | (byCl ? 2 : 0), rmAvoid: byCl ? 2 : 0 });
    c.fresh(l, size);
    if (byCl) { c.regs[1] = (c.regs[1] & ~0xff) | cnt; c.fixed |= 2; } else c.imm(cnt, 1);
    c.count = cnt & 31;
    return;
  }
  const size = sizeOf(rng), w = size === 8 ? 0 : 1;
  c.size = size;
  c.prefixes(size);
  const ext = rng.int(8), how = rng.int(3);
  if (how === 0) { c.emit(0xd0 + w); c.fresh(c.modrm(ext, { size }), size); c.count = 1; return; }
  if (how === 1) {
    c.emit(0xc0 + w); c.fresh(c.modrm(ext, { size }), size);
    const n = rawCount(); c.imm(n, 1); c.count = n & 31; return;
  }
  c.emit(0xd2 + w);
  c.fixed |= 2;
  const l = c.modrm(ext, { size, avoid: 2 });
  c.fresh(l, size);
  if (l.mem || (size === 8 ? l.rm !== 1 : l.rm !== 1)) c.regs[1] = (c.regs[1] & ~0xff) | rawCount();
  c.count = c.regs[1] & 31;
};

// --------------------------------------------------------------------------------------------- BCD
/** DAA DAS AAA AAS AAM AAD (AAM 0 raises #DE: unit-tested, not drawn). */
export const genBcd: Gen = (c, rng) => {
  c.size = 8;
  const k = rng.int(6);
  if (rng.bool(0.5)) c.regs[0] = (c.regs[0] & ~0xffff) | (rng.int(256) << 8) | (rng.bool(0.5) ? rng.pick([0x99, 0x9a, 0xf9, 0x0a, 0x00, 0xff, 0x19, 0x91, 0x60, 0x66]) : rng.int(256));
  if (k < 4) { c.emit([0x27, 0x2f, 0x37, 0x3f][k]); return; }
  const base = rng.bool(0.6) ? 10 : rng.int(256);
  c.emit(k === 4 ? 0xd4 : 0xd5, k === 4 && base === 0 ? 10 : base);
};

// --------------------------------------------------------------------------------------------- bits
/** BT BTS BTR BTC (register offset and imm8), BSF BSR (zero sources included). */
export const genBit: Gen = (c, rng) => {
  const size = rng.pick([16, 32]);
  c.size = size;
  c.prefixes(size);
  const k = rng.int(5);
  if (k === 4) { // BSF / BSR
    c.emit(0x0f, rng.bool() ? 0xbc : 0xbd);
    const reg = c.pickReg(size);
    const l = c.modrm(reg, { size, avoid: 1 << reg });
    c.fresh(l, size);
    if (rng.bool(0.2)) c.write(l, size, 0);
    else if (rng.bool(0.3)) c.write(l, size, 1 << rng.int(size));
    return;
  }
  const op = rng.int(4);
  if (k < 2) { // BT r/m, imm8
    c.emit(0x0f, 0xba);
    c.fresh(c.modrm(4 + op, { size }), size);
    c.imm(rng.bool(0.8) ? rng.int(size) : rng.int(256), 1);
    return;
  }
  c.emit(0x0f, [0xa3, 0xab, 0xb3, 0xbb][op]);
  const reg = c.pickReg(size);
  const mem = rng.bool(0.6);
  if (!mem) { c.fresh(c.modrm(reg, { size, mem, avoid: 1 << reg }), size); return; }
  // Memory bit string: the offset is signed and may leave the addressed operand (SDM Vol. 2 BT).
  // Keep every byte the access can touch inside the window (4 bytes of margin each side).
  const off = 32 + 2 * rng.int(32);
  c.modrm(reg, { size, mem, off, avoid: 1 << reg });
  const lo = -(off - 4) * 8, hi = (MEM_SIZE - off - 8) * 8;
  const bitOff = lo + rng.int(hi - lo);
  if (size === 16) c.regs[reg] = (c.regs[reg] & ~0xffff) | (bitOff & 0xffff); else c.regs[reg] = bitOff;
};

// ------------------------------------------------------------------------------------------ string
/** MOVS STOS LODS CMPS SCAS, byte/word/dword, with and without REP/REPE/REPNE, DF 0 and 1. */
export const genString: Gen = (c, rng) => {
  const size = sizeOf(rng), e = size >> 3;
  c.size = size;
  const kind = rng.int(5); // movs stos lods cmps scas
  const opc = [0xa4, 0xaa, 0xac, 0xa6, 0xae][kind] + (size === 8 ? 0 : 1);
  const rep = rng.bool(0.6) ? (kind >= 3 ? rng.pick([0xf3, 0xf2]) : 0xf3) : 0;
  const p: number[] = [];
  if (size === 16) p.push(0x66);
  if (c.addr16) p.push(0x67);
  if (rep) p.push(rep);
  if (rng.bool(0.15) && kind !== 1 && kind !== 4) p.push(rng.pick([0x26, 0x36, 0x3e]));
  for (let k = p.length - 1; k > 0; k--) { const j = rng.int(k + 1); [p[k], p[j]] = [p[j], p[k]]; }
  c.emit(...p, opc);
  const n = rep ? rng.int(9) : 1;
  if (rep) { if (c.addr16) c.set16(1, n); else c.regs[1] = n; }
  const down = (c.flags & DF) !== 0;
  const span = Math.max(n, 1) * e;
  const start = (): number => {
    const lo = down ? span - e : 0;
    return lo + rng.int(MEM_SIZE - span + 1);
  };
  const si = start(), di = start();
  if (c.addr16) { c.set16(6, c.base + si); c.set16(7, c.base + di); } else { c.regs[6] = c.base + si; c.regs[7] = c.base + di; }
  if (kind >= 3 && rng.bool(0.6)) {
    // Mostly-equal strings, so REPE/REPNE stop at an interesting element.
    const a = down ? si - span + e : si, b = down ? di - span + e : di;
    const src = kind === 3 ? c.mem.slice(a, a + span) : null;
    for (let k = 0; k < span; k++) {
      const v = src ? src[k] : (c.regs[0] >> (8 * (k % e))) & 0xff;
      if (rng.bool(0.9)) c.mem[b + k] = v;
    }
  }
};

// ---------------------------------------------------------------------------------------- exchange
/** XCHG XADD CMPXCHG CMPXCHG8B BSWAP, with LOCK on memory forms sometimes. */
export const genExchange: Gen = (c, rng) => {
  const k = rng.int(6);
  const lock = (l: Loc): void => { if (l.mem && rng.bool(0.3)) c.bytes.unshift(0xf0); };
  if (k === 5) { // BSWAP r32 (the 16-bit form is undefined)
    c.emit(0x0f, 0xc8 + c.pickReg(32)); return;
  }
  if (k === 4) { // CMPXCHG8B m64
    c.prefixes(32);
    c.emit(0x0f, 0xc7);
    const l = c.modrm(1, { size: 32, bytes: 8, mem: true, avoid: 0b1111 });
    if (rng.bool(0.5)) {
      c.regs[0] = c.read(l, 32);
      c.regs[2] = c.read({ mem: true, rm: -1, off: l.off + 4 }, 32);
      if (rng.bool(0.2)) c.regs[rng.pick([0, 2])] ^= 1 << rng.int(32);
    }
    lock(l);
    return;
  }
  const size = sizeOf(rng), w = size === 8 ? 0 : 1;
  c.size = size;
  c.prefixes(size);
  if (k === 0 && size !== 8 && rng.bool(0.3)) { c.emit(0x90 + c.pickReg(size, 1)); return; } // XCHG eAX, r
  const reg = c.pickReg(size, k === 2 ? 1 : 0);
  if (k <= 0) c.emit(0x86 + w);
  else if (k === 1) c.emit(0x0f, 0xc0 + w); // XADD
  else c.emit(0x0f, 0xb0 + w); // CMPXCHG
  const l = c.modrm(reg, { size, avoid: (1 << (size === 8 ? reg & 3 : reg)) | (k >= 2 ? 1 : 0) });
  c.fresh(l, size);
  if (k >= 2 && rng.bool(0.5)) c.write({ mem: false, rm: 0, off: 0 }, size, c.read(l, size));
  if (k !== 0) lock(l); else if (l.mem && rng.bool(0.2)) c.bytes.unshift(0xf0);
};

// -------------------------------------------------------------------------------------------- misc
/** MOVZX MOVSX, SETcc, CMOVcc over random flags, LEA, MOV, XLAT, CBW/CWDE/CWD/CDQ, LAHF/SAHF, CLC/STC/CMC. */
export const genMisc: Gen = (c, rng) => {
  const k = rng.int(9);
  switch (k) {
    case 0: { // MOVZX / MOVSX
      const size = rng.pick([16, 32]);
      c.size = size;
      c.prefixes(size);
      const wide = rng.bool();
      c.emit(0x0f, (rng.bool() ? 0xb6 : 0xbe) + (wide ? 1 : 0));
      const reg = c.pickReg(size);
      c.fresh(c.modrm(reg, { size: wide ? 16 : 8, avoid: 1 << reg }), wide ? 16 : 8);
      return;
    }
    case 1: { // SETcc
      c.prefixes(32);
      c.emit(0x0f, 0x90 + rng.int(16));
      c.modrm(rng.int(8), { size: 8 });
      return;
    }
    case 2: { // CMOVcc
      const size = rng.pick([16, 32]);
      c.size = size;
      c.prefixes(size);
      c.emit(0x0f, 0x40 + rng.int(16));
      const reg = c.pickReg(size);
      c.fresh(c.modrm(reg, { size, avoid: 1 << reg }), size);
      return;
    }
    case 3: { // LEA (16- and 32-bit destination)
      const size = rng.pick([16, 32]);
      c.prefixes(size);
      c.emit(0x8d);
      const reg = c.pickReg(size);
      c.modrm(reg, { size, mem: true, avoid: 1 << reg });
      return;
    }
    case 4: { // MOV r/m <-> r, imm
      const size = sizeOf(rng), w = size === 8 ? 0 : 1;
      c.prefixes(size);
      const f = rng.int(4);
      if (f === 3) { c.emit((size === 8 ? 0xb0 : 0xb8) + c.pickReg(size)); c.imm(rng.value(), immBytes(size)); return; }
      if (f === 2) { c.emit(0xc6 + w); c.modrm(0, { size }); c.imm(rng.value(), immBytes(size)); return; }
      const reg = c.pickReg(size);
      c.emit(0x88 + w + (f ? 2 : 0));
      c.fresh(c.modrm(reg, { size, avoid: 1 << (size === 8 ? reg & 3 : reg) }), size);
      return;
    }
    case 5: { // XLAT
      if (c.addr16) c.emit(0x67);
      c.emit(0xd7);
      const al = c.regs[0] & 0xff;
      if (c.addr16) c.set16(3, c.base + rng.int(MEM_SIZE) - al); else c.regs[3] = c.base + rng.int(MEM_SIZE) - al;
      return;
    }
    case 6: c.prefixes(rng.pick([16, 32]), false); c.emit(rng.pick([0x98, 0x99])); return;
    case 7: c.emit(rng.pick([0x9e, 0x9f])); return; // SAHF, LAHF
    default: c.emit(rng.pick([0xf8, 0xf9, 0xf5])); // CLC STC CMC
  }
};
