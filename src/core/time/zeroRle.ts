// Zero-run compression of component state blobs kept in checkpoints: a saved machine state is mostly
// zero bytes (VMCS fields a guest never sets, exit counters of reasons that never happened), about
// 90 % for the fixtures. Layout: repeated (varint zero-run length, varint literal length, literals).
// Cheap both ways; no host library (src/core stays free of node:*).

function putVarint(out: number[], v: number): void {
  while (v >= 0x80) { out.push((v & 0x7f) | 0x80); v >>>= 7; }
  out.push(v);
}

export function packZeros(b: Uint8Array): Uint8Array {
  const out: number[] = [];
  let k = 0;
  while (k < b.length) {
    const z0 = k;
    while (k < b.length && b[k] === 0) k++;
    const l0 = k;
    // A literal run ends at two zero bytes in a row (one zero is cheaper inline).
    while (k < b.length && !(b[k] === 0 && (k + 1 >= b.length || b[k + 1] === 0))) k++;
    putVarint(out, l0 - z0);
    putVarint(out, k - l0);
    for (let j = l0; j < k; j++) out.push(b[j]);
  }
  putVarint(out, b.length); // the unpacked length, last (a check when unpacking)
  return Uint8Array.from(out);
}

export function unpackZeros(p: Uint8Array, length: number): Uint8Array {
  const b = new Uint8Array(length);
  let i = 0, k = 0;
  const varint = (): number => { let v = 0, s = 0, x; do { x = p[i++]; v |= (x & 0x7f) << s; s += 7; } while (x & 0x80); return v >>> 0; };
  while (k < length) {
    k += varint();
    const n = varint();
    b.set(p.subarray(i, i + n), k);
    i += n; k += n;
  }
  if (varint() !== length || i !== p.length) throw new Error('checkpoint state: packed blob is inconsistent');
  return b;
}
