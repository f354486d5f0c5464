// The RSP (GDB stub) and DAP servers get random and malformed messages: each gets an error response
// or is ignored as its protocol says, the server stays up (a following valid request is answered),
// and both listen on the loopback interface only.
import { strict as assert } from 'node:assert';
import * as cp from 'node:child_process';
import * as net from 'node:net';
import { Rng } from '../diff/rng';
import { startGdbServer, type GdbServer } from '../../src/gdbstub/server';
import { frame } from '../../src/gdbstub/packets';
import { bootFixture, forSeeds, seeds } from './fuzzConfig';
import { ADAPTER } from '../dap/helpers';

/** A raw TCP client that collects everything the server sends. */
class Raw {
  private buf = '';
  private waiters: (() => void)[] = [];
  constructor(readonly sock: net.Socket) {
    sock.on('data', (d) => { this.buf += d.toString('latin1'); this.waiters.splice(0).forEach((w) => w()); });
    sock.on('error', () => undefined);
  }
  static connect(port: number): Promise<Raw> {
    return new Promise((resolve, reject) => {
      const s = net.connect(port, '127.0.0.1', () => resolve(new Raw(s)));
      s.once('error', reject);
    });
  }
  send(data: string | Buffer): void { this.sock.write(typeof data === 'string' ? Buffer.from(data, 'latin1') : data); }
  /** Wait until the received text matches `re`; returns the match and consumes through it. */
  async expect(re: RegExp, ms = 10_000): Promise<RegExpExecArray> {
    const end = Date.now() + ms;
    for (;;) {
      const m = re.exec(this.buf);
      if (m) { this.buf = this.buf.slice(m.index + m[0].length); return m; }
      if (Date.now() > end) throw new Error(`timed out waiting for ${re}; got ${JSON.stringify(this.buf.slice(-300))}`);
      await new Promise<void>((r) => { const t = setTimeout(r, 50); this.waiters.push(() => { clearTimeout(t); r(); }); });
    }
  }
  take(): string { const b = this.buf; this.buf = ''; return b; }
}

