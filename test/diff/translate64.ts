// Rewrites a 32-bit protected-mode instruction (as the differential-test generator emits it) into a
// 64-bit-mode encoding with the same architectural effect on the low 32 bits of the registers, the
// memory window and EFLAGS, for the 64-bit native harness (test/native/diffHarness64.c) on kernels
// that cannot run 32-bit processes. docs/adr/0004-64-bit-diff-harness.md explains the choice.
//
// The rules (SDM Vol. 2 §2.2.1 "REX Prefixes", §2.2.1.6 "RIP-Relative Addressing", Table 2-5; Vol. 1
// §3.3.7 "Address Calculations in 64-Bit Mode"; Vol. 2 Appendix A.2.5 "o64"/"i64" superscripts):
//   - prefix 0x67: 32-bit address size, so effective addresses are computed mod 2^32 as in
//     protected mode and string instructions / XLAT use ESI, EDI, ECX, EBX;
//   - ModRM mod=00 rm=101 means [RIP+disp32] in 64-bit mode: rewritten to the SIB form
//     mod=00 rm=100, SIB ss=00 index=100 (none) base=101 (no base) + the same disp32;
//   - 0x40..0x4F are REX prefixes in 64-bit mode: INC r16/32 (0x40+r) becomes FF /0 and DEC (0x48+r)
//     FF /1 with a register ModRM (same flags: both leave CF alone);
//   - 0x82 (an alias of 0x80, "i64": #UD in 64-bit mode) becomes 0x80.
// Everything else is copied byte for byte. The translator knows only the opcodes the generator
// emits (a whitelist): anything else, and every instruction with no 64-bit equivalent (BCD/ASCII
// adjust, 16-bit addressing, FS/GS overrides), is refused with the reason, never guessed.

export type Translation = { ok: true; code: number[] } | { ok: false; reason: string };

const SEG_PREFIXES = new Set([0x26, 0x2e, 0x36, 0x3e]);
const OTHER_PREFIXES = new Set([0x66, 0xf0, 0xf2, 0xf3]);
const BCD = new Set([0x27, 0x2f, 0x37, 0x3f, 0xd4, 0xd5]);

/** One-byte opcodes the translator accepts: true = has a ModRM byte, false = none. */
const ONE_BYTE = new Map<number, boolean>();
for (let op = 0; op < 0x40; op += 8) {
  // ADD OR ADC SBB AND SUB XOR CMP: x0..x3 E,G / G,E forms; x4, x5 AL/eAX, imm.
  for (let k = 0; k < 4; k++) ONE_BYTE.set(op + k, true);
  ONE_BYTE.set(op + 4, false); ONE_BYTE.set(op + 5, false);
}
for (const op of [0x69, 0x6b, 0x80, 0x81, 0x83, 0x84, 0x85, 0x86, 0x87, 0x88, 0x89, 0x8a, 0x8b, 0x8d,
  0xc0, 0xc1, 0xc6, 0xc7, 0xd0, 0xd1, 0xd2, 0xd3, 0xf6, 0xf7, 0xfe, 0xff]) ONE_BYTE.set(op, true);
for (const op of [0x90, 0x91, 0x92, 0x93, 0x94, 0x95, 0x96, 0x97, 0x98, 0x99, 0x9e, 0x9f,
  0xa4, 0xa5, 0xa6, 0xa7, 0xa8, 0xa9, 0xaa, 0xab, 0xac, 0xad, 0xae, 0xaf, 0xd7, 0xf5, 0xf8, 0xf9]) ONE_BYTE.set(op, false);
for (let op = 0xb0; op <= 0xbf; op++) ONE_BYTE.set(op, false);

/** Two-byte (0F xx) opcodes the translator accepts: true = has a ModRM byte. */
const TWO_BYTE = new Map<number, boolean>();
for (let k = 0; k < 16; k++) { TWO_BYTE.set(0x40 + k, true); TWO_BYTE.set(0x90 + k, true); }
for (const op of [0xa3, 0xa4, 0xa5, 0xab, 0xac, 0xad, 0xaf, 0xb0, 0xb1, 0xb3, 0xb6, 0xb7, 0xba, 0xbb, 0xbc, 0xbd,
  0xbe, 0xbf, 0xc0, 0xc1, 0xc7]) TWO_BYTE.set(op, true);
