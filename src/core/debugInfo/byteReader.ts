// A bounds-checked little-endian cursor over one debug section, with the DWARF encodings:
// LEB128 (DWARF 5 section 7.6), null-terminated UTF-8 strings, and 4- or 8-byte section offsets
// (32- vs 64-bit DWARF, section 7.4). Reading past the end throws DwarfFormatError, never a RangeError.

/** Malformed or unsupported debug information; the message names the section and offset. */
export class DwarfFormatError extends Error { override name = 'DwarfFormatError'; }

export class ByteReader {
  pos: number;
  private readonly dv: DataView;

  constructor(readonly bytes: Uint8Array, readonly what: string, pos = 0) {
    this.dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    this.pos = pos;
  }

  get length(): number { return this.bytes.length; }
  get atEnd(): boolean { return this.pos >= this.bytes.length; }

  private need(n: number): number {
    const p = this.pos;
    if (n < 0 || p + n > this.bytes.length) {
      throw new DwarfFormatError(`${this.what}: read of ${n} bytes at offset 0x${p.toString(16)} runs past the end (0x${this.bytes.length.toString(16)})`);
    }
    this.pos = p + n;
    return p;
  }

  u8(): number { return this.bytes[this.need(1)]; }
  i8(): number { return this.dv.getInt8(this.need(1)); }
  u16(): number { return this.dv.getUint16(this.need(2), true); }
  u24(): number { const p = this.need(3); return this.bytes[p] | (this.bytes[p + 1] << 8) | (this.bytes[p + 2] << 16); }
  u32(): number { return this.dv.getUint32(this.need(4), true); }
  /** A 64-bit value as a number (exact below 2^53; debug info for IA-32 stays far below). */
  u64(): number { const p = this.need(8); return this.dv.getUint32(p, true) + this.dv.getUint32(p + 4, true) * 0x100000000; }
  /** An unsigned value of `size` bytes (1, 2, 3, 4 or 8). */
  uN(size: number): number {
    switch (size) {
      case 1: return this.u8();
      case 2: return this.u16();
      case 3: return this.u24();
      case 4: return this.u32();
      case 8: return this.u64();
      default: throw new DwarfFormatError(`${this.what}: unsupported field size ${size} at offset 0x${this.pos.toString(16)}`);
    }
  }
  /** A section offset: 4 bytes in 32-bit DWARF, 8 in 64-bit DWARF (section 7.4). */
  offset(offsetSize: 4 | 8): number { return offsetSize === 8 ? this.u64() : this.u32(); }

  /** Unsigned LEB128 (section 7.6). */
  uleb(): number {
    let result = 0, mul = 1, b: number;
    do {
      b = this.u8();
      result += (b & 0x7f) * mul;
      mul *= 128;
    } while (b & 0x80);
    return result;
  }

  /** Signed LEB128 (section 7.6). */
  sleb(): number {
    let result = 0, mul = 1, b: number;
    do {
      b = this.u8();
      result += (b & 0x7f) * mul;
      mul *= 128;
    } while (b & 0x80);
    if (b & 0x40) result -= mul;
    return result;
  }

  /** A null-terminated UTF-8 string. */
  cstr(): string {
    const start = this.pos;
    let end = start;
    while (end < this.bytes.length && this.bytes[end] !== 0) end++;
    if (end >= this.bytes.length) throw new DwarfFormatError(`${this.what}: unterminated string at offset 0x${start.toString(16)}`);
    this.pos = end + 1;
    return utf8(this.bytes, start, end);
  }

  take(n: number): Uint8Array { const p = this.need(n); return this.bytes.subarray(p, p + n); }
  skip(n: number): void { this.need(n); }

  /**
   * The initial length field of a unit (section 7.4): returns the unit's end offset and whether it
   * is 64-bit DWARF (0xffffffff escape followed by an 8-byte length).
   */
  unitLength(): { end: number; offsetSize: 4 | 8 } {
    const l = this.u32();
    if (l === 0xffffffff) {
      const l64 = this.u64();
      return { end: this.checkedEnd(l64), offsetSize: 8 };
    }
    if (l >= 0xfffffff0) throw new DwarfFormatError(`${this.what}: reserved unit length 0x${l.toString(16)} at offset 0x${(this.pos - 4).toString(16)}`);
    return { end: this.checkedEnd(l), offsetSize: 4 };
  }

  private checkedEnd(len: number): number {
    const end = this.pos + len;
    if (end > this.bytes.length) throw new DwarfFormatError(`${this.what}: unit at offset 0x${this.pos.toString(16)} claims ${len} bytes, past the end of the section`);
    return end;
  }
}

/** A null-terminated string at `offset` of a string section (.debug_str, .debug_line_str). */
export function stringAt(section: Uint8Array | undefined, offset: number, what: string): string {
  if (!section) throw new DwarfFormatError(`a string in ${what} is referenced but the section is missing`);
  if (offset < 0 || offset >= section.length) throw new DwarfFormatError(`${what}: string offset 0x${offset.toString(16)} is outside the section`);
  let end = offset;
  while (end < section.length && section[end] !== 0) end++;
  return utf8(section, offset, end);
}

/** UTF-8 decoding without TextDecoder (not part of the core's ES2022 environment). */
function utf8(b: Uint8Array, start: number, end: number): string {
  let s = '';
  for (let k = start; k < end;) {
    const c = b[k++];
    if (c < 0x80) { s += String.fromCharCode(c); continue; }
    let need = 0, cp = 0;
    if ((c & 0xe0) === 0xc0) { need = 1; cp = c & 0x1f; } else if ((c & 0xf0) === 0xe0) { need = 2; cp = c & 0x0f; } else if ((c & 0xf8) === 0xf0) { need = 3; cp = c & 0x07; } else { s += '\ufffd'; continue; }
    let ok = k + need <= end;
    for (let j = 0; ok && j < need; j++) {
      const d = b[k + j];
      if ((d & 0xc0) !== 0x80) ok = false; else cp = (cp << 6) | (d & 0x3f);
    }
    if (!ok) { s += '\ufffd'; continue; }
    k += need;
    s += String.fromCodePoint(cp);
  }
  return s;
}
