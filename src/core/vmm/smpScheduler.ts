// The deterministic vCPU scheduler (invariant 1). Each vCPU is its own logical processor (own Cpu,
// VmxCpu and VMCS); the host runs them one at a time, round-robin, in quanta of retired guest
// instructions (default DEFAULT_QUANTUM, launch `quantum` / CLI `--quantum`). A vCPU's turn ends early
// when it blocks (halted with nothing to deliver, or waiting for SIPI). Queued INIT / SIPI signals are
// delivered at the start of the target's turn. When every vCPU is blocked, virtual time skips to the
// next device deadline that can wake one of them (QEMU's icount warp); with none, the VM is idle for
// good. The schedule depends only on retired-instruction counts and guest events, never on how the
// caller slices run(budget) calls: the position in the current quantum is state (saved by
// time/smpState.ts), so time travel replays it exactly. At the start of each turn the VMM services
// due device deadlines and kicks the vCPU if its VMX-preemption timer would fire too late.
import type { Vmm } from './vmm';
import type { VCpu } from './vcpu';
import type { StopEvent } from '../debug/debugApi';
import { VMCS } from '../hw/vmx/vmcsFields';
import { ACTIVITY_WAIT_SIPI } from './irqInjection';

/** Instructions a vCPU runs before the next one gets its turn. */
export const DEFAULT_QUANTUM = 1000;
/** Idle skips in a row without any vCPU waking before the VM is declared idle for good (a guard). */
const MAX_IDLE_SKIPS = 10_000;

export class SmpScheduler {
  /** The vCPU whose turn it is, and how many instructions it has retired in this turn. */
  current = 0;
  used = 0;
  /** Which vCPU the last run/step ended on (the debugger's "thread that stopped"). */
  lastVcpu = 0;

  constructor(private readonly vmm: Vmm, public quantum = DEFAULT_QUANTUM) {}

  private total(): number { let n = 0; for (const v of this.vmm.vcpus) n += v.cpu.icount; return n; }

  private next(): void {
    this.current = (this.current + 1) % this.vmm.vcpus.length;
    this.used = 0;
  }

  /** Whether a blocked vCPU could be woken by the clock line `irq`. */
  private wakeable(v: VCpu, irq: number): boolean {
    if (!v.irq || v.vmcs.read(VMCS.GUEST_ACTIVITY_STATE) === ACTIVITY_WAIT_SIPI) return false;
    return (v.vmcs.read(VMCS.GUEST_RFLAGS) & 0x200) !== 0 && v.irq.canAccept(irq);
  }

  private idleForGood(): StopEvent {
    return { kind: 'shutdown', vcpu: 0, text: `all ${this.vmm.vcpus.length} vCPUs are halted or waiting for SIPI and no device can raise an interrupt: the VM is idle for good` };
  }

  /**
   * Timers at the start of a turn: the other vCPUs advanced virtual time, so deadlines may have passed
   * (run them: the VMM's own timer work, in root operation) or come closer than the VMX-preemption
   * timer `v` was entered with; if the event can interrupt `v`, kick it (it exits, reason 1, and re-enters with the right timer and
   * any interrupt injected). Keeps device interrupts within a few instructions of their deadline.
   */
  private syncTimers(v: VCpu): void {
    const clock = this.vmm.clock;
    clock.runDue();
    if (!v.inGuest || v.pendingExit) return;
    const irq = v.irq;
    const d = irq ? clock.nextDeadline((line) => irq.canAccept(line)) : clock.nextDeadline();
    if (d === Infinity) return;
    const due = v.cpu.icount + Math.max(0, d - clock.now());
    if (v.vmx.preemptAt > due + 32) v.vmx.kick();
  }

  /** One turn-sized slice of `v`: deliver its signals, then run it for at most `n` instructions. */
  private turn(v: VCpu, n: number): StopEvent | null {
    if (this.used === 0) this.syncTimers(v);
    for (let k = 0; k < 4; k++) {
      const sig = this.vmm.deliverSignals(v);
      if (sig) return sig;
      v.blocked = false;
      const s = this.vmm.run(v, n);
      if (s) return s;
      // INIT then SIPI queued together: the INIT exit left it waiting; take the SIPI now.
      if (!(v.blocked && (v.pendingInit || v.pendingSipi >= 0))) return null;
    }
    return null;
  }

  /**
   * A turn that retires nothing: `v`'s turn start (timers, signals) and VM entry, then, if the processor
   * it entered is not active (waiting for SIPI), what running it would find (cpu.run checks the activity
   * state before any instruction, so the one-instruction run executes nothing).
   */
  private settle(v: VCpu): StopEvent | null {
    const s = this.turn(v, 0);
    if (s || v.blocked || !v.inGuest || v.pendingExit || v.cpu.activity === 0) return s;
    return this.vmm.run(v, 1);
  }

  /**
   * Run all vCPUs for up to `budget` instructions in total. Returns a stop, or null when the budget ran out.
   * The budget ends only where the next instruction is about to execute: the work that retires nothing
   * (the next turn's timers and signals, a blocked vCPU's turn, an idle skip, the VM entry that injects)
   * is done first, as a breakpoint there would see it. One state per instruction count, however the
   * run is sliced or stepped (ADR 0014, docs/adr/0018); the schedule itself is unchanged.
   */
  run(budget: number): StopEvent | null {
    const vcpus = this.vmm.vcpus, n = vcpus.length;
    const start = this.total();
    let blockedInARow = 0, idleSkips = 0;
    for (;;) {
      const done = this.total() - start;
      const v = vcpus[this.current];
      const before = v.cpu.icount;
      this.lastVcpu = v.id;
      // Budget spent: a zero-instruction turn (enters, retires nothing) to reach the next instruction.
      const s = done >= budget ? this.settle(v) : this.turn(v, Math.min(this.quantum - this.used, budget - done));
      const ran = v.cpu.icount - before;
      this.used += ran;
      if (s) return s;
      if (ran > 0) { blockedInARow = 0; idleSkips = 0; }
      if (v.blocked && ran === 0) blockedInARow++;
      if (v.blocked || this.used >= this.quantum) this.next();
      else if (this.total() - start >= budget) return null; // `v` is in the guest, its next instruction not begun
      if (blockedInARow >= n) {
        // Every vCPU is blocked: skip to the next deadline that can wake one of them.
        blockedInARow = 0;
        const clock = this.vmm.clock;
        const t = clock.nextDeadline((irq) => vcpus.some((x) => this.wakeable(x, irq)));
        if (t === Infinity || ++idleSkips > MAX_IDLE_SKIPS) return this.idleForGood();
        clock.advanceTo(t);
        clock.runDue();
      }
    }
  }

  /**
   * Step: run the schedule one instruction at a time until vCPU `id` has retired one (the other vCPUs
   * run their turns meanwhile, as they would in a continuous run, so stepping never changes the
   * schedule). Gives up after `limit` instructions of the others (vCPU `id` blocked).
   */
  step(id: number, limit = 1_000_000): StopEvent {
    const v = this.vmm.vcpus[id];
    const start = v.cpu.icount;
    for (let k = 0; k < limit; k++) {
      const s = this.run(1);
      if (s) return s;
      if (v.cpu.icount !== start) return { kind: 'step', vcpu: id };
    }
    return { kind: 'step', vcpu: id };
  }
}
