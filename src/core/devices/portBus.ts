// The I/O port bus: device models claim port ranges; the VMM's I/O-exit handler routes accesses here.
// A read from an unclaimed port returns all ones (an ISA bus with nothing driving it), a write is dropped.
export interface PortDevice {
  readonly name: string;
  portIn(port: number, size: number): number;
  portOut(port: number, size: number, value: number): void;
}

export class PortBus {
  private readonly map = new Array<PortDevice | undefined>(0x10000);
  readonly devices: PortDevice[] = [];
  /** Sees every access with its value (the CLI's `--trace io`); null when nobody listens. */
  tap: ((port: number, size: number, isIn: boolean, value: number) => void) | null = null;

  register(dev: PortDevice, first: number, count: number): void {
    for (let p = first; p < first + count; p++) {
      if (this.map[p]) throw new Error(`port 0x${p.toString(16)} claimed by ${this.map[p]!.name} and ${dev.name}`);
      this.map[p] = dev;
    }
    if (!this.devices.includes(dev)) this.devices.push(dev);
  }

  deviceAt(port: number): PortDevice | undefined { return this.map[port & 0xffff]; }

  portIn(port: number, size: number): number {
    const d = this.map[port & 0xffff];
    const v = d ? d.portIn(port & 0xffff, size) : size === 1 ? 0xff : size === 2 ? 0xffff : -1;
    if (this.tap) this.tap(port & 0xffff, size, true, v);
    return v;
  }
  portOut(port: number, size: number, value: number): void {
    if (this.tap) this.tap(port & 0xffff, size, false, value);
    this.map[port & 0xffff]?.portOut(port & 0xffff, size, value);
  }
}
