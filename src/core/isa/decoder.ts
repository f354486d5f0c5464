// Table-driven IA-32 decoder (SDM Vol. 2 chapter 2: prefixes, opcode, ModRM, SIB, displacement,
// immediate). The lookup structures are built once from OPCODES; decoding allocates nothing.
import { Insn } from './insn';
import { OPCODES, type OpcodeDef } from './opcodeTable';

/** Where the decoder reads instruction bytes: offset from the first byte of the instruction. */
export interface ByteSource {
  byteAt(offset: number): number;
}

/** Why decoding failed; the CPU turns these into #UD / #GP(0). */
export const enum DecodeFault { None = 0, InvalidOpcode = 1, TooLong = 2 }

interface Slot {
  defs: OpcodeDef[];
  modrm: boolean;
}

const slots: Slot[] = [];
for (let i = 0; i < 512; i++) slots.push({ defs: [], modrm: false });
const slotIndex = (opcode: number): number => (opcode >= 0x0f00 ? 256 + (opcode & 0xff) : opcode);
for (const def of OPCODES) {
  const s = slots[slotIndex(def.opcode)];
  s.defs.push(def);
  // Operand codes (a capital and a lower-case size) that need ModRM; fixed operands such as DX, CS or AL do not.
  if (def.ext >= 0 || def.operands.some((o) => /^[EGMRSCD]([a-z]|$)/.test(o))) s.modrm = true;
}

/** Operand specs whose ModRM mod field is ignored (MOV to/from CRn/DRn: always a register). */
const modIgnored = (def: OpcodeDef): boolean => def.operands.includes('Cd') || def.operands.includes('Dd');

export class Decoder {
  fault: DecodeFault = DecodeFault.None;

  /**
   * Decode one instruction into `insn` (reused). `defaultSize` is 32 or 16 (CS.D). Returns false with
   * `fault` set when the bytes are not a valid instruction of the table.
   */
  decode(src: ByteSource, defaultSize: number, insn: Insn): boolean {
    let p = 0;
    let opSize = defaultSize;
    let adSize = defaultSize;
    let seg = -1;
    let rep = 0;
    let lock = false;
    let has66 = false;
    let b: number;
    // Prefixes (SDM 2.1.1): any order, at most 15 bytes in total.
    for (;;) {
      b = src.byteAt(p);
      if (b === 0x66) { opSize = defaultSize === 32 ? 16 : 32; has66 = true; }
      else if (b === 0x67) adSize = defaultSize === 32 ? 16 : 32;
      else if (b === 0xf2 || b === 0xf3) rep = b;
      else if (b === 0xf0) lock = true;
      else if (b === 0x26) seg = 0;
      else if (b === 0x2e) seg = 1;
      else if (b === 0x36) seg = 2;
      else if (b === 0x3e) seg = 3;
      else if (b === 0x64) seg = 4;
      else if (b === 0x65) seg = 5;
      else break;
      if (++p >= 15) return this.fail(DecodeFault.TooLong);
    }
    let opcode = b;
    p++;
    if (b === 0x0f) {
      opcode = 0x0f00 | src.byteAt(p);
      p++;
    }
    const slot = slots[slotIndex(opcode)];
    if (slot.defs.length === 0) return this.fail(DecodeFault.InvalidOpcode);

    insn.hasModrm = slot.modrm;
    let mod = 0, reg = 0, rm = 0;
    if (slot.modrm) {
      const m = src.byteAt(p++);
      mod = m >> 6; reg = (m >> 3) & 7; rm = m & 7;
    }
    // Pick the entry: mandatory prefix, then /digit, then (for mod=3 encodings) ModRM.rm.
    let def: OpcodeDef | undefined;
    const mandatory = rep || (has66 ? 0x66 : 0);
    for (let pass = 0; pass < 2 && !def; pass++) {
      for (const e of slot.defs) {
        if (pass === 0 ? e.prefix !== mandatory || !mandatory : e.prefix !== 0) continue;
        if (e.ext >= 0 && e.ext !== reg) continue;
        if (e.rm >= 0 && (mod !== 3 || e.rm !== rm)) continue;
        if (e.form === 'mem' && mod === 3) continue;
        if (e.form === 'reg' && mod !== 3) continue;
        def = e;
        break;
      }
    }
    if (!def) return this.fail(DecodeFault.InvalidOpcode);
    // LOCK is #UD unless the instruction is one of the lockable ones with a memory destination
    // (SDM Vol. 2 LOCK: "#UD If the LOCK prefix is used but the destination is not a memory operand").
    if (lock && (!def.lockable || mod === 3)) return this.fail(DecodeFault.InvalidOpcode);
    // "NP" in the SDM opcode column: a 66/F2/F3 prefix makes the encoding invalid (VMPTRLD, VMREAD...).
    if (def.noPrefix && (has66 || rep)) return this.fail(DecodeFault.InvalidOpcode);
    // MOV to/from Sreg: ModRM.reg 6 and 7 name no segment register; loading CS with MOV is #UD (SDM Vol. 2 MOV).
    if ((opcode === 0x8c || opcode === 0x8e) && (reg > 5 || (opcode === 0x8e && reg === 1))) return this.fail(DecodeFault.InvalidOpcode);
    // MOV to/from CR1, CR5-CR7 is #UD (SDM Vol. 2 MOV—Move to/from Control Registers); CR8 exists only in 64-bit mode.
    if ((opcode === 0x0f20 || opcode === 0x0f22) && (reg === 1 || reg > 4)) return this.fail(DecodeFault.InvalidOpcode);
    if (def.prefix === 0x66) opSize = defaultSize;
    if (def.prefix === 0xf3 || def.prefix === 0xf2) rep = 0;

    insn.def = def;
    insn.opcode = opcode;
    insn.opSize = opSize;
    insn.adSize = adSize;
    insn.seg = seg;
    insn.rep = rep;
    insn.lock = lock;
    insn.mod = mod;
    insn.reg = reg;
    insn.rm = rm;
    insn.base = -1;
    insn.index = -1;
    insn.scale = 1;
    insn.disp = 0;
    insn.defaultSeg = 3;
    insn.imm = 0;
    insn.imm2 = 0;

    if (slot.modrm && modIgnored(def)) insn.mod = 3;
    else if (slot.modrm && mod !== 3) {
      p = adSize === 32 ? this.modrm32(src, p, insn) : this.modrm16(src, p, insn);
    }

    // Immediates, in operand order.
    const ops = def.operands;
    let nImm = 0;
    for (let k = 0; k < ops.length; k++) {
      const o = ops[k];
      const c = o.charCodeAt(0);
      if (c === 73 /* I */ || c === 74 /* J */) {
        const sz = o[1];
        let v: number;
        if (sz === 'b') {
          v = src.byteAt(p++);
          if (c === 74 || signExtendsIb(def)) v = (v << 24) >> 24;
        } else if (sz === 'w') {
          v = src.byteAt(p) | (src.byteAt(p + 1) << 8); p += 2;
        } else if (opSize === 16) {
          v = src.byteAt(p) | (src.byteAt(p + 1) << 8); p += 2;
          if (c === 74) v = (v << 16) >> 16;
        } else {
          v = src.byteAt(p) | (src.byteAt(p + 1) << 8) | (src.byteAt(p + 2) << 16) | (src.byteAt(p + 3) << 24); p += 4;
        }
        if (nImm++ === 0) insn.imm = v; else insn.imm2 = v;
      } else if (c === 79 /* O */ && o.length === 2 && o[1] >= 'a') {
        if (adSize === 32) { insn.disp = src.byteAt(p) | (src.byteAt(p + 1) << 8) | (src.byteAt(p + 2) << 16) | (src.byteAt(p + 3) << 24); p += 4; }
        else { insn.disp = src.byteAt(p) | (src.byteAt(p + 1) << 8); p += 2; }
      } else if (o === 'Ap') {
        if (opSize === 32) { insn.imm = src.byteAt(p) | (src.byteAt(p + 1) << 8) | (src.byteAt(p + 2) << 16) | (src.byteAt(p + 3) << 24); p += 4; }
        else { insn.imm = src.byteAt(p) | (src.byteAt(p + 1) << 8); p += 2; }
        insn.imm2 = src.byteAt(p) | (src.byteAt(p + 1) << 8); p += 2;
      }
      if (p > 15) return this.fail(DecodeFault.TooLong);
    }
    if (p > 15) return this.fail(DecodeFault.TooLong);
    insn.length = p;
    this.fault = DecodeFault.None;
    return true;
  }

