// DAP: the PC platform's launch attributes. A raw disk image boots through the paravirtual BIOS
// (stopOnEntry at 0000:7C00 in real mode; an exception filter on VM exits stops at a BIOS VMCALL),
// `disks`/`diskWriteback`/`bios` are validated with messages naming the attribute.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { DebugClient } from '@vscode/debugadapter-testsupport';
import type { DebugProtocol } from '@vscode/debugprotocol';
import { collectOutput, expectError, INIT_ARGS, launch, newClient, register } from './helpers';

const IMG = path.resolve('build/guests/bootsector.img');
const ROM = path.resolve('build/guests/biosrom.bin');

describe('DAP: disk images, disks, bios', function () {
  let dc: DebugClient;
  beforeEach(async () => { dc = newClient(); await dc.start(); });
  afterEach(async () => { await dc.stop(); });

  it('a disk image stops on entry at 0000:7C00 with DL = 80h, then runs to its exit with the PASS lines on COM1', async () => {
    const out = collectOutput(dc);
    const stoppedP = dc.waitForEvent('stopped');
    await launch(dc, { type: 'vmm', request: 'launch', name: 'boot', image: IMG, stopOnEntry: true, disks: [IMG] });
    assert.equal(((await stoppedP) as DebugProtocol.StoppedEvent).body.reason, 'entry');
    assert.equal(await register(dc, 'eip'), 0x7c00);
    assert.equal((await register(dc, 'edx')) & 0xff, 0x80);
    const exited = dc.waitForEvent('exited', 60_000);
    await dc.continueRequest({ threadId: 1 });
    assert.equal(((await exited) as DebugProtocol.ExitedEvent).body.exitCode, 1);
    assert.match(out.stdout(), /PASS int13 extended read[\s\S]*bootsector done\n/);
    assert.doesNotMatch(out.stdout(), /FAIL/);
  });

  it('bios: a ROM boots at the reset vector without an image', async () => {
    const exited = dc.waitForEvent('exited', 60_000);
    await launch(dc, { type: 'vmm', request: 'launch', name: 'rom', bios: ROM, stopOnEntry: false });
    assert.equal(((await exited) as DebugProtocol.ExitedEvent).body.exitCode, 1);
  });

  it('bad attributes name themselves: disks, diskWriteback, loadAddress, a missing disk file', async () => {
    await dc.initializeRequest(INIT_ARGS);
    const cases: [Record<string, unknown>, RegExp][] = [
      [{ disks: 'x.img' }, /disks must be an array of file paths/],
      [{ diskWriteback: 'yes' }, /diskWriteback must be true or false/],
      [{ loadAddress: 'high' }, /loadAddress must be a guest-physical address/],
      [{ disks: ['/nonexistent/disk.img'] }, /cannot read disk "\/nonexistent\/disk\.img": no such file/],
    ];
    assert.ok(fs.existsSync(IMG));
    for (const [extra, re] of cases) {
      const msg = await expectError(dc.launchRequest({ type: 'vmm', request: 'launch', name: 'x', image: IMG, ...extra } as never));
      assert.match(msg, re);
    }
  });
});
