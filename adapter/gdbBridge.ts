// launch.json `gdbPort`: the GDB remote stub (src/gdbstub) on 127.0.0.1 beside the DAP session, so
// GNU gdb can attach to the VM VS Code is debugging. One VM, one run state, two front ends:
//  - gdb resumes (c, s, vCont, reverse): a VS Code run in progress is halted first; VS Code gets a
//    `continued` event, and a `stopped` event (the same stop gdb reports) when gdb's run ends.
//  - VS Code's Pause while gdb runs interrupts gdb's run (gdb sees SIGINT, as after its own ^C).
//  - VS Code's continue / step while gdb runs is refused with a message; while gdb is attached and
//    stopped, VS Code may run the VM: gdb is not told (the remote protocol has no unsolicited stop in
//    all-stop mode), so gdb's register cache is stale until `maintenance flush register-cache`.
//  - Instruction breakpoints are the union of both sides' (each side sets only its own); a stop at
//    the other side's breakpoint is reported to whoever runs the VM (gdb: SIGTRAP).
import type { Vm } from '../src/core/machine/vm';
import type { StopEvent } from '../src/core/debug/debugApi';
import { startGdbServer, type GdbServer } from '../src/gdbstub/server';

export interface GdbBridgeHost {
  /** gdb is about to run the VM: halt a DAP run without a stop event, send `continued`. */
  gdbRunStarts(): void;
  /** gdb's run ended with `s` (null: gdb went away mid-run). */
  gdbRunEnded(s: StopEvent | null): void;
  /** Re-apply the instruction breakpoints (DAP's plus gdbBreakpoints). */
  applyBreakpoints(): void;
}

export class GdbBridge {
  private server: GdbServer | undefined;
  /** gdb's instruction breakpoints (Z0/Z1), kept apart from the DAP session's. */
  gdbBreakpoints: number[] = [];
  /** gdb is running the VM now. */
  running = false;

  constructor(private readonly host: GdbBridgeHost) {}

  get address(): string | undefined { return this.server ? `${this.server.host}:${this.server.port}` : undefined; }
  get attached(): boolean { return this.server?.attached ?? false; }

  async start(vm: Vm, port: number): Promise<string> {
    this.server = await startGdbServer(this.shared(vm), {
      port,
      keepListening: true,
      onRunStart: () => { this.running = true; this.host.gdbRunStarts(); },
      onRunEnd: (s) => { this.running = false; this.host.gdbRunEnded(s); },
    });
    return this.address!;
  }

  /** VS Code's Pause while gdb runs: interrupt gdb's run. */
  interrupt(): void { this.server?.interrupt(); }

  dispose(): void {
    void this.server?.close();
    this.server = undefined;
  }

  /** The VM as gdb's session sees it: the same object, except that its breakpoints merge with the DAP session's. */
  private shared(vm: Vm): Vm {
    return new Proxy(vm, {
      get: (target, prop) => {
        if (prop === 'setInstructionBreakpoints') {
          return (addresses: number[]) => { this.gdbBreakpoints = [...addresses]; this.host.applyBreakpoints(); };
        }
        const v: unknown = Reflect.get(target, prop, target);
        return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
      },
    });
  }
}
