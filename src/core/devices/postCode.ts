// Port 0x80, the POST-code port: firmware and test ROMs write progress codes there (a POST card shows
// the last one). Kept as data: the last value and how many were written. Reads return the last value.
import type { PortDevice } from './portBus';
import type { Snapshotable, StateReader, StateWriter } from '../time/stateIo';

export const POST_PORT = 0x80;

export class PostCode implements PortDevice, Snapshotable {
  readonly name = 'POST code @0x80';
  readonly stateName = 'post';
  last = -1;
  count = 0;
  portIn(): number { return this.last < 0 ? 0xff : this.last; }
  portOut(_port: number, size: number, value: number): void {
    this.last = size === 1 ? value & 0xff : size === 2 ? value & 0xffff : value >>> 0;
    this.count++;
  }
  saveState(w: StateWriter): void { w.begin(this.stateName, 1); w.i32(this.last); w.f64(this.count); }
  loadState(r: StateReader): void { r.begin(this.stateName, 1); this.last = r.i32(); this.count = r.f64(); }
}
