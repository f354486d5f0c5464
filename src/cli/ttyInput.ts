// Interactive COM1 input when stdin is a terminal (`vmm-debug run` in a shell): the terminal goes
// into raw mode so each key reaches the guest at once (the guest echoes), and, as in QEMU's
// `-serial stdio`, Ctrl-A is the escape: Ctrl-A x quits, Ctrl-A Ctrl-A sends one Ctrl-A, Ctrl-A
// then anything else sends both. Input still goes through Vm.serialInput (the input log).
export const CTRL_A = 0x01;

/** Splits terminal bytes into guest input and the quit request (stateful across chunks). */
export class TtyEscape {
  private pending = false;
  constructor(private readonly toGuest: (b: Uint8Array) => void, private readonly quit: () => void) {}

  feed(chunk: Uint8Array): void {
    const out: number[] = [];
    for (const b of chunk) {
      if (this.pending) {
        this.pending = false;
        if (b === 0x78 || b === 0x58) { this.flush(out); this.quit(); return; } // x / X
        if (b === CTRL_A) { out.push(CTRL_A); continue; }
        out.push(CTRL_A, b);
        continue;
      }
      if (b === CTRL_A) { this.pending = true; continue; }
      out.push(b);
    }
    this.flush(out);
  }

  private flush(out: number[]): void { if (out.length) this.toGuest(Uint8Array.from(out)); }
}

/** Raw mode on stdin while the VM runs; returns the function that restores the terminal. */
export function startTtyInput(stdin: NodeJS.ReadStream, esc: TtyEscape, note: (line: string) => void): () => void {
  const onData = (d: Buffer): void => esc.feed(d);
  stdin.setRawMode(true);
  stdin.on('data', onData);
  note('vmm-debug: COM1 is this terminal (Ctrl-A x quits)');
  return () => { stdin.off('data', onData); stdin.setRawMode(false); stdin.pause(); };
}
