// DAP: snapshot files (issue 7): save the VM (suspend), restore it later in the session or launch a
// new session from it (resume / clone); a corrupt, foreign or unreadable file is refused with one
// clear line and nothing changes (neither the VM nor the file).
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { DebugClient } from '@vscode/debugadapter-testsupport';
import type { DebugProtocol } from '@vscode/debugprotocol';
import { collectOutput, expectError, guest, launch, launchToEntry, newClient, registerTexts, stopAfter } from './helpers';

let dc: DebugClient;
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vmm-snap-'));

async function icount(): Promise<number> {
  return ((await dc.customRequest('vmm/history')) as DebugProtocol.Response).body.now as number;
}

describe('DAP: snapshot files', function () {
  this.timeout(60_000);
  beforeEach(async () => { dc = newClient(); await dc.start(); });
  afterEach(async () => { await dc.stop(); });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('save, run on, restore: the registers of the saved moment; a bad file changes nothing', async () => {
    await launchToEntry(dc, 'hello');
    for (let k = 0; k < 5; k++) await stopAfter(dc, () => dc.nextRequest({ threadId: 1, granularity: 'instruction' }));
    const file = path.join(dir, 'hello.vmmsnap');
    const saved = await dc.customRequest('vmm/snapshotSave', { path: file, note: 'five in' }) as DebugProtocol.Response;
    assert.equal(saved.body.path, file);
    assert.ok(fs.statSync(file).size > 1000);
    const atSave = await registerTexts(dc);
    const n = await icount();
    for (let k = 0; k < 5; k++) await stopAfter(dc, () => dc.nextRequest({ threadId: 1, granularity: 'instruction' }));
    assert.notDeepEqual(await registerTexts(dc), atSave);
    const after = await registerTexts(dc);
    // Corrupt and foreign files: refused, the VM and the files unchanged.
    const corrupt = path.join(dir, 'corrupt.vmmsnap');
    const bytes = fs.readFileSync(file); bytes[bytes.length >> 1] ^= 0x5a; fs.writeFileSync(corrupt, bytes);
    assert.match(await expectError(dc.customRequest('vmm/snapshotRestore', { path: corrupt })), /restore snapshot "corrupt\.vmmsnap": snapshot is corrupt/);
    const foreign = path.join(dir, 'notes.txt');
    fs.writeFileSync(foreign, 'hello, this is not a snapshot at all');
    assert.match(await expectError(dc.customRequest('vmm/snapshotRestore', { path: foreign })), /not a vmm-debug snapshot/);
    assert.match(await expectError(dc.customRequest('vmm/snapshotRestore', { path: path.join(dir, 'missing') })), /cannot read .*no such file/);
    assert.equal(fs.readFileSync(foreign, 'utf8'), 'hello, this is not a snapshot at all');
    assert.deepEqual(await registerTexts(dc), after);
    // The real one.
    const out = collectOutput(dc);
    await stopAfter(dc, () => dc.customRequest('vmm/snapshotRestore', { path: file }));
    assert.match(out.text(), /restored snapshot "five in"/);
    assert.deepEqual(await registerTexts(dc), atSave);
    assert.equal(await icount(), n);
  });

  it('a new session launched from the snapshot (resume / clone) continues from that moment', async () => {
    const info = guest('hello');
    await launchToEntry(dc, 'hello');
    for (let k = 0; k < 7; k++) await stopAfter(dc, () => dc.nextRequest({ threadId: 1, granularity: 'instruction' }));
    const file = path.join(dir, 'clone.vmmsnap');
    await dc.customRequest('vmm/snapshotSave', { path: file });
    const atSave = await registerTexts(dc);
    await dc.stop();
    dc = newClient(); await dc.start();
    const stopped = dc.waitForEvent('stopped');
    await launch(dc, { image: info.path, snapshot: file, stopOnEntry: true });
    await stopped;
    assert.deepEqual(await registerTexts(dc), atSave);
    // History starts at the snapshot: one step back from there reports the start.
    const back = await stopAfter(dc, () => dc.stepBackRequest({ threadId: 1, granularity: 'instruction' }));
    assert.equal(back.body.reason, 'entry');
  });

  it('launch with a snapshot that is not one fails with a clear message', async () => {
    const bad = path.join(dir, 'bad.vmmsnap');
    fs.writeFileSync(bad, 'garbage');
    const err = await expectError(dc.initializeRequest().then(() => dc.launchRequest({ image: guest('hello').path, snapshot: bad } as DebugProtocol.LaunchRequestArguments)));
    assert.match(err, /not a vmm-debug snapshot/);
  });
});
