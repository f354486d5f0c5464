// The input log (invariant 1): every outside input enters here, stamped with the instruction count
// at which it entered, and is delivered at that same count when history is replayed. `cursor` is the
// number of entries delivered so far on the current path through the timeline.
export interface InputEntry {
  readonly icount: number;
  /** Serial port index (0 = COM1). */
  readonly port: number;
  readonly bytes: Uint8Array;
}

export class InputLog {
  readonly entries: InputEntry[] = [];
  cursor = 0;

  /** The next entry not yet delivered, if any. */
  get next(): InputEntry | undefined { return this.entries[this.cursor]; }

  /** A new input at the end of history. */
  record(icount: number, port: number, bytes: Uint8Array): InputEntry {
    this.entries.length = this.cursor;
    const e = { icount, port, bytes: bytes.slice() };
    this.entries.push(e);
    this.cursor++;
    return e;
  }

  /** Changing the past: inputs not yet delivered belong to the discarded future. */
  truncateFuture(): number {
    const n = this.entries.length - this.cursor;
    this.entries.length = this.cursor;
    return n;
  }
}