for (let k = 0; k < 8; k++) TWO_BYTE.set(0xc8 + k, false); // BSWAP r32 (no REX: same register)

export interface Translate64Options {
  /** LAHF/SAHF are valid in 64-bit mode only if CPUID.80000001H:ECX.LAHF-SAHF[bit 0] = 1. */
  lahfSahf?: boolean;
}

/** Translate one instruction (prefixes included, no trailing jump). */
export function translate64(insn: readonly number[], opts: Translate64Options = {}): Translation {
  const out: number[] = [0x67];
  let i = 0;
  for (; i < insn.length; i++) {
    const b = insn[i];
    if (b === 0x67) return { ok: false, reason: '16-bit addressing (0x67 in protected mode) has no 64-bit-mode encoding' };
    if (b === 0x64 || b === 0x65) return { ok: false, reason: 'FS/GS overrides use a different base in 64-bit mode' };
    if (SEG_PREFIXES.has(b) || OTHER_PREFIXES.has(b)) { out.push(b); continue; }
    break;
  }
  if (i >= insn.length) return { ok: false, reason: 'no opcode after the prefixes' };
  const op = insn[i++];
  if (BCD.has(op)) return { ok: false, reason: `BCD/ASCII adjust (0x${hex(op)}) is #UD in 64-bit mode` };
  if (op >= 0x40 && op <= 0x4f) {
    // INC/DEC r16/r32 short forms: FF /0 or FF /1 with mod=11 (SDM Vol. 2 INC, DEC "N.E." in 64-bit mode).
    if (i !== insn.length) return { ok: false, reason: 'bytes after an INC/DEC short form' };
    out.push(0xff, 0xc0 | (op & 8) | (op & 7));
    return { ok: true, code: out };
  }
  let hasModrm: boolean | undefined;
  if (op === 0x0f) {
    if (i >= insn.length) return { ok: false, reason: 'truncated two-byte opcode' };
    const op2 = insn[i++];
    hasModrm = TWO_BYTE.get(op2);
    if (hasModrm === undefined) return { ok: false, reason: `0F ${hex(op2)} is not in the translator's opcode list` };
    if (op2 === 0xc7 && i < insn.length && ((insn[i] >> 3) & 7) !== 1) return { ok: false, reason: '0F C7 other than CMPXCHG8B' };
    out.push(0x0f, op2);
  } else if (op === 0x82) {
    hasModrm = true;
    out.push(0x80); // SDM Vol. 2 Table A-2: 0x82 is Grp1 Eb,Ib like 0x80, invalid in 64-bit mode
  } else {
    hasModrm = ONE_BYTE.get(op);
    if (hasModrm === undefined) return { ok: false, reason: `opcode 0x${hex(op)} is not in the translator's opcode list` };
    if ((op === 0x9e || op === 0x9f) && !opts.lahfSahf) return { ok: false, reason: 'LAHF/SAHF are #UD in 64-bit mode on this CPU (no LAHF-SAHF CPUID bit)' };
    if (op === 0xff && i < insn.length && ((insn[i] >> 3) & 7) > 1) return { ok: false, reason: 'FF /2../7 default to 64-bit operands in 64-bit mode' };
    if ((op === 0xc6 || op === 0xc7) && i < insn.length && ((insn[i] >> 3) & 7) !== 0) return { ok: false, reason: 'C6/C7 other than MOV' };
    out.push(op);
  }
  if (hasModrm) {
    if (i >= insn.length) return { ok: false, reason: 'truncated: no ModRM' };
    const modrm = insn[i++];
    if ((modrm & 0xc7) === 0x05) {
      // [disp32] is [RIP+disp32] in 64-bit mode (SDM Vol. 2 Table 2-7): use SIB "no base, no index".
      out.push(0x04 | (modrm & 0x38), 0x25);
    } else out.push(modrm);
  }
  for (; i < insn.length; i++) out.push(insn[i]);
  return { ok: true, code: out };
}

/** The harness's way back: `jmp qword [BACK_PTR]` with an absolute disp32 (FF /4, SIB no base). */
export function jmpBack64(backPtr: number): number[] {
  return [0xff, 0x24, 0x25, backPtr & 0xff, (backPtr >> 8) & 0xff, (backPtr >> 16) & 0xff, backPtr >>> 24];
}

const hex = (b: number): string => b.toString(16).padStart(2, '0');