  private fail(f: DecodeFault): boolean {
    this.fault = f;
    return false;
  }

  /** 32-bit ModRM/SIB addressing (SDM Vol. 2 Table 2-2 and 2-3). */
  private modrm32(src: ByteSource, p: number, insn: Insn): number {
    const mod = insn.mod;
    let rm = insn.rm;
    if (rm === 4) {
      const sib = src.byteAt(p++);
      const ss = sib >> 6, idx = (sib >> 3) & 7, base = sib & 7;
      insn.scale = 1 << ss;
      insn.index = idx === 4 ? -1 : idx;
      if (base === 5 && mod === 0) {
        insn.base = -1;
        insn.disp = read32(src, p); p += 4;
      } else {
        insn.base = base;
      }
      rm = -1;
    } else if (rm === 5 && mod === 0) {
      insn.disp = read32(src, p); p += 4;
      return p;
    } else {
      insn.base = rm;
    }
    if (mod === 1) { insn.disp = (src.byteAt(p++) << 24) >> 24; }
    else if (mod === 2) { insn.disp = read32(src, p); p += 4; }
    if (insn.base === 4 || insn.base === 5) insn.defaultSeg = 2; // ESP/EBP-based: SS
    return p;
  }

  /** 16-bit ModRM addressing (SDM Vol. 2 Table 2-1). Registers: BX=3, BP=5, SI=6, DI=7. */
  private modrm16(src: ByteSource, p: number, insn: Insn): number {
    const mod = insn.mod, rm = insn.rm;
    const bases = [3, 3, 5, 5, 6, 7, 5, 3];
    const idx = [6, 7, 6, 7, -1, -1, -1, -1];
    if (mod === 0 && rm === 6) {
      insn.disp = src.byteAt(p) | (src.byteAt(p + 1) << 8); p += 2;
      return p;
    }
    insn.base = bases[rm];
    insn.index = idx[rm];
    if (rm === 2 || rm === 3 || rm === 6) insn.defaultSeg = 2;
    if (mod === 1) { insn.disp = (src.byteAt(p++) << 24) >> 24; }
    else if (mod === 2) { insn.disp = ((src.byteAt(p) | (src.byteAt(p + 1) << 8)) << 16) >> 16; p += 2; }
    return p;
  }
}

function read32(src: ByteSource, p: number): number {
  return src.byteAt(p) | (src.byteAt(p + 1) << 8) | (src.byteAt(p + 2) << 16) | (src.byteAt(p + 3) << 24);
}

/** An 8-bit immediate is sign-extended to the operand size when the other operand is word/dword sized (83 /n, 6A, 6B, C1...). */
function signExtendsIb(def: OpcodeDef): boolean {
  if (def.opcode === 0x6a) return true;
  for (const o of def.operands) if (o.endsWith('v') || o.endsWith('z')) return true;
  return false;
}

export const MAX_INSN_LENGTH = 15;
