// F5 on an .asm file: the launch `image` names the NASM source; the adapter (dist/adapter.js)
// assembles it to a Multiboot ELF with DWARF line info, so a source breakpoint on a line of the
// .asm file stops there, the stack frame shows the .asm line, and assembly errors are launch errors.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { DebugProtocol } from '@vscode/debugprotocol';
import { launch, newClient } from '../dap/helpers';

const SOURCE = path.resolve('test/fixtures/asm/hello.asm');

describe('F5 on an .asm file (adapter assembles the launch image)', function () {
  this.timeout(30_000);

  it('a source breakpoint on the cpuid line of hello.asm stops there; the frame names hello.asm', async () => {
    const dc = newClient();
    await dc.start();
    try {
      const line = fs.readFileSync(SOURCE, 'utf8').split('\n').findIndex((l) => l.includes('cpuid')) + 1;
      let verified: DebugProtocol.Breakpoint[] = [];
      const stopped = dc.waitForEvent('stopped');
      await launch(dc, { type: 'vmm', request: 'launch', name: 'asm', image: SOURCE, stopOnEntry: false }, async () => {
        const r = await dc.setBreakpointsRequest({ source: { path: SOURCE }, breakpoints: [{ line }] });
        verified = r.body.breakpoints;
      });
      assert.equal(verified[0]?.verified, true, JSON.stringify(verified));
      const ev = (await stopped) as DebugProtocol.StoppedEvent;
      assert.equal(ev.body.reason, 'breakpoint');
      const st = await dc.stackTraceRequest({ threadId: ev.body.threadId ?? 1 });
      const top = st.body.stackFrames[0]!;
      assert.equal(top.line, line);
      assert.equal(path.resolve(top.source?.path ?? ''), SOURCE);
    } finally {
      await dc.stop();
    }
  });

  it('an .asm image that does not assemble fails the launch with file:line and the message', async () => {
    const dc = newClient();
    await dc.start();
    try {
      await dc.initializeRequest({ adapterID: 'vmm', linesStartAt1: true, columnsStartAt1: true, pathFormat: 'path' });
      const bad = path.resolve('test/fixtures/asm/errors.asm');
      await assert.rejects(dc.launchRequest({ type: 'vmm', request: 'launch', image: bad } as DebugProtocol.LaunchRequestArguments),
        (e: Error) => /cannot assemble .*errors\.asm.*:4: missing \]/s.test(e.message));
    } finally {
      await dc.stop();
    }
  });
});
