// DAP: launch.json `rtcStart` sets the MC146818 RTC's start time (shown in the Devices scope at the
// entry stop; it advances with virtual time from there), and bad values are refused with a message
// naming the attribute.
import * as assert from 'node:assert/strict';
import type { DebugClient } from '@vscode/debugadapter-testsupport';
import { expectError, groupedVariables, guestFrame, launch, launchToEntry, newClient, scopeRef } from './helpers';
import { LaunchConfigError, parseLaunchArguments } from '../../adapter/launchConfig';

describe('DAP: rtcStart', function () {
  let dc: DebugClient;
  beforeEach(async () => { dc = newClient(); await dc.start(); });
  afterEach(async () => { await dc.stop(); });

  it('parses Unix seconds and UTC date-times; refuses anything else naming rtcStart', () => {
    assert.equal(parseLaunchArguments({ image: 'k.elf', rtcStart: 0 }, '/base').rtcStart, 0);
    assert.equal(parseLaunchArguments({ image: 'k.elf', rtcStart: '2030-05-17T13:45:00Z' }, '/base').rtcStart, 1905255900);
    assert.equal(parseLaunchArguments({ image: 'k.elf', rtcStart: '2030-05-17' }, '/base').rtcStart, 1905206400);
    assert.equal(parseLaunchArguments({ image: 'k.elf' }, '/base').rtcStart, undefined);
    for (const bad of ['tomorrow', -1, 1.5, true, '17/05/2030']) {
      assert.throws(() => parseLaunchArguments({ image: 'k.elf', rtcStart: bad }, '/base'),
        (e: Error) => e instanceof LaunchConfigError && /^launch\.json: rtcStart must be Unix seconds or a UTC date-time/.test(e.message), String(bad));
    }
  });

  it('the Devices scope shows the RTC at the configured start at the entry stop', async () => {
    await launchToEntry(dc, 'hello', { rtcStart: '2030-05-17T13:45:00Z' });
    const frame = await guestFrame(dc);
    const all = await groupedVariables(dc, await scopeRef(dc, frame.id, 'Devices'));
    const time = all.find((v) => v.group === 'MC146818 RTC' && v.variable.name === 'time');
    assert.ok(time, all.map((v) => `${v.group}/${v.variable.name}`).join(', '));
    assert.match(time.variable.value, /^2030-05-17 13:45:00/);
  });

  it('a start after 2099 fails the launch with the core\'s message', async () => {
    const msg = await expectError(launch(dc, { type: 'vmm', request: 'launch', name: 'x', image: 'build/guests/hello.elf', rtcStart: 9999999999 }));
    assert.match(msg, /rtcStart must be Unix seconds from 0 to 4102444799/);
  });
});
