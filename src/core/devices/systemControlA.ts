// Port 0x92, System Control Port A ("fast A20", PS/2 and every PC chipset since): bit 0 = alternate
// fast reset (a 0 -> 1 transition resets the processor), bit 1 = alternate A20 gate, bit 3 = CMOS
// security lock (kept, unused), bits 6/7 = fixed-disk activity lights (kept, unused). Reads return the
// last value written (Intel ICH/PIIX4 datasheets, "Port 92h"; QEMU hw/i386/port92.c). The chipset ORs
// bit 1 with the 8042's A20GATE output: A20M# is asserted only when both are 0 (see PcPlatform.a20).
import type { PortDevice } from './portBus';
import type { Snapshotable, StateReader, StateWriter } from '../time/stateIo';

export const PORT92 = 0x92;

export class SystemControlA implements PortDevice, Snapshotable {
  readonly name = 'system control port A (fast A20) @0x92';
  readonly stateName = 'port92';
  /** Last value written; power-up 0 (alternate A20 off, so the 8042's gate decides). */
  value = 0;

  /** `changed` runs after every write that flips bit 1; `reset` on a 0 -> 1 edge of bit 0; `restored` after loadState. */
  constructor(private readonly changed: () => void, private readonly reset: () => void, private readonly restored: () => void = () => undefined) {}

  get a20(): boolean { return (this.value & 2) !== 0; }

  portIn(): number { return this.value; }
  portOut(_port: number, _size: number, v: number): void {
    const old = this.value;
    this.value = v & 0xff;
    if ((old ^ this.value) & 2) this.changed();
    if ((this.value & 1) && !(old & 1)) this.reset();
  }

  saveState(w: StateWriter): void { w.begin(this.stateName, 1); w.u32(this.value); }
  loadState(r: StateReader): void { r.begin(this.stateName, 1); this.value = r.u32(); this.restored(); }
}
