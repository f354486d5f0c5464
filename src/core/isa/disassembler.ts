// Intel-syntax disassembly of decoded instructions, close to `objdump -d -M intel`:
//   mov eax, dword ptr [ebx+esi*4+0x10]    call 0x00100123    jmp 0x8:0x00100010    rep stosd
// Memory operands always carry a size keyword (byte/word/dword/qword/fword ptr) as objdump prints
// them; string instructions use the table's short mnemonic (movsb, stosd, ...) with prefix words.
// Relative branch targets are absolute linear addresses (insn.address + length + displacement).
import type { DisasmLine } from '../debug/debugApi';
import { Decoder, type ByteSource } from './decoder';
import { Insn } from './insn';

const R32 = ['eax', 'ecx', 'edx', 'ebx', 'esp', 'ebp', 'esi', 'edi'];
const R16 = ['ax', 'cx', 'dx', 'bx', 'sp', 'bp', 'si', 'di'];
const R8 = ['al', 'cl', 'dl', 'bl', 'ah', 'ch', 'dh', 'bh'];
const SEGS = ['es', 'cs', 'ss', 'ds', 'fs', 'gs'];
/** String instructions: the short table mnemonic is printed, with no explicit operands. */
const STRING_HANDLERS = new Set(['movs', 'cmps', 'stos', 'lods', 'scas', 'ins', 'outs']);

const hex = (v: number): string => '0x' + (v >>> 0).toString(16);
const hex8 = (v: number): string => '0x' + (v >>> 0).toString(16).padStart(8, '0');

function regName(size: string, n: number, opSize: number): string {
  switch (size) {
    case 'b': return R8[n & 7]!;
    case 'w': return R16[n & 7]!;
    case 'd': return R32[n & 7]!;
    default: return opSize === 16 ? R16[n & 7]! : R32[n & 7]!;
  }
}

function sizeKeyword(spec: string, opSize: number): string {
  switch (spec.slice(1)) {
    case 'b': return 'byte ptr ';
    case 'w': return 'word ptr ';
    case 'd': return 'dword ptr ';
    case 'q': return 'qword ptr ';
    case 'v': case 'z': return opSize === 16 ? 'word ptr ' : 'dword ptr ';
    case 'p': return opSize === 16 ? 'dword ptr ' : 'fword ptr ';
    case 'a': return opSize === 16 ? 'dword ptr ' : 'qword ptr ';
    default: return ''; // M (lea), Ms (lgdt/sidt), E (x87 escape)
  }
}

/** The memory operand's address expression: `es:[ebx+esi*4+0x10]`, `ds:0x1234`, `[bx+si-0x2]`. */
function memoryText(insn: Insn): string {
  const names = insn.adSize === 16 ? R16 : R32;
  const seg = insn.seg >= 0 ? SEGS[insn.seg]! + ':' : '';
  if (insn.base < 0 && insn.index < 0) {
    const mask = insn.adSize === 16 ? insn.disp & 0xffff : insn.disp >>> 0;
    return (seg || 'ds:') + hex(mask);
  }
  let s = '';
  if (insn.base >= 0) s = names[insn.base]!;
  if (insn.index >= 0) {
    s += (s ? '+' : '') + names[insn.index]!;
    if (insn.adSize === 32) s += '*' + insn.scale;
  }
  const d = insn.adSize === 16 ? (insn.disp << 16) >> 16 : insn.disp | 0;
  if (d > 0) s += '+' + hex(d);
  else if (d < 0) s += '-' + hex(-d);
  return `${seg}[${s}]`;
}

/** 8-bit immediates sign-extended to the operand size in the encoding itself (83 /n, 6A, 6B). */
function ibSignExtended(opcode: number): boolean {
  return opcode === 0x83 || opcode === 0x6a || opcode === 0x6b;
}

