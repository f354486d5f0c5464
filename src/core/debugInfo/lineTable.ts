// The line table of a whole program: the rows of every line program (section 6.2), grouped in
// sequences, answering the two questions a debugger asks: which source line is at this address,
// and which addresses belong to this source line.
import type { LineProgram } from './lineProgram';

/** A run of addresses [address, end) attributed to one source line. */
export interface LineEntry {
  address: number;
  end: number;
  /** Index into LineTable.paths. */
  file: number;
  line: number;
  column: number;
  isStmt: boolean;
}

export interface SourceLocation { path: string; line: number; column: number; address: number; end: number; isStmt: boolean; }

export class LineTable {
  /** Distinct source paths that have rows. */
  readonly paths: string[] = [];
  private readonly pathIndex = new Map<string, number>();
  /** Address-sorted entries; several may share an address (location views, section 6.2.5.1). */
  private readonly entries: LineEntry[] = [];
  /** Per address, the entry that describes the instruction there (see `best`). */
  private readonly byAddress: LineEntry[] = [];

  constructor(programs: readonly LineProgram[]) {
    for (const p of programs) this.addProgram(p);
    // Stable sort keeps program order among rows at one address.
    this.entries.sort((a, b) => a.address - b.address);
    for (let k = 0; k < this.entries.length; k++) {
      const e = this.entries[k];
      const last = this.byAddress[this.byAddress.length - 1];
      if (last && last.address === e.address) {
        // Several rows at one address: the last statement row wins (its line is the one the
        // instruction at that address belongs to; the earlier ones are empty views). The run
        // reaches as far as the longest of them.
        const end = Math.max(last.end, e.end);
        if (e.isStmt || !last.isStmt) this.byAddress[this.byAddress.length - 1] = { ...e, end };
        else last.end = end;
      } else {
        this.byAddress.push({ ...e });
      }
    }
  }

  private addProgram(p: LineProgram): void {
    const rows = p.rows;
    for (let k = 0; k < rows.length; k++) {
      const r = rows[k];
      if (r.endSequence) continue;
      const next = rows[k + 1];
      if (!next || next.address < r.address) continue; // malformed: rows go up within a sequence
      const f = p.files[r.file];
      if (!f) continue;
      let fi = this.pathIndex.get(f.path);
      if (fi === undefined) { fi = this.paths.length; this.paths.push(f.path); this.pathIndex.set(f.path, fi); }
      // Zero-length rows (next at the same address) are kept: they name lines for breakpoints.
      this.entries.push({ address: r.address, end: next.address, file: fi, line: r.line, column: r.column, isStmt: r.isStmt });
    }
  }

  get size(): number { return this.entries.length; }

  /** The line of the instruction at `address`, or undefined when no row covers it. */
  find(address: number): SourceLocation | undefined {
    const a = this.byAddress;
    let lo = 0, hi = a.length - 1, idx = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (a[mid].address <= address) { idx = mid; lo = mid + 1; } else hi = mid - 1;
    }
    if (idx < 0 || a[idx].end <= address) return undefined;
    const e = a[idx];
    return { path: this.paths[e.file], line: e.line, column: e.column, address: e.address, end: Math.max(e.end, e.address), isStmt: e.isStmt };
  }

  /** True when `address` begins a statement row (a place where a source line starts). */
  isStatementStart(address: number): boolean {
    const l = this.find(address);
    return !!l && l.address === address && l.isStmt;
  }

  /** Entries of one file (index into `paths`), sorted by address. */
  entriesOf(file: number): LineEntry[] {
    return this.entries.filter((e) => e.file === file);
  }

  /** All entries, sorted by address. */
  all(): readonly LineEntry[] { return this.entries; }
}
