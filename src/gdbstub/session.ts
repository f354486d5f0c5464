// One gdb connection driving one VM: the RSP commands (qSupported, g/G, p/P, m/M/X, Z/z, s/c,
// vCont, threads = vCPUs, qRcmd monitor, bs/bc reverse execution). Transport-free: bytes in through
// receive(), bytes out through hooks.send, so tests can drive it without a socket.
import type { Vm } from '../core/machine/vm';
import type { StopEvent } from '../core/debug/debugApi';
import { frame, MAX_PACKET, RspParser, textToHex, toHex } from './packets';
import { TARGET_XML } from './targetXml';
import { gPacket, pPacket, writeAllPacket, writeRegisterPacket } from './registers';
import { monitorCommand } from './monitor';
import { stopReply, threadId } from './stopReply';
import { GdbWatchpoints, type WatchType } from './watchpoints';

export type GdbEnd = 'detach' | 'kill';

export interface GdbSessionHooks {
  send(bytes: Buffer): void;
  /** gdb detached (D) or killed the target (k, vKill); the transport should close the connection. */
  end(how: GdbEnd): void;
}

export interface GdbSessionOptions {
  /** Instructions per run slice between checks for gdb's interrupt (^C). */
  slice?: number;
  /** gdb resumed the VM (c, s, vCont, bc, bs): another front end sharing the VM (the DAP session's gdbPort) shows it running. */
  onRunStart?: () => void;
  /** gdb's run ended: the stop reported to gdb, or null when the connection closed mid-run. */
  onRunEnd?: (s: StopEvent | null) => void;
}

const E_BADARG = 'E01';
const E_FAULT = 'E0e';
/** Packets gdb may send while the VM runs that the stub keeps for after the stop (gdb should not send any). */
const MAX_QUEUED = 64;

const yieldToEvents = (): Promise<void> => new Promise((r) => setImmediate(r));

export class GdbSession {
  private readonly parser = new RspParser();
  private noAck = false;
  private lastSent: Buffer | null = null;
  private running = false;
  private interrupt = false;
  private closed = false;
  private readonly queue: Buffer[] = [];
  /** vCPU for g/m/p (Hg) and for step/continue (Hc). */
  private gVcpu = 0;
  private cVcpu = 0;
  private readonly breakpoints = new Map<string, Set<number>>([['0', new Set()], ['1', new Set()]]);
  private readonly watches = new GdbWatchpoints();
  private last: StopEvent;
  private readonly slice: number;
  /** The VM's final stop (exited / shutdown) once gdb saw it. */
  finalStop: StopEvent | null = null;

  constructor(private readonly vm: Vm, private readonly hooks: GdbSessionHooks, private readonly opts: GdbSessionOptions = {}) {
    this.slice = opts.slice ?? 200_000;
    this.last = { kind: 'entry', vcpu: 0 };
  }

  /** The transport went away: stop any run in progress at its next slice. */
  close(): void { this.closed = true; this.interrupt = true; }

  get busy(): boolean { return this.running; }
  /** Interrupt a gdb-driven run from outside (the DAP session's pause), as gdb's ^C does. */
  requestInterrupt(): void { if (this.running) this.interrupt = true; }

  receive(chunk: Uint8Array): void {
    for (const ev of this.parser.feed(chunk)) {
      switch (ev.kind) {
        case 'ack': break;
        case 'nack': if (this.lastSent && !this.noAck) this.hooks.send(this.lastSent); break;
        case 'interrupt': if (this.running) this.interrupt = true; break;
        case 'bad': if (!this.noAck) this.hooks.send(Buffer.from('-')); break;
        case 'packet':
          if (!this.noAck) this.hooks.send(Buffer.from('+'));
          if (this.running) { if (this.queue.length < MAX_QUEUED) this.queue.push(ev.data); } else this.dispatch(ev.data);
          break;
      }
    }
  }

  private reply(payload: string | Buffer): void {
    if (this.closed) return;
    const f = frame(payload);
    this.lastSent = f;
    this.hooks.send(f);
  }
  private console(text: string): void {
    for (let k = 0; k < text.length; k += 512) this.reply('O' + textToHex(text.slice(k, k + 512)));
  }

  private dispatch(data: Buffer): void {
    const p = data.toString('latin1');
    let r: string | undefined;
    try {
      r = this.handle(p, data);
    } catch (e) {
      // A bad request must not take the stub down: the client gets an error reply.
      // (No O packet: gdb takes console output only while the target runs or in reply to qRcmd.)
      r = E_BADARG;
    }
    if (r !== undefined) this.reply(r);
  }

