// Seeded PRNG for the differential test (xoshiro128**): reproducible cases from a printed seed.
export class Rng {
  private a: number; private b: number; private c: number; private d: number;
  constructor(seed: number) {
    // splitmix32 to spread the seed over the state
    let s = seed >>> 0;
    const sm = (): number => {
      s = (s + 0x9e3779b9) | 0;
      let z = s;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
      return (z ^ (z >>> 16)) | 0;
    };
    this.a = sm(); this.b = sm(); this.c = sm(); this.d = sm();
  }
  /** 32 random bits as int32. */
  u32(): number {
    const r = Math.imul(rotl(Math.imul(this.b, 5), 7), 9);
    const t = this.b << 9;
    this.c ^= this.a; this.d ^= this.b; this.b ^= this.c; this.a ^= this.d;
    this.c ^= t; this.d = rotl(this.d, 11);
    return r | 0;
  }
  /** Integer in [0, n). */
  int(n: number): number { return Math.floor(((this.u32() >>> 0) / 4294967296) * n); }
  bool(p = 0.5): boolean { return (this.u32() >>> 0) / 4294967296 < p; }
  pick<T>(xs: readonly T[]): T { return xs[this.int(xs.length)]; }
  /** A 32-bit value biased toward the edges where flags change (0, ±1, sign boundaries, nibble carries). */
  value(): number {
    switch (this.int(8)) {
      case 0: return this.pick(EDGES);
      case 1: return this.pick(EDGES) + this.int(5) - 2;
      case 2: return this.int(256);
      case 3: return this.u32() & this.pick([0xf, 0xff, 0xffff, 0x80ff, 0x7fff]);
      case 4: return this.u32() | this.pick([0x80, 0x8000, 0x80000000 | 0, 0x7f, 0x7fff]);
      default: return this.u32();
    }
  }
}
const rotl = (x: number, k: number): number => (x << k) | (x >>> (32 - k));
const EDGES = [0, 1, -1, 0x7f, 0x80, 0xff, 0x100, 0x7fff, 0x8000, 0xffff, 0x10000, 0x7fffffff, 0x80000000 | 0, 0x0f, 0x10, 0x09, 0x99];
