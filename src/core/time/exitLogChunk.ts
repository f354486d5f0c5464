// A sealed chunk of the VM-exit log (exitLog.ts), compressed. Consecutive exits mostly repeat the
// vCPU, the reason, the qualification and the RIP of the exit before (a loop exits at the same
// instruction for the same reason), and their icounts are close. Each record is:
//   a flags byte: bit 0 vCPU, bit 1 reason, bit 2 qualification, bit 3 RIP differ from the record before
//   the icount delta (zigzag varint: records are in icount order, the sign is for safety)
//   then only the fields that differ: vCPU and reason as varints, the qualification as a uint32
//   varint, the RIP as a zigzag varint of its (wrapping 32-bit) difference.
// A CPUID loop takes ~3 bytes per exit, an I/O-heavy OS ~6-9 (24 uncompressed).

export const CHUNK_RECORDS = 1 << 16;

/** Records of one chunk, as the open chunk holds them: icount, and vCPU / reason / qualification / RIP words. */
export interface ChunkRecords { icount: Float64Array; words: Int32Array; }
export interface SealedChunk { data: Uint8Array; firstIcount: number; lastIcount: number; }

class ByteSink {
  buf = new Uint8Array(CHUNK_RECORDS * 4);
  n = 0;
  byte(b: number): void {
    if (this.n === this.buf.length) { const g = new Uint8Array(this.buf.length * 2); g.set(this.buf); this.buf = g; }
    this.buf[this.n++] = b;
  }
  /** A non-negative integer up to 2^53. */
  varint(v: number): void {
    while (v >= 0x80) { this.byte((v % 0x80) | 0x80); v = Math.floor(v / 0x80); }
    this.byte(v);
  }
  zigzag(v: number): void { this.varint(v < 0 ? -2 * v - 1 : 2 * v); }
}

export function encodeChunk(r: ChunkRecords, n: number): SealedChunk {
  const out = new ByteSink();
  let ic = 0, vcpu = 0, reason = 0, qual = 0, rip = 0;
  const w = r.words;
  for (let k = 0; k < n; k++) {
    const v = w[k * 4], re = w[k * 4 + 1], q = w[k * 4 + 2], ri = w[k * 4 + 3];
    const flags = (v !== vcpu ? 1 : 0) | (re !== reason ? 2 : 0) | (q !== qual ? 4 : 0) | (ri !== rip ? 8 : 0);
    out.byte(flags);
    out.zigzag(r.icount[k] - ic);
    if (flags & 1) out.varint(v >>> 0);
    if (flags & 2) out.varint(re >>> 0);
    if (flags & 4) out.varint(q >>> 0);
    if (flags & 8) out.zigzag((ri - rip) | 0);
    ic = r.icount[k]; vcpu = v; reason = re; qual = q; rip = ri;
  }
  return { data: out.buf.slice(0, out.n), firstIcount: n ? r.icount[0] : 0, lastIcount: n ? r.icount[n - 1] : 0 };
}

export function decodeChunk(c: SealedChunk): ChunkRecords {
  const icount = new Float64Array(CHUNK_RECORDS), words = new Int32Array(CHUNK_RECORDS * 4);
  const d = c.data;
  let p = 0;
  const varint = (): number => {
    let v = 0, scale = 1, b: number;
    do { b = d[p++]; v += (b & 0x7f) * scale; scale *= 0x80; } while (b & 0x80);
    return v;
  };
  const zigzag = (): number => { const u = varint(); return u % 2 ? -(u + 1) / 2 : u / 2; };
  let ic = 0, vcpu = 0, reason = 0, qual = 0, rip = 0;
  for (let k = 0; k < CHUNK_RECORDS && p < d.length; k++) {
    const flags = d[p++];
    ic += zigzag();
    if (flags & 1) vcpu = varint() | 0;
    if (flags & 2) reason = varint() | 0;
    if (flags & 4) qual = varint() | 0;
    if (flags & 8) rip = (rip + zigzag()) | 0;
    icount[k] = ic;
    words[k * 4] = vcpu; words[k * 4 + 1] = reason; words[k * 4 + 2] = qual; words[k * 4 + 3] = rip;
  }
  return { icount, words };
}