  /** Returns the reply, or undefined when the reply comes later (run) or not at all. */
  private handle(p: string, raw: Buffer): string | undefined {
    const c = p[0];
    switch (c) {
      case '?': return this.stopPacket(this.last);
      case 'g': return gPacket(this.vm, this.gVcpu);
      case 'G': return this.ok(writeAllPacket(this.vm, this.gVcpu, p.slice(1)));
      case 'p': {
        const n = parseHex(p.slice(1));
        return n === undefined ? E_BADARG : pPacket(this.vm, this.gVcpu, n) ?? E_BADARG;
      }
      case 'P': {
        const m = /^P([0-9a-fA-F]+)=([0-9a-fA-F]*)$/.exec(p);
        return m ? this.ok(writeRegisterPacket(this.vm, this.gVcpu, parseInt(m[1], 16), m[2])) : E_BADARG;
      }
      case 'm': return this.readMem(p);
      case 'M': return this.writeMemHex(p);
      case 'X': return this.writeMemBinary(raw);
      case 'Z': case 'z': return this.breakpoint(p);
      case 'H': return this.setThread(p);
      case 'T': { const v = parseThread(p.slice(1)); return v !== undefined && v >= 0 && v < this.vm.vcpuCount ? 'OK' : E_BADARG; }
      case 's': return this.stepThen(this.cVcpu, p.length > 1 ? p.slice(1) : undefined);
      case 'c': return this.continueThen(p.length > 1 ? p.slice(1) : undefined);
      case 'v': return this.vPacket(p);
      case 'q': case 'Q': return this.query(p);
      case 'b': return this.reverse(p);
      case 'D': this.reply('OK'); this.hooks.end('detach'); return undefined;
      case 'k': this.hooks.end('kill'); return undefined;
      default: return ''; // unsupported: the empty reply
    }
  }

  private ok(err: string | undefined): string {
    return err === undefined ? 'OK' : E_BADARG;
  }

  /** The stop reply; its console text (an O packet) only where gdb accepts one: in reply to a resume. */
  private stopPacket(s: StopEvent, extra = '', resumed = false): string {
    const r = stopReply(s, extra);
    if (r.console && resumed) this.console(r.console);
    return r.packet;
  }

  private report(s: StopEvent, extra = ''): void {
    if (s.kind === 'breakpoint' && s.watch) extra = this.watches.stopField(s.watch) + extra;
    this.last = s;
    this.gVcpu = s.vcpu;
    if (s.kind === 'exited' || s.kind === 'shutdown') this.finalStop = s;
    this.reply(this.stopPacket(s, extra, true));
  }

  // ------------------------------------------------------------------ memory
  private readMem(p: string): string {
    const m = /^m([0-9a-fA-F]+),([0-9a-fA-F]+)$/.exec(p);
    if (!m) return E_BADARG;
    const addr = parseInt(m[1], 16);
    const len = Math.min(parseInt(m[2], 16), MAX_PACKET / 2);
    if (!(addr <= 0xffffffff)) return E_FAULT;
    if (len === 0) return '';
    const { data } = this.vm.readMemory(this.gVcpu, 'gva', addr, Math.min(len, 0x100000000 - addr));
    return data.length ? toHex(data) : E_FAULT;
  }
  private writeMem(addr: number, bytes: Uint8Array): string {
    if (!(addr <= 0xffffffff) || addr + bytes.length > 0x100000000) return E_FAULT;
    if (bytes.length === 0) return 'OK';
    const r = this.vm.writeMemory(this.gVcpu, 'gva', addr, bytes);
    return r.written === bytes.length ? 'OK' : E_FAULT;
  }
  private writeMemHex(p: string): string {
    const m = /^M([0-9a-fA-F]+),([0-9a-fA-F]+):([0-9a-fA-F]*)$/.exec(p);
    if (!m || m[3].length % 2 || m[3].length / 2 !== parseInt(m[2], 16)) return E_BADARG;
    return this.writeMem(parseInt(m[1], 16), Buffer.from(m[3], 'hex'));
  }
  private writeMemBinary(raw: Buffer): string {
    const colon = raw.indexOf(0x3a);
    const m = colon > 0 ? /^X([0-9a-fA-F]+),([0-9a-fA-F]+)$/.exec(raw.subarray(0, colon).toString('latin1')) : null;
    if (!m) return E_BADARG;
    const bytes = raw.subarray(colon + 1);
    if (bytes.length !== parseInt(m[2], 16)) return E_BADARG;
    return this.writeMem(parseInt(m[1], 16), bytes);
  }

