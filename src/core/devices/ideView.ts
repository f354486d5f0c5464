// The IDE channels for the debugger's Devices view: task file, status, transfer, and per drive the
// disk, its geometry and how many sectors the guest wrote into the copy-on-write overlay.
import type { FieldView, GroupView } from '../debug/debugApi';
import type { IdeChannel } from './ide';

const hex = (v: number): string => '0x' + (v >>> 0).toString(16).padStart(2, '0');
const f = (name: string, value: number, text?: string, detail?: string): FieldView => ({ name, value, text: text ?? hex(value), detail });

export function ideViews(channels: IdeChannel[]): GroupView[] {
  return channels.filter((c) => c.hasDrives).map((c) => ({
    name: `${c.name} (IRQ ${c.ports.irq})`,
    fields: [
      f('status', c.portIn(c.ports.ctrl, 1), undefined, 'alternate status (BSY DRDY DF DSC DRQ . . ERR)'),
      f('device/head', c.device), f('sector count', c.count), f('LBA low/mid/high', (c.lbaHigh << 16) | (c.lbaMid << 8) | c.lbaLow, hex((c.lbaHigh << 16) | (c.lbaMid << 8) | c.lbaLow)),
      f('device control', c.devCtl, undefined, 'nIEN (bit 1), SRST (bit 2)'), f('INTRQ', c.intrq ? 1 : 0, c.intrq ? 'asserted' : 'clear'),
      f('PIO transfer', c.xfer, c.xfer === 0 ? 'idle' : `${c.xfer === 1 ? 'in' : 'out'}: ${c.bufLen - c.bufPos} bytes left in the block, ${c.xferLeft} sectors after it`),
      f('commands', c.commands, String(c.commands)),
      ...c.drives.flatMap((d, k) => d.disk ? [f(k ? 'slave' : 'master', d.disk.sectors, `${d.disk.name}: ${d.disk.sectors} sectors, CHS ${d.disk.chs.cylinders}/${d.disk.chs.heads}/${d.disk.chs.sectors}, ${d.disk.overlay.size} written (overlay)`)] : []),
    ],
  }));
}
