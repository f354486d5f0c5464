// Port 0xE9, the Bochs/QEMU debug console (QEMU `-debugcon`, `isa-debugcon`): every byte written
// goes to HostServices.debugConsoleOut; a read returns 0xE9 so a guest can detect the port.
import type { PortDevice } from './portBus';
import type { Snapshotable, StateReader, StateWriter } from '../time/stateIo';

export const DEBUGCON_PORT = 0xe9;

export class DebugCon implements PortDevice, Snapshotable {
  readonly name = 'debug console @0xe9';
  readonly stateName = 'debugcon';
  /** Bytes written (output itself goes to the host, not into the state). */
  bytes = 0;
  private readonly one = new Uint8Array(1);
  constructor(private readonly out: (bytes: Uint8Array) => void) {}
  portIn(): number { return DEBUGCON_PORT; }
  portOut(_port: number, _size: number, value: number): void {
    this.one[0] = value & 0xff;
    this.bytes++;
    this.out(this.one);
  }
  saveState(w: StateWriter): void { w.begin(this.stateName, 1); w.f64(this.bytes); }
  loadState(r: StateReader): void { r.begin(this.stateName, 1); this.bytes = r.f64(); }
}
