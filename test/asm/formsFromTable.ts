// Generates one NASM source line per operand form of every opcode-table entry the assembler can
// encode (test helper for the round-trip and NASM cross-checks).
import { ASSEMBLABLE } from '../../src/core/asm/assembler';
import type { OpcodeDef } from '../../src/core/isa/opcodeTable';

export interface Mode { bits: 16 | 32; opSize: 16 | 32 }
export const MODES: Mode[] = [{ bits: 32, opSize: 32 }, { bits: 32, opSize: 16 }, { bits: 16, opSize: 16 }, { bits: 16, opSize: 32 }];
export const ORG = 0x1000;

const R32 = ['eax', 'ecx', 'edx', 'ebx', 'esp', 'ebp', 'esi', 'edi'];
const R16 = ['ax', 'cx', 'dx', 'bx', 'sp', 'bp', 'si', 'di'];
const R8 = ['al', 'cl', 'dl', 'bl', 'ah', 'ch', 'dh', 'bh'];
const STRING_HANDLERS = new Set(['movs', 'cmps', 'stos', 'lods', 'scas', 'ins', 'outs']);

export interface Form { def: OpcodeDef; text: string }

/** Lines for one mode: register and memory variants of every ModRM form. */
export function formsFor(mode: Mode): Form[] {
  const out: Form[] = [];
  const v = mode.opSize === 16 ? R16 : R32;
  const memText = mode.bits === 32 ? '[ebx+esi*4+0x10]' : '[bx+si+0x10]';
  const sizeWord = (sz: string): string => ({ b: 'byte ', w: 'word ', d: 'dword ', v: mode.opSize === 16 ? 'word ' : 'dword ', z: mode.opSize === 16 ? 'word ' : 'dword ', q: '', p: '' } as Record<string, string>)[sz] ?? '';
  for (const def of ASSEMBLABLE) {
    // A 16-bit mnemonic spelling (cbw, movsw) sets the operand size; entries without one only vary by operands.
    let mnemonic = def.mnemonic;
    if (def.mnemonic16) mnemonic = mode.opSize === 16 ? def.mnemonic16 : def.mnemonic;
    if (def.opcode === 0xe3) mnemonic = mode.bits === 16 ? 'jcxz' : 'jecxz';
    // NASM's pushf/popf/pusha/popa/iret follow the mode; the w spellings force 16 bits.
    if (['pushf', 'popf', 'pusha', 'popa', 'iret'].includes(mnemonic) && mode.bits === 32) mnemonic += 'w';
    const specs = STRING_HANDLERS.has(def.handler) ? [] : def.operands;
    const hasVariable = specs.some((s) => /[vz]$/.test(s) || s === 'eAX') || !!def.mnemonic16;
    if (!hasVariable && mode.opSize !== mode.bits) continue; // nothing new in the other operand size
    if ((def.opcode === 0x0fb7 || def.opcode === 0x0fbf) && mode.opSize === 16) continue; // movzx r16, r/m16 is no extension
    for (const useMem of [false, true]) {
      if (useMem && !specs.some((s) => /^E/.test(s))) continue;
      const ops = specs.map((s) => operand(def, s, useMem, v, memText, sizeWord));
      out.push({ def, text: ops.length ? `${mnemonic} ${ops.join(', ')}` : mnemonic });
    }
  }
  return out;
}

function operand(def: OpcodeDef, s: string, useMem: boolean, v: string[], memText: string, sizeWord: (sz: string) => string): string {
  switch (s) {
    case 'AL': return 'al';
    case 'CL': return 'cl';
    case 'DX': return 'dx';
    case 'eAX': return v[0]!;
    case '1': return '1';
    case 'ES': case 'CS': case 'SS': case 'DS': case 'FS': case 'GS': return s.toLowerCase();
  }
  const k = s[0]!, sz = s.slice(1);
  const reg = (n: number): string => (sz === 'b' ? R8[n]! : sz === 'w' ? R16[n]! : sz === 'd' ? R32[n]! : v[n]!);
  switch (k) {
    case 'E':
      if (def.opcode === 0x8c && useMem) return 'word ' + memText; // MOV m16, Sreg
      return useMem ? sizeWord(sz) + memText : reg(3);
    case 'M':
      if (sz === 'p' && def.opcode === 0xff) return 'far ' + memText;
      return memText;
    case 'R': return R32[1]!;
    case 'G': return reg(6);
    case 'Z': return reg(def.opcode & 7);
    case 'S': return 'fs';
    case 'C': return 'cr3';
    case 'D': return 'dr7';
    case 'I':
      if (def.operands.length === 1 && /[vz]/.test(sz)) return sizeWord(sz) + (v === R16 ? '0x1234' : '0x12345678'); // push dword 0x12345678
      return sz === 'b' ? '0x12' : sz === 'w' ? '0x1234' : v === R16 ? '0x1234' : '0x12345678';
    case 'J':
      if (def.handler === 'loop' || def.handler === 'jcxz') return '$+0x10'; // only a short form exists
      return sz === 'b' ? 'short $+0x10' : 'near $+0x200';
    case 'O': return '[0x1234]';
    case 'A': return '0x8:0x1000';
  }
  throw new Error(`no sample for ${s}`);
}

/** Table entries no NASM spelling selects: alternative encodings of another entry's instruction. */
export function isAlternativeEncoding(def: OpcodeDef): boolean {
  if (def.opcode === 0x82) return true; // 82 /n = 80 /n (invalid in 64-bit mode)
  if ((def.opcode === 0xf6 || def.opcode === 0xf7) && def.ext === 1) return true; // TEST /1 = TEST /0
  if (def.mnemonic === 'sal') return true; // SAL is SHL (/4); /6 is the undocumented alias
  if (def.mnemonic === 'nop' && def.opcode !== 0x90 && def.opcode !== 0x0f1f) return true; // hint NOPs
  return false;
}
