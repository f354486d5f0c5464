// Data breakpoints (watchpoints) set by the debugger: guest-virtual ranges (linear addresses, as
// the guest's current page tables map them) or guest-physical ranges (any mapping of the page),
// read / write / access, any length. The CPU keeps the pages they touch out of its TLB, so only
// accesses to those pages reach `check` (hw/cpu/watchHook.ts); nothing is installed when the list
// is empty, and the hot path pays nothing.
import type { Vmm } from '../vmm/vmm';
import type { WatchHook } from '../hw/cpu/watchHook';

export type WatchAccess = 'read' | 'write' | 'readWrite';

export interface DataBreakpointSpec {
  id: number;
  space: 'gva' | 'gpa';
  address: number;
  length: number;
  access: WatchAccess;
}

/** The watch that stopped the VM and the access that hit it. */
export interface WatchHit {
  id: number;
  /** Linear address of the access. */
  linear: number;
  write: boolean;
  size: number;
}

const MAX_LENGTH = 1 << 20;

export class Watchpoints implements WatchHook {
  private specs: DataBreakpointSpec[] = [];
  /** Host ranges of guest-physical watches: [start, end) pairs, parallel to gpaSpecs. */
  private hostRanges: { spec: DataBreakpointSpec; start: number; end: number }[] = [];
  private linPages = new Set<number>();
  private hostPages = new Set<number>();
  /** Off while time travel replays history (stops disabled). */
  enabled = true;
  /** The last hit (read by the VM facade when the CPU reports RUN_WATCH). */
  lastHit: WatchHit | null = null;

  constructor(private readonly vmm: Vmm) {}

  get count(): number { return this.specs.length; }

  /** Replaces the set; returns an error message (or undefined) per spec. */
  set(list: DataBreakpointSpec[]): (string | undefined)[] {
    const errors: (string | undefined)[] = [];
    this.specs = [];
    this.hostRanges = [];
    this.linPages.clear();
    this.hostPages.clear();
    for (const s of list) {
      const err = this.add(s);
      errors.push(err);
    }
    this.install();
    return errors;
  }

  private add(s: DataBreakpointSpec): string | undefined {
    if (!Number.isInteger(s.address) || s.address < 0 || s.address > 0xffffffff) return `bad address ${String(s.address)}`;
    if (!Number.isInteger(s.length) || s.length < 1 || s.length > MAX_LENGTH) return `length must be 1 to ${MAX_LENGTH} bytes, got ${String(s.length)}`;
    if (s.address + s.length > 0x100000000) return 'the range runs past 4 GiB';
    if (s.space === 'gva') {
      for (let p = s.address >>> 12; p <= (s.address + s.length - 1) >>> 12; p++) this.linPages.add(p);
    } else {
      let any = false;
      for (let a = s.address; a < s.address + s.length;) {
        const pageEnd = Math.min(s.address + s.length, ((a & ~0xfff) >>> 0) + 0x1000);
        const h = this.vmm.memory.gpaToHpa(a);
        if (h !== -1) {
          this.hostRanges.push({ spec: s, start: h, end: h + (pageEnd - a) });
          this.hostPages.add(h >>> 12);
          any = true;
        }
        a = pageEnd;
      }
      if (!any) return `guest-physical ${hex8(s.address)} is not RAM (nothing to watch)`;
    }
    this.specs.push(s);
    return undefined;
  }

  private install(): void {
    const on = this.specs.length > 0;
    for (const v of this.vmm.vcpus) {
      v.cpu.dbgWatch = on ? this : null;
      v.cpu.mmu.noCache = on ? (lin, host) => this.linPages.has(lin) || this.hostPages.has(host) : null;
      v.cpu.mmu.flushAll();
    }
  }

  check(lin: number, hpa: number, size: number, write: boolean): boolean {
    if (!this.enabled) return false;
    const l = lin >>> 0;
    for (const s of this.specs) {
      if (s.space !== 'gva' || !accessMatches(s.access, write)) continue;
      if (l < s.address + s.length && s.address < l + size) { this.lastHit = { id: s.id, linear: l, write, size }; return true; }
    }
    for (const r of this.hostRanges) {
      if (!accessMatches(r.spec.access, write)) continue;
      if (hpa < r.end && r.start < hpa + size) { this.lastHit = { id: r.spec.id, linear: l, write, size }; return true; }
    }
    return false;
  }

  noCache(linPage: number, hostPage: number): boolean {
    return this.linPages.has(linPage) || this.hostPages.has(hostPage);
  }
}

function accessMatches(a: WatchAccess, write: boolean): boolean {
  return a === 'readWrite' || (a === 'write') === write;
}

function hex8(n: number): string {
  return '0x' + (n >>> 0).toString(16).padStart(8, '0');
}