/** Random RSP traffic: framed garbage, bad checksums, unknown and truncated packets, huge packets. */
function randomRsp(rng: Rng): Buffer {
  const cmds = ['g', 'G', 'p', 'P', 'm', 'M', 'X', 'Z', 'z', 'H', 'T', 'q', 'Q', 'v', 'b', '?', 'x', 'Y', 'qRcmd,', 'qXfer:features:read:', 'vCont;', 'qThreadExtraInfo,'];
  const printable = (n: number): string => Array.from({ length: n }, () => String.fromCharCode(0x20 + rng.int(0x5e))).join('').replace(/[$#}*]/g, 'a');
  switch (rng.int(6)) {
    case 0: return Buffer.from(Array.from({ length: rng.int(64) }, () => rng.u32() & 0xff).filter((b) => b !== 3)); // raw noise (no ^C)
    case 1: { const f = frame(rng.pick(cmds) + printable(rng.int(40))); f[f.length - 1] = f[f.length - 1] === 0x30 ? 0x31 : 0x30; return f; } // bad checksum
    case 2: return Buffer.from(`$${printable(20 + rng.int(20000))}#00`, 'latin1'); // huge, bad checksum
    case 3: return Buffer.from(`$${rng.pick(cmds)}${printable(rng.int(30))}#zz`, 'latin1'); // non-hex checksum
    // Well-framed packets with random arguments: never k, D or vKill (they end the session by design),
    // never c/s/bc/bs (they run the VM; covered by the gdb tests).
    default: {
      let p = rng.pick(cmds) + printable(rng.int(40));
      if (/^(k|D|vKill|c|s|b[cs]|vCont;)/.test(p)) p = 'qUnknown' + p;
      return frame(p);
    }
  }
}

describe('fuzz: RSP server (GDB stub)', function () {
  this.timeout(120_000);
  let server: GdbServer | undefined;
  afterEach(async () => { await server?.close(); server = undefined; });

  it('binds 127.0.0.1 only and answers the basics', async () => {
    server = await startGdbServer(bootFixture('hello'), { port: 0, keepListening: true });
    assert.equal(server.host, '127.0.0.1');
    const c = await Raw.connect(server.port);
    c.send(frame('qSupported:multiprocess+;swbreak+'));
    const sup = await c.expect(/\$([^#]*)#[0-9a-f]{2}/);
    assert.match(sup[1], /PacketSize=4000/);
    assert.match(sup[1], /qXfer:features:read\+/);
    c.send('+' + frame('?').toString('latin1'));
    assert.match((await c.expect(/\$([^#]*)#/))[1], /^T05thread:1;$/);
    c.send('+' + frame('qXfer:features:read:target.xml:0,fff').toString('latin1'));
    assert.match((await c.expect(/\$([^#]*)#/))[1], /^l<\?xml.*org\.gnu\.gdb\.i386\.core/s);
    c.send('+' + frame('qXfer:features:read:other.xml:0,fff').toString('latin1'));
    assert.equal((await c.expect(/\$([^#]*)#/))[1], 'E00');
    c.send('+');
    c.sock.destroy();
  });

  it('^C (0x03) interrupts a continue with a SIGINT stop', async () => {
    server = await startGdbServer(bootFixture('cpuloop', 32), { port: 0, slice: 20_000 });
    const c = await Raw.connect(server.port);
    c.send(frame('QStartNoAckMode'));
    await c.expect(/\$OK#9a/);
    c.send('+' + frame('c').toString('latin1'));
    await new Promise((r) => setTimeout(r, 100));
    c.send(Buffer.from([3]));
    assert.match((await c.expect(/\$([^#]*)#/))[1], /^T02thread:1;$/);
    c.send(frame('g'));
    assert.equal((await c.expect(/\$([0-9a-f]*)#/))[1].length, 2 * (16 * 4 + 8 * 10 + 8 * 4));
    c.sock.destroy();
  });

  it('random and malformed packets get "-", an error or an empty reply; the stub stays up (seeded)', async () => {
    server = await startGdbServer(bootFixture('hello'), { port: 0, keepListening: true });
    const cases = seeds(5, 30);
    const c = await Raw.connect(server.port);
    const failures: string[] = [];
    for (const seed of cases) {
      const rng = new Rng(seed);
      for (let k = 0; k < 8; k++) c.send(randomRsp(rng));
      // A valid request after the noise must be answered: `$OK` for a thread that exists.
      c.send('+' + frame('Hg1').toString('latin1'));
      try {
        await c.expect(/\$OK#9a/, 5000);
      } catch (e) {
        failures.push(`seed ${seed} (replay: FUZZ_ONLY=${seed}): ${(e as Error).message}`);
        break;
      }
      c.take();
    }
    assert.deepEqual(failures, []);
    // A second connection after the first goes away is served too (keepListening).
    c.sock.destroy();
    await new Promise((r) => setTimeout(r, 100));
    const d = await Raw.connect(server.port);
    d.send(frame('qC'));
    assert.match((await d.expect(/\$([^#]*)#/))[1], /^QC1$/);
    d.sock.destroy();
  });

  it('each malformed packet kind gets its protocol answer', async () => {
    server = await startGdbServer(bootFixture('hello'), { port: 0, keepListening: true });
    const c = await Raw.connect(server.port);
    const E_BAD = 'E01';
    const ask = async (p: string | Buffer): Promise<string> => { c.take(); c.send(p); return (await c.expect(/\$([^#]*)#[0-9a-f]{2}/))[1]; };
    c.send('$g#00');
    await c.expect(/^-/); // bad checksum: nack
    c.send(`$${'a'.repeat(0x9000)}#00`);
    await c.expect(/^-/); // oversized: nack
    assert.equal(await ask(frame('Y123')), ''); // unknown packet: empty reply
    assert.equal(await ask(frame('m zz,4')), 'E01');
    assert.equal(await ask(frame('mffffffff,4')), 'E0e');
    assert.equal(await ask(frame('M100000,4:12')), 'E01'); // length does not match the data
    assert.equal(await ask(frame('P99=00000000')), 'E01');
    assert.equal(await ask(frame('Z2,100000,0')), 'E01'); // empty watch range
    assert.equal(await ask(frame('Z3,100000,4')), 'OK');
    assert.equal(await ask(frame('z3,100000,4')), 'OK');
    assert.equal(await ask(frame('Z5,100000,4')), E_BAD); // no such breakpoint type
    assert.equal(await ask(frame('Hg7')), 'E01'); // no such vCPU
    assert.equal(await ask(frame('qRcmd,zz')), 'E01');
    assert.equal(await ask(frame('vCont;q')), 'E01');
    assert.equal(await ask(frame('bs')), 'E01'); // reverse without recording
    assert.equal(await ask(frame('qfThreadInfo')), 'm1'); // still up
    c.sock.destroy();
  });
});

describe('fuzz: DAP server', function () {
  this.timeout(120_000);
  let proc: cp.ChildProcess | undefined;
  afterEach(() => { proc?.kill(); proc = undefined; });

  function startDap(): Promise<{ host: string; port: number }> {
    return new Promise((resolve, reject) => {
      proc = cp.spawn(process.execPath, [ADAPTER, '--server=0'], { stdio: ['ignore', 'pipe', 'pipe'] });
      let out = '';
      const t = setTimeout(() => reject(new Error(`adapter printed no port: ${out}`)), 10_000);
      proc.stdout!.on('data', (d: Buffer) => {
        out += d.toString();
        const m = /listening on ([\d.]+):(\d+)/.exec(out);
        if (m) { clearTimeout(t); resolve({ host: m[1], port: Number(m[2]) }); }
      });
    });
  }
  const msg = (body: string): string => `Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`;
  const req = (seq: number, command: string, args?: unknown): string => msg(JSON.stringify({ seq, type: 'request', command, arguments: args }));

  it('binds 127.0.0.1; bad JSON, unknown commands and bad argument types get errors or are ignored; valid requests are still answered (seeded)', async () => {
    const { host, port } = await startDap();
    assert.equal(host, '127.0.0.1');
    const c = await Raw.connect(port);
    c.send(req(1, 'initialize', { adapterID: 'vmm', linesStartAt1: true, columnsStartAt1: true }));
    await c.expect(/"command":"initialize"/);
    // Fixed malformed inputs.
    c.send(msg('{not json'));
    c.send(msg('[1,2,3]'));
    c.send(msg('{"seq":2,"type":"request"}'));
    c.send(req(3, 'noSuchCommand', { x: 1 }));
    await c.expect(/"request_seq":3,[^{}]*"success":false/);
    c.send(req(4, 'launch', { image: 42, smp: 'many', memory: { a: 1 } }));
    await c.expect(/"request_seq":4,[^{}]*"success":false[^{}]*"message":"[^"]+"/);
    c.send(req(5, 'threads'));
    await c.expect(/"request_seq":5,[^{}]*"success":true/);
    // Seeded random requests: every request with a seq and a command gets a response.
    let seq = 100;
    const commands = ['setBreakpoints', 'evaluate', 'variables', 'scopes', 'stackTrace', 'readMemory', 'writeMemory', 'disassemble', 'next', 'stepBack', 'continue', 'pause', 'setExceptionBreakpoints', 'source', 'launch', 'goto', 'unknown'];
    const values = (rng: Rng): unknown => rng.pick<unknown>([null, 0, -1, 1e300, 'x', '', [], {}, [1, 'a'], { a: { b: [] } }, true, 0x7fffffff]);
    forSeeds(seeds(6, 60), (s) => {
      const rng = new Rng(s);
      const args: Record<string, unknown> = {};
      for (const k of ['source', 'breakpoints', 'expression', 'variablesReference', 'frameId', 'threadId', 'memoryReference', 'count', 'offset', 'data', 'image', 'instructionCount', 'filters'].filter(() => rng.bool(0.4))) args[k] = values(rng);
      c.send(req(++seq, rng.pick(commands), rng.bool(0.9) ? args : values(rng)));
    });
    for (let k = 101; k <= seq; k++) await c.expect(new RegExp(`"request_seq":${k},`));
    c.send(req(++seq, 'threads'));
    await c.expect(new RegExp(`"request_seq":${seq},[^{}]*"success":true`));
    // A wrong Content-Length swallows what follows (as the protocol defines); a new connection is served.
    c.send('Content-Length: 99999\r\n\r\n{"seq":1}');
    c.sock.destroy();
    const d = await Raw.connect(port);
    d.send('Content-Length: abc\r\n\r\n');
    d.send(req(1, 'initialize', { adapterID: 'vmm' }));
    await d.expect(/"command":"initialize"/);
    d.sock.destroy();
    assert.equal(proc!.exitCode, null, 'the DAP server is still running');
  });
});
