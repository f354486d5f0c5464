// Guest symbols (from the ELF symbol table the core loaded): address -> "name+0xoff" and back.
import type { SymbolInfo } from '../src/core/machine/vm';
import { hex, hex8 } from './format';

/** How far past a zero-sized symbol an address may still be attributed to it. */
const UNSIZED_REACH = 0x10000;

export class SymbolTable {
  private readonly sorted: SymbolInfo[];

  constructor(symbols: readonly SymbolInfo[]) {
    this.sorted = symbols.filter((s) => s.name !== '').slice().sort((a, b) => a.address - b.address || b.size - a.size);
  }

  /** The symbol containing `address` (or the nearest one before it, for unsized symbols). */
  lookup(address: number): { symbol: SymbolInfo; offset: number } | undefined {
    const s = this.atOrBefore(address);
    if (!s) return undefined;
    const offset = address - s.address;
    if (s.size > 0 ? offset >= s.size : offset >= UNSIZED_REACH) return undefined;
    return { symbol: s, offset };
  }

  /** The symbol with the greatest start address <= `address`. */
  atOrBefore(address: number): SymbolInfo | undefined {
    const a = this.sorted;
    let lo = 0;
    let hi = a.length - 1;
    let idx = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (a[mid].address <= address) { idx = mid; lo = mid + 1; } else hi = mid - 1;
    }
    if (idx < 0) return undefined;
    // Several symbols at one address: take the first (largest size, by the sort), stable across calls.
    while (idx > 0 && a[idx - 1].address === a[idx].address) idx--;
    return a[idx];
  }

  /** Name of a symbol starting exactly at `address`. */
  startingAt(address: number): string | undefined {
    const s = this.atOrBefore(address);
    return s && s.address === address ? s.name : undefined;
  }

  /** Display form: "kmain+0x1a", "kmain", or the hex address. */
  describe(address: number): string {
    const hit = this.lookup(address);
    if (!hit) return hex8(address);
    return hit.offset === 0 ? hit.symbol.name : `${hit.symbol.name}+${hex(hit.offset)}`;
  }

  /** Finds a symbol by name (exact). */
  byName(name: string): SymbolInfo | undefined {
    return this.sorted.find((s) => s.name === name);
  }
}