  // ------------------------------------------------------------------ breakpoints
  private breakpoint(p: string): string {
    const m = /^([Zz])([0-4]),([0-9a-fA-F]+),([0-9a-fA-F]+)(;.*)?$/.exec(p);
    if (!m) return E_BADARG;
    const addr = parseInt(m[3], 16);
    if (!(addr <= 0xffffffff)) return E_BADARG;
    if (m[2] >= '2') return this.watchpoint(m[1] === 'Z', m[2] as WatchType, addr, parseInt(m[4], 16));
    const set = this.breakpoints.get(m[2])!;
    if (m[1] === 'Z') set.add(addr); else set.delete(addr);
    this.vm.setInstructionBreakpoints([...new Set([...this.breakpoints.get('0')!, ...this.breakpoints.get('1')!])]);
    return 'OK';
  }

  /** Z2/Z3/Z4 (write / read / access watchpoints) as the VM's data breakpoints on guest-virtual ranges. */
  private watchpoint(insert: boolean, type: WatchType, addr: number, len: number): string {
    if (!(len >= 1 && len <= 0x10000)) return E_BADARG;
    if (!insert) { this.watches.remove(type, addr, len); this.vm.setDataBreakpoints(this.watches.specs()); return 'OK'; }
    const id = this.watches.add(type, addr, len);
    const errs = this.vm.setDataBreakpoints(this.watches.specs());
    const i = this.watches.specs().findIndex((w) => w.id === id);
    if (errs[i] !== undefined) { this.watches.remove(type, addr, len); this.vm.setDataBreakpoints(this.watches.specs()); return E_BADARG; }
    return 'OK';
  }

  // ------------------------------------------------------------------ threads
  private setThread(p: string): string {
    const op = p[1];
    const v = parseThread(p.slice(2));
    if ((op !== 'g' && op !== 'c') || v === undefined || v >= this.vm.vcpuCount) return E_BADARG;
    const vcpu = v < 0 ? 0 : v; // -1 (all) and 0 (any) pick vCPU 0
    if (op === 'g') this.gVcpu = vcpu; else this.cVcpu = vcpu;
    return 'OK';
  }

  // ------------------------------------------------------------------ execution
  private resumeAt(addr: string | undefined, vcpu: number): void {
    if (addr === undefined) return;
    const a = parseHex(addr);
    if (a === undefined) throw new Error(`bad resume address "${addr}"`);
    this.vm.writeRegister(vcpu, 'eip', a);
  }

  private stepThen(vcpu: number, addr?: string): undefined {
    if (this.finalStop) { this.report(this.finalStop); return undefined; }
    this.resumeAt(addr, vcpu);
    this.report(this.vm.step(vcpu));
    return undefined;
  }

  private continueThen(addr?: string): undefined {
    if (this.finalStop) { this.report(this.finalStop); return undefined; }
    this.resumeAt(addr, this.cVcpu);
    void this.runInSlices((budget) => this.vm.run(budget));
    return undefined;
  }

  /** Run in slices, answering gdb's ^C between them. */
  private async runInSlices(run: (budget: number) => StopEvent | null, extra?: () => string, onInterrupt?: () => StopEvent): Promise<void> {
    this.running = true;
    this.interrupt = false;
    let s: StopEvent | null = null;
    this.opts.onRunStart?.();
    try {
      for (;;) {
        s = run(this.slice);
        if (s) break;
        await yieldToEvents();
        if (this.closed) return;
        if (this.interrupt) { s = onInterrupt?.() ?? { kind: 'pause', vcpu: 0 }; break; }
      }
    } finally {
      this.running = false;
      this.opts.onRunEnd?.(this.closed ? null : s);
    }
    this.report(s, extra?.() ?? '');
    this.drainQueue();
  }

  private drainQueue(): void {
    while (this.queue.length && !this.running && !this.closed) this.dispatch(this.queue.shift()!);
  }

