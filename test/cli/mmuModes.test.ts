// Memory virtualization modes (issue 4): every guest fixture behaves identically under EPT, shadow
// paging with lazy sync and shadow paging with eager sync (same serial output, same exit status), and
// the exit statistics show the textbook difference: shadow paging takes #PF (EXCEPTION_NMI), CR3
// (CR_ACCESS) and INVLPG exits and syncs shadows; EPT takes EPT violations, only at first touch.
import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';

interface Fixture { name: string; path: string; outcome: string; expectedStatus: number | null; expectedSerial?: string; expectedSerialIncludes?: string[]; }
const manifest: Fixture[] = JSON.parse(fs.readFileSync('build/guests/manifest.json', 'utf8'));
const MODES = ['ept', 'shadow-lazy', 'shadow-eager'] as const;

function cli(args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, ['bin/vmm-debug.js', ...args], { encoding: 'utf8', timeout: 300_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** Exit counts by reason name and the shadow statistics line of `--exit-stats`. */
function stats(stderr: string): { exits: Record<string, number>; shadow: Record<string, number>; mmu: string } {
  const exits: Record<string, number> = {};
  for (const m of stderr.matchAll(/^\s+([A-Z_]+)\s+(\d+)\s+[\d.]+%$/gm)) exits[m[1]] = Number(m[2]);
  const shadow: Record<string, number> = {};
  const line = /^shadow: (.*)$/m.exec(stderr);
  if (line) for (const kv of line[1].split(', ')) { const [k, n] = kv.split(' '); shadow[k] = Number(n); }
  return { exits, shadow, mmu: /^mmu (\S+):/m.exec(stderr)?.[1] ?? '' };
}

describe('CLI: --mmu ept | shadow-lazy | shadow-eager give the guest identical behaviour', function () {
  this.timeout(600_000);

  for (const f of manifest) {
    // cpuloop (~525M instructions) runs its first 40M instructions in each mode: the same output so far.
    const limit = f.name === 'cpuloop' ? ['--max-insns', '40000000'] : [];
    it(`${f.name}: same serial output and exit status in every mode`, () => {
      const runs = MODES.map((m) => ({ m, r: cli(['run', f.path, '--mmu', m, ...limit]) }));
      const ept = runs[0].r;
      if (!limit.length) {
        if (f.expectedSerial !== undefined) assert.equal(ept.stdout, f.expectedSerial);
        for (const s of f.expectedSerialIncludes ?? []) assert.ok(ept.stdout.includes(s), `missing ${JSON.stringify(s)}`);
        if (f.outcome === 'exit') assert.equal(ept.status, f.expectedStatus, ept.stderr);
      }
      for (const { m, r } of runs.slice(1)) {
        assert.equal(r.stdout, ept.stdout, `${f.name} --mmu ${m}: serial output differs from EPT\n${r.stderr}`);
        assert.equal(r.status, ept.status, `${f.name} --mmu ${m}: exit status ${r.status} (EPT: ${ept.status})\n${r.stderr}`);
      }
    });
  }

  it('ptchurn: shadow paging takes #PF, CR3 and INVLPG exits and syncs; EPT takes EPT violations only at first touch', () => {
    const path = manifest.find((f) => f.name === 'ptchurn')!.path;
    const [ept, lazy, eager] = MODES.map((m) => stats(cli(['run', path, '--mmu', m, '--exit-stats']).stderr));
    assert.deepEqual([ept.mmu, lazy.mmu, eager.mmu], ['ept', 'shadow-lazy', 'shadow-eager']);
    // EPT: no #PF, CR3 or INVLPG exits (the guest's MOV CR3 / INVLPG / #PF need no VMM); each EPT
    // violation maps one guest page for good, so there are no more of them than pages the guest has
    // (160 rounds touch 64 pages each in 4 fresh address spaces: 10240 first touches per address space).
    assert.equal(ept.exits.EXCEPTION_NMI ?? 0, 0);
    assert.equal(ept.exits.CR_ACCESS ?? 0, 0);
    assert.equal(ept.exits.INVLPG ?? 0, 0);
    assert.ok(ept.exits.EPT_VIOLATION > 0 && ept.exits.EPT_VIOLATION < 2048, `EPT violations: ${ept.exits.EPT_VIOLATION}`);
    for (const s of [lazy, eager]) {
      assert.equal(s.exits.EPT_VIOLATION ?? 0, 0);
      // 160 CR3 loads into a process + 160 back to the kernel + 1 at boot; 160 MOV from CR3.
      assert.equal(s.exits.CR_ACCESS, 160 * 3 + 2, JSON.stringify(s.exits));
      assert.equal(s.exits.INVLPG, 320);
      // Every round's 64 touches fault in the new address space's shadow (plus page-table writes and first touches).
      assert.ok(s.exits.EXCEPTION_NMI > 160 * 64, `#PF exits: ${s.exits.EXCEPTION_NMI}`);
      assert.equal(s.shadow.guestPageFaults, 0);
      assert.equal(s.shadow.cr3Switches, 321);
      assert.ok(s.shadow.rootCacheHits > 0 && s.shadow.pagesWriteProtected > 0 && s.shadow.writesEmulated > 0);
    }
    // Lazy: last-level tables go unsync and are synced at CR3 switches; eager: never unsync, more writes emulated.
    assert.ok(lazy.shadow.unsyncs > 0 && lazy.shadow.syncs > 0, JSON.stringify(lazy.shadow));
    assert.equal(eager.shadow.unsyncs, 0);
    assert.equal(eager.shadow.syncs, 0);
    assert.ok(eager.shadow.writesEmulated > lazy.shadow.writesEmulated, `${eager.shadow.writesEmulated} vs ${lazy.shadow.writesEmulated}`);
  });

  it('cpu-selftest: the guest\'s own #PFs are reflected into it under shadow paging', () => {
    const path = manifest.find((f) => f.name === 'cpu-selftest')!.path;
    const s = stats(cli(['run', path, '--mmu', 'shadow', '--exit-stats']).stderr);
    assert.equal(s.mmu, 'shadow-lazy');
    assert.ok(s.shadow.guestPageFaults >= 8, JSON.stringify(s.shadow));
  });

  it('--mmu names the modes; a wrong one is a usage error', () => {
    const r = cli(['run', manifest[0].path, '--mmu', 'shadowy']);
    assert.equal(r.status, 2);
    assert.match(r.stderr, /--mmu must be "ept" or "shadow", got "shadowy" \(shadow paging's sync policy: "shadow-lazy", the default, or "shadow-eager"\)/);
  });
});
