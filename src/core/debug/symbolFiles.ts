// Extra symbol files (launch.json `symbols`): ELF files with symbols and DWARF for code the image
// loads itself (a kernel module, a second stage, a user program), at a load offset. Their line
// tables, functions and symbols join the image's, so source breakpoints, call stacks and evaluate
// see them. Parsing only: the caller reads the file (host I/O stays outside src/core).
import { DebugInfo } from '../debugInfo/debugInfo';
import { isElf, parseElf32 } from '../machine/elf';

export interface SymbolFile {
  debugInfo: DebugInfo;
  symbols: { name: string; address: number; size: number }[];
}

/** Throws an Error whose message names the problem (not ELF, 64-bit, malformed DWARF). */
export function readSymbolFile(bytes: Uint8Array, name: string, offset: number): SymbolFile {
  if (!isElf(bytes)) throw new Error(`${name} is not an ELF file`);
  const elf = parseElf32(bytes, name);
  const debugInfo = DebugInfo.fromElf(bytes, offset);
  const symbols = elf.symbols.filter((s) => s.name !== '').map((s) => ({ name: s.name, address: (s.address + offset) >>> 0, size: s.size }));
  return { debugInfo, symbols };
}
