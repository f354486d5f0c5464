// The GDB remote stub over TCP, bound to the loopback interface only (like QEMU's -gdb tcp:127.0.0.1:PORT).
// One gdb at a time: a second connection while one is active is refused (closed).
import * as net from 'node:net';
import type { Vm } from '../core/machine/vm';
import type { StopEvent } from '../core/debug/debugApi';
import { GdbSession, type GdbEnd } from './session';

export const LOOPBACK = '127.0.0.1';

/** How a gdb session ended: detach / kill from gdb, or the connection closed. */
export interface GdbSessionEnd { how: GdbEnd | 'disconnect'; finalStop: StopEvent | null; }

export interface GdbServer {
  readonly host: string;
  readonly port: number;
  /** Resolves when the first gdb session ends (the CLI then runs on, or exits). */
  readonly firstSession: Promise<GdbSessionEnd>;
  /** Resolves once a gdb has connected. */
  readonly connected: Promise<void>;
  close(): Promise<void>;
  /** Interrupt the connected gdb's run, if any (as its ^C would). */
  interrupt(): void;
  /** A gdb is connected. */
  readonly attached: boolean;
}

export class GdbAddressError extends Error { override name = 'GdbAddressError'; }

/** "127.0.0.1:1234", "localhost:1234" or ":1234" / "1234" → port on 127.0.0.1. Other hosts are refused. */
export function parseGdbAddress(spec: string): { host: string; port: number } {
  const m = /^(?:(.*):)?(\d{1,5})$/.exec(spec.trim());
  if (!m) throw new GdbAddressError(`--gdb needs HOST:PORT (e.g. 127.0.0.1:1234), got "${spec}"`);
  const host = m[1] ?? LOOPBACK;
  if (host !== '' && host !== LOOPBACK && host !== 'localhost') {
    throw new GdbAddressError(`--gdb: the GDB server listens on the loopback interface only (127.0.0.1), got host "${host}"`);
  }
  const port = Number(m[2]);
  if (port > 65535) throw new GdbAddressError(`--gdb: port must be 0-65535, got ${port}`);
  return { host: LOOPBACK, port };
}

export interface GdbServerOptions {
  port: number;
  /** Instructions per run slice (between checks for ^C). */
  slice?: number;
  /** Keep listening after a session ends (tests, long-running servers). Default: stop after the first. */
  keepListening?: boolean;
  /** Run notifications for another front end sharing the VM (GdbSessionOptions). */
  onRunStart?: () => void;
  onRunEnd?: (s: StopEvent | null) => void;
}

export function startGdbServer(vm: Vm, opts: GdbServerOptions): Promise<GdbServer> {
  let endFirst!: (e: GdbSessionEnd) => void;
  const firstSession = new Promise<GdbSessionEnd>((r) => { endFirst = r; });
  let onConnect!: () => void;
  const connected = new Promise<void>((r) => { onConnect = r; });
  let active: net.Socket | null = null;
  let activeSession: GdbSession | null = null;
  const server = net.createServer((sock) => {
    if (active) { sock.destroy(); return; }
    active = sock;
    onConnect();
    sock.setNoDelay(true);
    let how: GdbEnd | 'disconnect' = 'disconnect';
    const session = new GdbSession(vm, {
      send: (b) => { if (!sock.destroyed) sock.write(b); },
      end: (h) => { how = h; sock.end(); },
    }, { slice: opts.slice, onRunStart: opts.onRunStart, onRunEnd: opts.onRunEnd });
    activeSession = session;
    sock.on('data', (d) => session.receive(d));
    sock.on('error', () => undefined);
    sock.on('close', () => {
      session.close();
      active = null;
      activeSession = null;
      endFirst({ how, finalStop: session.finalStop });
      if (!opts.keepListening) server.close();
    });
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, LOOPBACK, () => {
      server.off('error', reject);
      const a = server.address() as net.AddressInfo;
      resolve({
        host: a.address, port: a.port, firstSession, connected,
        close: () => new Promise<void>((r) => { active?.destroy(); server.close(() => r()); if (!server.listening) r(); }),
        interrupt: () => activeSession?.requestInterrupt(),
        get attached() { return activeSession !== null; },
      });
    });
  });
}
