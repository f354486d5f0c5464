// Little-endian table building and the 8-bit checksum shared by the MP and ACPI tables (both
// define "checksum" as the byte that makes all bytes of the structure sum to zero).
export class TableBytes {
  private readonly b: number[] = [];
  get length(): number { return this.b.length; }
  u8(v: number): this { this.b.push(v & 0xff); return this; }
  u16(v: number): this { return this.u8(v).u8(v >> 8); }
  u32(v: number): this { return this.u16(v & 0xffff).u16(v >>> 16); }
  /** ASCII padded with spaces (or cut) to `n` bytes. */
  str(s: string, n = s.length): this { for (let k = 0; k < n; k++) this.u8(k < s.length ? s.charCodeAt(k) : 0x20); return this; }
  zeros(n: number): this { for (let k = 0; k < n; k++) this.u8(0); return this; }
  set8(at: number, v: number): void { this.b[at] = v & 0xff; }
  set16(at: number, v: number): void { this.set8(at, v); this.set8(at + 1, v >> 8); }
  set32(at: number, v: number): void { this.set16(at, v & 0xffff); this.set16(at + 2, v >>> 16); }
  /** Store at `at` the byte making bytes [from, to) sum to zero. */
  checksum(at: number, from = 0, to = this.b.length): void {
    this.b[at] = 0;
    let s = 0;
    for (let k = from; k < to; k++) s += this.b[k];
    this.b[at] = (-s) & 0xff;
  }
  bytes(): Uint8Array { return Uint8Array.from(this.b); }
}

/** Sum of bytes modulo 256 (0 for a structure with a correct checksum). */
export function byteSum(b: Uint8Array, from = 0, to = b.length): number {
  let s = 0;
  for (let k = from; k < to; k++) s += b[k];
  return s & 0xff;
}
