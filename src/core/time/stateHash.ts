// A deterministic fingerprint of the whole machine: host memory (guest RAM, EPT tables, bitmaps),
// every component's saved state (CPU, VMCS, vCPU and VMM bookkeeping, devices). FNV-1a over 32-bit
// words (not bytes: four times fewer multiplications), two lanes with different offsets, shown as 16
// hex digits. Not cryptographic: it tells "same state" from "different state" in tests and tools.
import type { HostPhysMem } from '../hw/physMem';
import type { Snapshotable } from './stateIo';
import { saveComponent } from './machineState';

const FNV_PRIME = 16777619;
const OFFSET_A = 0x811c9dc5 | 0, OFFSET_B = 0x01000193 ^ 0x5bd1e995;

export class Fnv32x2 {
  a = OFFSET_A; b = OFFSET_B;
  word(w: number): void {
    this.a = Math.imul(this.a ^ w, FNV_PRIME);
    this.b = Math.imul(this.b ^ ((w << 13) | (w >>> 19)), FNV_PRIME);
  }
  words(ws: Int32Array, from = 0, to = ws.length): void {
    let a = this.a, b = this.b;
    for (let k = from; k < to; k++) {
      const w = ws[k];
      a = Math.imul(a ^ w, FNV_PRIME);
      b = Math.imul(b ^ ((w << 13) | (w >>> 19)), FNV_PRIME);
    }
    this.a = a; this.b = b;
  }
  bytes(bs: Uint8Array): void {
    this.word(bs.length);
    const whole = bs.length >> 2;
    if ((bs.byteOffset & 3) === 0) this.words(new Int32Array(bs.buffer, bs.byteOffset, whole));
    else for (let k = 0; k < whole; k++) this.word(bs[4 * k] | (bs[4 * k + 1] << 8) | (bs[4 * k + 2] << 16) | (bs[4 * k + 3] << 24));
    for (let k = whole * 4; k < bs.length; k++) this.word(bs[k]);
  }
  hex(): string { return (this.a >>> 0).toString(16).padStart(8, '0') + (this.b >>> 0).toString(16).padStart(8, '0'); }
}

export function hashMemory(mem: HostPhysMem, h = new Fnv32x2()): Fnv32x2 {
  h.words(mem.i32);
  return h;
}

/** Hash of every component and of host memory. */
export function stateHash(components: Snapshotable[], mem: HostPhysMem): string {
  const h = new Fnv32x2();
  for (const c of components) h.bytes(saveComponent(c));
  hashMemory(mem, h);
  return h.hex();
}

/** Hash of the components alone (cheap: no memory). */
export function componentsHash(components: Snapshotable[]): string {
  const h = new Fnv32x2();
  for (const c of components) h.bytes(saveComponent(c));
  return h.hex();
}
