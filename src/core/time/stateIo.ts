// State as data (ARCHITECTURE.md invariant 4): every stateful part of the machine (CPU, VMCS, devices,
// hypervisor bookkeeping) saves and restores itself through these two small classes, in a fixed
// order, as little-endian binary. Checkpoints keep these blobs in memory; snapshot files wrap them
// with a versioned header (time/snapshot.ts). A component bumps its own version number whenever its
// layout changes, and refuses (with a clear error) a version it does not know.

export interface Snapshotable {
  /** Stable component name, written before its state (e.g. "cpu0", "vmcs0", "uart0"). */
  readonly stateName: string;
  saveState(w: StateWriter): void;
  loadState(r: StateReader): void;
}

export class StateFormatError extends Error { override name = 'StateFormatError'; }

export class StateWriter {
  private buf = new Uint8Array(4096);
  private dv = new DataView(this.buf.buffer);
  private n = 0;

  private room(k: number): void {
    if (this.n + k <= this.buf.length) return;
    let cap = this.buf.length * 2;
    while (cap < this.n + k) cap *= 2;
    const b = new Uint8Array(cap);
    b.set(this.buf.subarray(0, this.n));
    this.buf = b;
    this.dv = new DataView(b.buffer);
  }
  u8(v: number): void { this.room(1); this.dv.setUint8(this.n, v); this.n += 1; }
  u32(v: number): void { this.room(4); this.dv.setUint32(this.n, v >>> 0, true); this.n += 4; }
  i32(v: number): void { this.room(4); this.dv.setInt32(this.n, v | 0, true); this.n += 4; }
  f64(v: number): void { this.room(8); this.dv.setFloat64(this.n, v, true); this.n += 8; }
  bool(v: boolean): void { this.u8(v ? 1 : 0); }
  str(s: string): void {
    const codes = Array.from(s, (c) => c.charCodeAt(0) & 0xff);
    this.u32(codes.length);
    this.room(codes.length);
    this.buf.set(codes, this.n);
    this.n += codes.length;
  }
  bytes(b: Uint8Array): void { this.u32(b.length); this.room(b.length); this.buf.set(b, this.n); this.n += b.length; }
  i32s(a: ArrayLike<number>): void { this.u32(a.length); for (let k = 0; k < a.length; k++) this.i32(a[k]); }
  u32s(a: ArrayLike<number>): void { this.u32(a.length); for (let k = 0; k < a.length; k++) this.u32(a[k]); }
  /** Component header: name and layout version. */
  begin(name: string, version: number): void { this.str(name); this.u32(version); }
  finish(): Uint8Array { return this.buf.slice(0, this.n); }
  get length(): number { return this.n; }
}

export class StateReader {
  private readonly dv: DataView;
  private n = 0;
  constructor(private readonly buf: Uint8Array) { this.dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength); }

  private need(k: number): void {
    if (this.n + k > this.buf.length) throw new StateFormatError(`state truncated at byte ${this.n} (needs ${k} more)`);
  }
  u8(): number { this.need(1); return this.dv.getUint8(this.n++); }
  u32(): number { this.need(4); const v = this.dv.getUint32(this.n, true); this.n += 4; return v; }
  i32(): number { this.need(4); const v = this.dv.getInt32(this.n, true); this.n += 4; return v; }
  f64(): number { this.need(8); const v = this.dv.getFloat64(this.n, true); this.n += 8; return v; }
  bool(): boolean { return this.u8() !== 0; }
  str(): string { const k = this.u32(); this.need(k); let s = ''; for (let i = 0; i < k; i++) s += String.fromCharCode(this.buf[this.n + i]); this.n += k; return s; }
  bytes(): Uint8Array { const k = this.u32(); this.need(k); const b = this.buf.slice(this.n, this.n + k); this.n += k; return b; }
  i32sInto(a: Int32Array | number[]): void {
    const k = this.u32();
    if (k !== a.length) throw new StateFormatError(`array length ${k}, expected ${a.length}`);
    for (let i = 0; i < k; i++) a[i] = this.i32();
  }
  u32sInto(a: Uint32Array | number[]): void {
    const k = this.u32();
    if (k !== a.length) throw new StateFormatError(`array length ${k}, expected ${a.length}`);
    for (let i = 0; i < k; i++) a[i] = this.u32();
  }
  /** Check a component header; throws a clear error on a name or version this build does not know. */
  begin(name: string, version: number): void {
    const got = this.str();
    if (got !== name) throw new StateFormatError(`expected state of "${name}", found "${got}"`);
    const v = this.u32();
    if (v !== version) throw new StateFormatError(`"${name}" state version ${v} is not supported (this build reads version ${version})`);
  }
  get offset(): number { return this.n; }
  get done(): boolean { return this.n === this.buf.length; }
}
