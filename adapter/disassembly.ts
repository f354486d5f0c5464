// The `disassemble` request. VS Code asks for instructions before the reference address too
// (negative instructionOffset). x86 is variable-length, so decoding backwards needs a start point
// that lands exactly on the reference: first the enclosing symbol's start (exact for code that runs
// straight from its label), else a window of 15 bytes per wanted instruction, moved forward a byte at
// a time (then halved) until the decode stream lands on the reference. Whatever cannot be decoded or read is padded
// with "??" entries (presentationHint 'invalid'), so the answer always has instructionCount entries.
import type { DebugProtocol } from '@vscode/debugprotocol';
import type { DisasmLine } from '../src/core/debug/debugApi';
import type { SymbolTable } from './symbols';
import { hex8 } from './format';

/** The part of Vm the disassembler needs. */
export interface CodeSource {
  disassemble(vcpu: number, address: number, count: number): DisasmLine[];
}

const MAX_INSN_LEN = 15;
/** Longest stretch decoded from a symbol start to find the instructions before an address. */
const MAX_SYMBOL_LOOKBACK = 4096;
const MAX_INSTRUCTION_COUNT = 10_000;
const ADDRESS_LIMIT = 0x1_0000_0000;

interface Line { address: number; length: number; bytes: string; text: string; symbol?: string; invalid: boolean }

export function disassembleRequest(
  code: CodeSource, vcpu: number, symbols: SymbolTable,
  base: number, instructionOffset: number, instructionCount: number,
): DebugProtocol.DisassembledInstruction[] {
  const count = Math.max(0, Math.min(MAX_INSTRUCTION_COUNT, Math.floor(instructionCount)));
  if (count === 0) return [];
  const first = Math.floor(instructionOffset);
  const lines: Line[] = [];
  if (first < 0) {
    const wanted = -first;
    const before = linesBefore(code, vcpu, symbols, base, wanted, 2);
    padFront(before, wanted, base);
    lines.push(...before.slice(0, Math.min(wanted, count)));
  }
  const afterCount = first + count - Math.max(first, 0);
  if (afterCount > 0 && lines.length < count) {
    const skip = Math.max(first, 0);
    const fwd = linesFrom(code, vcpu, base, skip + (count - lines.length));
    lines.push(...fwd.slice(skip, skip + (count - lines.length)));
  }
  return lines.slice(0, count).map((l) => toDap(l, symbols));
}

/** `n` lines decoded forward from `address`, padded with invalid entries when decoding falls short. */
function linesFrom(code: CodeSource, vcpu: number, address: number, n: number): Line[] {
  const out = decode(code, vcpu, address, n);
  let next = out.length > 0 ? out[out.length - 1].address + out[out.length - 1].length : address;
  while (out.length < n) {
    out.push(invalidLine(next % ADDRESS_LIMIT));
    next++;
  }
  return out;
}

/**
 * Up to `n` lines ending right before `address` (fewer when nothing synchronizes or memory ends).
 * `depth` bounds the recursion that continues before a symbol start.
 */
function linesBefore(code: CodeSource, vcpu: number, symbols: SymbolTable, address: number, n: number, depth: number): Line[] {
  if (address <= 0 || n <= 0) return [];
  const sym = symbols.atOrBefore(address - 1);
  if (sym && sym.address < address && address - sym.address <= MAX_SYMBOL_LOOKBACK) {
    const got = decodeUpTo(code, vcpu, sym.address, address);
    if (got) {
      if (got.length >= n || depth <= 0) return got.slice(-n);
      return [...linesBefore(code, vcpu, symbols, sym.address, n - got.length, depth - 1), ...got];
    }
  }
  // Windows of n*15 bytes, then half, a quarter...: a start in unreadable memory (or one that never
  // lands on `address`) gives way to a shorter window; 15 neighbouring starts are tried in each.
  for (let window = n * MAX_INSN_LEN; window >= 1; window = Math.floor(window / 2)) {
    for (let k = 0; k < MAX_INSN_LEN; k++) {
      const start = address - window + k;
      if (start < 0) continue;
      if (start >= address) break;
      const got = decodeUpTo(code, vcpu, start, address);
      if (got) return got.slice(-n);
    }
  }
  return [];
}

/** Decodes from `start`; returns the lines before `end` if one of them ends exactly at `end`. */
function decodeUpTo(code: CodeSource, vcpu: number, start: number, end: number): Line[] | undefined {
  const lines = decode(code, vcpu, start, end - start + 1);
  const out: Line[] = [];
  for (const l of lines) {
    if (l.address === end) return out;
    if (l.address > end || l.invalid) return undefined;
    out.push(l);
  }
  return undefined;
}

function decode(code: CodeSource, vcpu: number, address: number, n: number): Line[] {
  let raw: DisasmLine[];
  try {
    raw = code.disassemble(vcpu, address >>> 0, n);
  } catch {
    return [];
  }
  return raw.slice(0, n).map((d) => {
    const length = byteLength(d.bytes);
    const text = d.text.trim();
    return {
      address: d.address >>> 0,
      length: length > 0 ? length : 1,
      bytes: d.bytes,
      text,
      symbol: d.symbol,
      invalid: length === 0 || text === '' || text === '??' || text.startsWith('(bad'),
    };
  });
}

function padFront(lines: Line[], wanted: number, address: number): void {
  let at = lines.length > 0 ? lines[0].address : address;
  while (lines.length < wanted) {
    at = at > 0 ? at - 1 : 0;
    lines.unshift(invalidLine(at));
  }
}

function invalidLine(address: number): Line {
  return { address, length: 1, bytes: '', text: '??', invalid: true };
}

/** Bytes in a DisasmLine.bytes string ("0f 01 c1" or "0f01c1"). */
function byteLength(bytes: string): number {
  const hexDigits = bytes.replace(/[^0-9a-f]/gi, '');
  return hexDigits.length >> 1;
}

function toDap(l: Line, symbols: SymbolTable): DebugProtocol.DisassembledInstruction {
  const insn: DebugProtocol.DisassembledInstruction = {
    address: hex8(l.address),
    instruction: l.invalid && l.text === '' ? '??' : l.text,
  };
  if (l.bytes) insn.instructionBytes = l.bytes;
  const symbol = l.symbol ?? symbols.startingAt(l.address);
  if (symbol) insn.symbol = symbol;
  if (l.invalid) insn.presentationHint = 'invalid';
  return insn;
}
