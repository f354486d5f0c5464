// DAP over TCP: `node dist/adapter.js --server=0` listens on 127.0.0.1 and serves one session per
// connection; the bound port is printed on stdout.
import * as assert from 'node:assert/strict';
import * as cp from 'node:child_process';
import { DebugClient } from '@vscode/debugadapter-testsupport';
import type { DebugProtocol } from '@vscode/debugprotocol';
import { ADAPTER, guest, INIT_ARGS } from './helpers';

function startServer(): Promise<{ proc: cp.ChildProcess; port: number; host: string }> {
  return new Promise((resolve, reject) => {
    const proc = cp.spawn(process.execPath, [ADAPTER, '--server=0'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    const timer = setTimeout(() => reject(new Error(`adapter printed no port: ${out}`)), 10_000);
    proc.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /listening on (127\.0\.0\.1):(\d+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve({ proc, host: m[1], port: Number(m[2]) });
      }
    });
    proc.on('exit', (code) => reject(new Error(`adapter exited (${code}): ${out}`)));
  });
}

describe('DAP: --server mode', function () {
  let server: { proc: cp.ChildProcess; port: number; host: string } | undefined;

  afterEach(() => {
    server?.proc.kill();
    server = undefined;
  });

  it('binds 127.0.0.1, prints the port, and serves a launch over TCP (twice)', async () => {
    server = await startServer();
    assert.equal(server.host, '127.0.0.1');
    assert.ok(server.port > 0);
    const info = guest('hello');
    for (let i = 0; i < 2; i++) {
      const dc = new DebugClient('node', ADAPTER, 'vmm');
      await dc.start(server.port);
      await dc.initializeRequest(INIT_ARGS);
      const initialized = dc.waitForEvent('initialized');
      const stopped = dc.waitForEvent('stopped');
      await dc.launchRequest({ image: info.path, stopOnEntry: true } as DebugProtocol.LaunchRequestArguments);
      await initialized;
      await dc.configurationDoneRequest();
      assert.equal(((await stopped) as DebugProtocol.StoppedEvent).body.reason, 'entry');
      const threads = await dc.threadsRequest();
      assert.equal(threads.body.threads[0].name, 'vcpu0');
      await dc.stop();
    }
    assert.equal(server.proc.exitCode, null, 'the server must outlive its sessions');
  });
});
