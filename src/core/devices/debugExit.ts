// QEMU's isa-debug-exit device (iobase 0xf4, iosize 4): writing value v ends the VM with exit status
// (v << 1) | 1, so a guest can report its result to a script, and runs unchanged under QEMU with
// `-device isa-debug-exit,iobase=0xf4,iosize=0x04`.
import type { PortDevice } from './portBus';
import type { Snapshotable, StateReader, StateWriter } from '../time/stateIo';

export const DEBUG_EXIT_PORT = 0xf4;

export class DebugExit implements PortDevice, Snapshotable {
  readonly name = 'isa-debug-exit @0xf4';
  /** Exit status once written, else -1. */
  status = -1;
  readonly stateName = 'debugexit';
  saveState(w: StateWriter): void { w.begin(this.stateName, 1); w.f64(this.status); }
  loadState(r: StateReader): void { r.begin(this.stateName, 1); this.status = r.f64(); }
  portIn(): number { return -1; }
  portOut(_port: number, size: number, value: number): void {
    const v = size === 1 ? value & 0xff : size === 2 ? value & 0xffff : value >>> 0;
    this.status = ((v << 1) | 1) >>> 0;
  }
}