  private vPacket(p: string): string | undefined {
    if (p === 'vCont?') return 'vCont;c;C;s;S';
    if (p.startsWith('vCont;')) {
      const actions = p.slice(6).split(';').map((a) => {
        const [act, tid] = a.split(':');
        return { act: act.slice(0, 1), tid: tid === undefined ? -1 : parseThread(tid) };
      });
      if (actions.some((a) => !a.act || !'cCsS'.includes(a.act) || a.tid === undefined || a.tid >= this.vm.vcpuCount)) return E_BADARG;
      const step = actions.find((a) => a.act === 's' || a.act === 'S');
      if (step) return this.stepThen(step.tid! >= 0 ? step.tid! : this.cVcpu);
      return this.continueThen();
    }
    if (p.startsWith('vKill')) { this.reply('OK'); this.hooks.end('kill'); return undefined; }
    return ''; // vMustReplyEmpty, vFile, vRun...: not supported
  }

  // ------------------------------------------------------------------ reverse execution
  private get canReverse(): boolean { return this.vm.timeline !== null; }

  private reverse(p: string): string | undefined {
    if (p !== 'bs' && p !== 'bc') return '';
    if (!this.canReverse) return E_BADARG;
    const begin = (m?: string): string => (m && /start of recorded history/.test(m) ? 'replaylog:begin;' : '');
    if (p === 'bs') {
      const r = this.vm.stepBack(this.cVcpu);
      this.finalStop = null;
      this.report(r.stop.kind === 'entry' ? { kind: 'step', vcpu: r.stop.vcpu } : r.stop, begin(r.message));
      return undefined;
    }
    const search = this.vm.reverseSearch(this.cVcpu);
    this.finalStop = null;
    let result = search.result;
    const landed = (r: { stop: StopEvent }): StopEvent => (r.stop.kind === 'entry' ? { kind: 'step', vcpu: r.stop.vcpu } : r.stop);
    void this.runInSlices(() => {
      if (search.step()) result = search.result;
      return result ? landed(result) : null;
    }, () => begin(result?.message), () => { result = search.cancel(); return landed(result); });
    return undefined;
  }

  // ------------------------------------------------------------------ queries
  private query(p: string): string | undefined {
    if (p.startsWith('qSupported')) {
      const feats = [`PacketSize=${MAX_PACKET.toString(16)}`, 'qXfer:features:read+', 'QStartNoAckMode+', 'vContSupported+'];
      if (this.canReverse) feats.push('ReverseStep+', 'ReverseContinue+');
      return feats.join(';');
    }
    if (p === 'QStartNoAckMode') { this.reply('OK'); this.noAck = true; return undefined; }
    if (p === 'qAttached' || p.startsWith('qAttached:')) return '1';
    if (p === 'qC') return `QC${threadId(this.last.vcpu)}`;
    if (p === 'qfThreadInfo') return 'm' + Array.from({ length: this.vm.vcpuCount }, (_, k) => threadId(k)).join(',');
    if (p === 'qsThreadInfo') return 'l';
    if (p.startsWith('qThreadExtraInfo,')) {
      const v = parseThread(p.slice(17));
      return v !== undefined && v >= 0 && v < this.vm.vcpuCount ? textToHex(`vCPU ${v}`) : E_BADARG;
    }
    if (p.startsWith('qXfer:features:read:')) {
      const m = /^qXfer:features:read:([^:]*):([0-9a-fA-F]+),([0-9a-fA-F]+)$/.exec(p);
      if (!m) return E_BADARG;
      if (m[1] !== 'target.xml') return 'E00';
      const off = parseInt(m[2], 16);
      const len = Math.min(parseInt(m[3], 16), MAX_PACKET - 1);
      const chunk = TARGET_XML.slice(off, off + len);
      return (off + len >= TARGET_XML.length ? 'l' : 'm') + chunk;
    }
    if (p.startsWith('qRcmd,')) {
      const hex = p.slice(6);
      if (hex.length % 2 || !/^[0-9a-fA-F]*$/.test(hex)) return E_BADARG;
      this.console(monitorCommand(this.vm, this.gVcpu, Buffer.from(hex, 'hex').toString('utf8')));
      return 'OK';
    }
    if (p === 'qSymbol::') return 'OK';
    return '';
  }
}

function parseHex(s: string): number | undefined {
  return /^[0-9a-fA-F]{1,8}$/.test(s) ? parseInt(s, 16) : undefined;
}

/** A thread id → vCPU: -1 (all) and 0 (any) → -1, which callers map to vCPU 0; N → vCPU N - 1. */
function parseThread(s: string): number | undefined {
  if (s === '-1') return -1;
  if (s.startsWith('p')) s = s.slice(s.indexOf('.') + 1 || s.length); // multiprocess form p<pid>.<tid>
  const n = parseHex(s);
  if (n === undefined) return undefined;
  return n === 0 ? -1 : n - 1;
}
