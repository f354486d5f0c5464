// The PC's two IDE channels (primary 0x1F0-0x1F7 / 0x3F6 on IRQ 14, secondary 0x170-0x177 / 0x376 on
// IRQ 15) with up to four disks in the usual order: primary master, primary slave, secondary master,
// secondary slave. 0x3F7 / 0x377 stay free (they belong to the floppy controller on a PC).
import type { PortBus } from './portBus';
import { IDE_PRIMARY, IDE_SECONDARY, IdeChannel } from './ide';
import type { IdeDisk } from './ideDisk';

export function attachIde(ports: PortBus, setIrq: (irq: number, level: boolean) => void, disks: IdeDisk[]): [IdeChannel, IdeChannel] {
  const at = (k: number): IdeDisk | null => disks[k] ?? null;
  const chans: [IdeChannel, IdeChannel] = [
    new IdeChannel(0, IDE_PRIMARY, at(0), at(1), (l) => setIrq(IDE_PRIMARY.irq, l)),
    new IdeChannel(1, IDE_SECONDARY, at(2), at(3), (l) => setIrq(IDE_SECONDARY.irq, l)),
  ];
  for (const c of chans) {
    ports.register(c, c.ports.base, 8);
    ports.register(c, c.ports.ctrl, 1);
  }
  return chans;
}
