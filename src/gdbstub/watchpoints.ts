// gdb's watchpoints (Z2 write, Z3 read, Z4 access) as the VM's data breakpoints on guest-virtual
// ranges (Vm.setDataBreakpoints), and the stop-reply field (watch / rwatch / awatch) for a hit.
import type { DataBreakpointSpec, WatchAccess } from '../core/debug/dataBreakpoints';

export type WatchType = '2' | '3' | '4';
const ACCESS: Record<WatchType, WatchAccess> = { 2: 'write', 3: 'read', 4: 'readWrite' };
const STOP_NAME: Record<WatchType, string> = { 2: 'watch', 3: 'rwatch', 4: 'awatch' };

export class GdbWatchpoints {
  private readonly list = new Map<string, { type: WatchType; spec: DataBreakpointSpec }>();
  private nextId = 1;

  get size(): number { return this.list.size; }

  /** Adds (or keeps) a watchpoint; returns its id. */
  add(type: WatchType, address: number, length: number): number {
    const key = `${type}:${address}:${length}`;
    const old = this.list.get(key);
    if (old) return old.spec.id;
    const id = this.nextId++;
    this.list.set(key, { type, spec: { id, space: 'gva', address, length, access: ACCESS[type] } });
    return id;
  }
  remove(type: WatchType, address: number, length: number): void { this.list.delete(`${type}:${address}:${length}`); }
  specs(): DataBreakpointSpec[] { return [...this.list.values()].map((w) => w.spec); }

  /** `watch:ADDR;` for a hit: the address inside the watched range, so gdb can tell which watchpoint it was. */
  stopField(hit: { id: number; linear: number }): string {
    for (const w of this.list.values()) {
      if (w.spec.id !== hit.id) continue;
      const a = Math.min(Math.max(hit.linear >>> 0, w.spec.address), w.spec.address + w.spec.length - 1);
      return `${STOP_NAME[w.type]}:${a.toString(16)};`;
    }
    return '';
  }
}