function operandText(insn: Insn, spec: string, immIndex: number): string {
  const opSize = insn.opSize;
  switch (spec) {
    case 'AL': return 'al';
    case 'CL': return 'cl';
    case 'DX': return 'dx';
    case 'eAX': return opSize === 16 ? 'ax' : 'eax';
    case '1': return '1';
    case 'ES': case 'CS': case 'SS': case 'DS': case 'FS': case 'GS': return spec.toLowerCase();
    default: break;
  }
  const kind = spec[0];
  const size = spec.slice(1);
  switch (kind) {
    case 'E': case 'M': case 'R':
      if (insn.mod === 3) {
        if (spec === 'E') return `st(${insn.rm})`;
        // LAR/LSL read a selector but name a full-size register (SDM: LAR r32, r32/m16).
        if (insn.opcode === 0x0f02 || insn.opcode === 0x0f03) return regName('v', insn.rm, opSize);
        return regName(size, insn.rm, opSize);
      }
      // MOV r/m, Sreg stores 16 bits to memory whatever the operand size.
      if (insn.opcode === 0x8c) return 'word ptr ' + memoryText(insn);
      return sizeKeyword(spec, opSize) + memoryText(insn);
    case 'G': return regName(size, insn.reg, opSize);
    case 'Z': return regName(size, insn.opcode & 7, opSize);
    case 'S': return SEGS[insn.reg] ?? `seg${insn.reg}`;
    case 'C': return `cr${insn.reg}`;
    case 'D': return `dr${insn.reg}`;
    case 'I': {
      const imm = immIndex === 0 ? insn.imm : insn.imm2;
      if (size === 'b') {
        if (ibSignExtended(insn.def.opcode)) return hex(opSize === 16 ? imm & 0xffff : imm);
        return hex(imm & 0xff);
      }
      if (size === 'w' || opSize === 16) return hex(imm & 0xffff);
      return hex(imm);
    }
    case 'J': {
      const next = insn.address + insn.length + insn.imm;
      // A 16-bit operand size truncates EIP to 16 bits (SDM JMP/Jcc/CALL "IF OperandSize = 16").
      const target = opSize === 16 ? ((insn.address & ~0xffff) | (next & 0xffff)) : next;
      return hex8(target);
    }
    case 'O': return memoryText(insn);
    case 'A': return `${hex(insn.imm2 & 0xffff)}:${hex8(opSize === 16 ? insn.imm & 0xffff : insn.imm)}`;
    default: return spec.toLowerCase();
  }
}

/** The mnemonic for this operand/address size: the table's 16-bit form where it has one. */
export function mnemonicOf(insn: Insn): string {
  const def = insn.def;
  if (def.opcode === 0xe3) return insn.adSize === 16 ? 'jcxz' : 'jecxz'; // chosen by address size
  if (insn.opSize === 16 && def.mnemonic16) return def.mnemonic16;
  return def.mnemonic;
}

/** One instruction in Intel syntax: prefixes, mnemonic, operands separated by ", ". */
export function formatInsn(insn: Insn): string {
  const def = insn.def;
  const isString = STRING_HANDLERS.has(def.handler);
  const words: string[] = [];
  if (insn.lock) words.push('lock');
  if (insn.rep === 0xf3) words.push(isString ? (def.handler === 'cmps' || def.handler === 'scas' ? 'repe' : 'rep') : 'repz');
  else if (insn.rep === 0xf2) words.push(isString ? 'repne' : 'repnz');
  let ops: string[] = [];
  const usesMemory = insn.hasModrm && insn.mod !== 3 && def.operands.some((o) => /^[EM]/.test(o)) || def.operands.some((o) => o[0] === 'O');
  if (!isString) {
    let nImm = 0;
    ops = def.operands.map((o) => operandText(insn, o, o[0] === 'I' || o[0] === 'J' ? nImm++ : 0));
  }
  // A segment override with no memory operand to show it in: a prefix word, as objdump prints it.
  if (insn.seg >= 0 && (isString || !usesMemory)) words.push(SEGS[insn.seg]!);
  words.push(mnemonicOf(insn));
  const head = words.join(' ');
  return ops.length ? `${head} ${ops.join(', ')}` : head;
}

class ReadSource implements ByteSource {
  base = 0;
  bad = false;
  constructor(private readonly read: (linearAddress: number) => number | undefined) {}
  byteAt(offset: number): number {
    const b = this.read((this.base + offset) >>> 0);
    if (b === undefined) { this.bad = true; return 0; }
    return b & 0xff;
  }
}

const byteHex = (b: number): string => (b & 0xff).toString(16).padStart(2, '0');

/**
 * Disassemble `count` instructions from `address`. Unreadable bytes give a `??` line with no bytes,
 * undecodable ones a `(bad)` line for one byte; either way the next line starts one byte further.
 */
export function disassembleRange(read: (linearAddress: number) => number | undefined, address: number, count: number, codeSize: 16 | 32): DisasmLine[] {
  const out: DisasmLine[] = [];
  const dec = new Decoder();
  const insn = new Insn();
  const src = new ReadSource(read);
  let addr = address >>> 0;
  for (let n = 0; n < count; n++) {
    const first = read(addr);
    if (first === undefined) {
      out.push({ address: addr, bytes: '', text: '??' });
      addr = (addr + 1) >>> 0;
      continue;
    }
    src.base = addr;
    src.bad = false;
    const ok = dec.decode(src, codeSize, insn);
    if (!ok || src.bad) {
      out.push({ address: addr, bytes: byteHex(first), text: '(bad)' });
      addr = (addr + 1) >>> 0;
      continue;
    }
    insn.address = addr;
    const bytes: string[] = [];
    for (let i = 0; i < insn.length; i++) bytes.push(byteHex(read((addr + i) >>> 0) ?? 0));
    out.push({ address: addr, bytes: bytes.join(' '), text: formatInsn(insn) });
    addr = (addr + insn.length) >>> 0;
  }
  return out;
}
