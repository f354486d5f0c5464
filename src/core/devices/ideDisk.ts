// A hard disk's contents as the guest sees them: the user's image (never modified) under a sparse
// copy-on-write overlay of 512-byte sectors. The overlay is machine state (snapshots and time travel
// cover disk writes); `onWriteBack` lets the host (CLI/adapter, outside src/core) also write sectors
// back to the image file when the user asked for it (`--disk-writeback`, launch `diskWriteback`).
import type { StateReader, StateWriter } from '../time/stateIo';

export const SECTOR = 512;

/** CHS geometry as IDENTIFY DEVICE words 1/3/6 report it (ATA-6 §8.15: at most 16383/16/63). */
export interface Chs { cylinders: number; heads: number; sectors: number; }

export class IdeDisk {
  /** Written sectors by LBA (the overlay); a missing entry reads from the image. */
  readonly overlay = new Map<number, Uint8Array>();
  readonly sectors: number;
  readonly chs: Chs;
  /** Sectors written by the guest (all time, for views and tests). */
  writes = 0;

  constructor(readonly name: string, private readonly image: Uint8Array,
    readonly onWriteBack: ((lba: number, data: Uint8Array) => void) | null = null) {
    this.sectors = Math.floor(image.length / SECTOR);
    const heads = 16, spt = 63;
    this.chs = { cylinders: Math.max(1, Math.min(16383, Math.floor(this.sectors / (heads * spt)))), heads, sectors: spt };
  }

  /** Copy sector `lba` into `dst` at `off`; false when it is past the end of the disk. */
  readSector(lba: number, dst: Uint8Array, off = 0): boolean {
    if (lba < 0 || lba >= this.sectors) return false;
    const o = this.overlay.get(lba);
    if (o) dst.set(o, off);
    else dst.set(this.image.subarray(lba * SECTOR, lba * SECTOR + SECTOR), off);
    return true;
  }

  /** Write sector `lba` from `src` at `off` into the overlay (and back to the file when asked). */
  writeSector(lba: number, src: Uint8Array, off = 0): boolean {
    if (lba < 0 || lba >= this.sectors) return false;
    const data = src.slice(off, off + SECTOR);
    this.overlay.set(lba, data);
    this.writes++;
    this.onWriteBack?.(lba, data);
    return true;
  }

  save(w: StateWriter): void {
    w.u32(this.overlay.size);
    for (const [lba, d] of [...this.overlay.entries()].sort((a, b) => a[0] - b[0])) { w.u32(lba); w.bytes(d); }
    w.f64(this.writes);
  }
  load(r: StateReader): void {
    this.overlay.clear();
    for (let k = r.u32(); k > 0; k--) { const lba = r.u32(); this.overlay.set(lba, r.bytes()); }
    this.writes = r.f64();
  }
}
