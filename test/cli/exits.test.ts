// The exits guest (issue 4 "Proof"): every VM exit the VMM enables happens and the guest checks what
// it sees; the same run under --mmu ept, shadow-lazy and shadow-eager (and with the optional exits of
// --vmx-exits) prints exactly the same lines, all PASS. --exit-stats shows the textbook difference
// between the modes, and HC_MMU_UPDATE (multiboot command line "pvmmu") shows what the paravirtual
// page-table update saves under shadow paging.
import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';

interface Fixture { name: string; path: string; }
const manifest: Fixture[] = JSON.parse(fs.readFileSync('build/guests/manifest.json', 'utf8'));
const image = manifest.find((f) => f.name === 'exits')!.path;

interface Run { status: number | null; stdout: string; stderr: string; exits: Record<string, number>; shadow: Record<string, number>; mmu: string; }

/** Run the guest with "x" on COM1 (the external-interrupt kick) and parse `--exit-stats`. */
function run(...args: string[]): Run {
  const r = spawnSync(process.execPath, ['bin/vmm-debug.js', 'run', image, '--exit-stats', ...args], { encoding: 'utf8', input: 'x', timeout: 300_000 });
  const exits: Record<string, number> = {};
  for (const m of r.stderr.matchAll(/^\s+([A-Z_]+)\s+(\d+)\s+[\d.]+%$/gm)) exits[m[1]] = Number(m[2]);
  const shadow: Record<string, number> = {};
  const line = /^shadow: (.*)$/m.exec(r.stderr);
  if (line) for (const kv of line[1].split(', ')) { const [k, n] = kv.split(' '); shadow[k] = Number(n); }
  return { status: r.status, stdout: r.stdout, stderr: r.stderr, exits, shadow, mmu: /^mmu (\S+):/m.exec(r.stderr)?.[1] ?? '' };
}

/** Exit reasons every mode must show, with the checks that trigger them. */
const EVERY_MODE = [
  'EXCEPTION_NMI', 'EXTERNAL_INTERRUPT', 'INTERRUPT_WINDOW', 'NMI_WINDOW', 'TASK_SWITCH', 'CPUID', 'HLT', 'INVD', 'RDPMC', 'VMCALL',
  'VMREAD', 'VMXON', 'CR_ACCESS', 'DR_ACCESS', 'IO_INSTRUCTION', 'MSR_READ', 'MSR_WRITE', 'MWAIT_INSTRUCTION', 'MONITOR_INSTRUCTION',
  'PREEMPTION_TIMER', 'WBINVD',
];
const OPTIONAL = ['RDTSC', 'PAUSE_INSTRUCTION', 'GDTR_IDTR', 'LDTR_TR', 'APIC_ACCESS'];

describe('CLI: the exits guest (every VM exit, ept / shadow-lazy / shadow-eager)', function () {
  this.timeout(900_000);
  const runs: Record<string, Run> = {};
  before(() => {
    for (const m of ['ept', 'shadow-lazy', 'shadow-eager']) {
      runs[m] = run('--mmu', m);
      runs[`${m} +opt`] = run('--mmu', m, '--vmx-exits', 'rdtsc,pause,desc,apic');
      runs[`${m} pvmmu`] = run('--mmu', m, '--cmdline', 'pvmmu');
    }
  });

  it('passes every check under EPT, with COM1 input and status 1', () => {
    const r = runs.ept;
    assert.equal(r.status, 1, r.stdout + r.stderr);
    assert.doesNotMatch(r.stdout, /^FAIL/m);
    assert.match(r.stdout, /^PASS com1_rx_interrupt_after_kick$/m);
    assert.match(r.stdout, /^exits: (\d+) passed, 0 failed$/m);
    assert.ok(Number(/^exits: (\d+) passed/m.exec(r.stdout)![1]) >= 56);
  });

  it('prints exactly the same lines in every mode, with or without the optional exits and HC_MMU_UPDATE', () => {
    for (const [name, r] of Object.entries(runs)) {
      assert.equal(r.stdout, runs.ept.stdout, `${name}: serial output differs from EPT\n${r.stderr}`);
      assert.equal(r.status, 1, `${name}: status ${r.status}\n${r.stderr}`);
    }
    assert.deepEqual([runs.ept.mmu, runs['shadow-lazy'].mmu, runs['shadow-eager'].mmu], ['ept', 'shadow-lazy', 'shadow-eager']);
  });

  it('takes every enabled exit reason in every mode', () => {
    for (const m of ['ept', 'shadow-lazy', 'shadow-eager']) {
      for (const reason of EVERY_MODE) assert.ok(runs[m].exits[reason] > 0, `${m}: no ${reason} exit: ${JSON.stringify(runs[m].exits)}`);
      for (const reason of OPTIONAL) assert.equal(runs[m].exits[reason] ?? 0, 0, `${m}: ${reason} without --vmx-exits`);
      const o = runs[`${m} +opt`].exits;
      // 4 RDTSC, 100 PAUSE; SGDT/SIDT x2, LGDT, LIDT and the LGDT/LIDT of boot: >= 6; SLDT, STR x2, LLDT, LTR.
      assert.equal(o.RDTSC, 4, `${m}: ${JSON.stringify(o)}`);
      assert.equal(o.PAUSE_INSTRUCTION, 100);
      assert.ok(o.GDTR_IDTR >= 6 && o.LDTR_TR >= 4, JSON.stringify(o));
    }
    // "Virtualize APIC accesses" under EPT: every local APIC access is exit 44 instead of an EPT
    // violation / misconfiguration (the guest touches no other MMIO page); ignored under shadow paging.
    const apic = runs['ept +opt'].exits;
    assert.ok(apic.APIC_ACCESS > 0, JSON.stringify(apic));
    assert.equal(apic.APIC_ACCESS, runs.ept.exits.EPT_MISCONFIG + 1, 'one exit per access: the first (a violation) and the rest (misconfigurations) without the option');
    assert.equal(apic.EPT_MISCONFIG ?? 0, 0);
    for (const m of ['shadow-lazy', 'shadow-eager']) assert.equal(runs[`${m} +opt`].exits.APIC_ACCESS ?? 0, 0);
  });

  it('shows the textbook difference: EPT violations (and misconfigurations) under EPT; #PF, CR3 and INVLPG exits under shadow paging', () => {
    const ept = runs.ept.exits;
    assert.ok(ept.EPT_VIOLATION > 0, 'first touches');
    assert.ok(ept.EPT_MISCONFIG > 0, 'the local APIC page after its first access: the MMIO fast path');
    assert.equal(ept.INVLPG ?? 0, 0, 'INVLPG needs no VMM under EPT');
    // The exception bitmap has #UD under EPT: ud2, xsetbv and rdtscp fault in the guest (the VMM
    // injects the #UD of VMXON/VMREAD itself, which is not subject to the bitmap).
    assert.equal(ept.EXCEPTION_NMI, 3);
    assert.equal(ept.CR_ACCESS, 1, 'only the NE write (host-owned CR0 bit)');
    for (const m of ['shadow-lazy', 'shadow-eager']) {
      const s = runs[m];
      assert.equal(s.exits.EPT_VIOLATION ?? 0, 0);
      assert.equal(s.exits.EPT_MISCONFIG ?? 0, 0);
      assert.equal(s.exits.INVLPG, 20, 'every INVLPG of the guest');
      assert.ok(s.exits.CR_ACCESS > 24 + 4, `CR3 loads of the churn and CR0/CR4 writes: ${s.exits.CR_ACCESS}`);
      assert.ok(s.exits.EXCEPTION_NMI > ept.EXCEPTION_NMI + 100, `#PF exits: ${s.exits.EXCEPTION_NMI}`);
      assert.equal(s.shadow.guestPageFaults, 1, 'the guest\'s one genuine #PF is reflected to it');
      assert.equal(s.shadow.cr3Switches, 25);
    }
    assert.ok(runs['shadow-lazy'].shadow.unsyncs > 0 && runs['shadow-lazy'].shadow.syncs > 0);
    assert.equal(runs['shadow-eager'].shadow.unsyncs, 0);
    assert.ok(runs['shadow-eager'].shadow.writesEmulated > 0);
  });

  it('HC_MMU_UPDATE: one VMCALL per batch replaces the write-protection faults and syncs of shadow paging; no difference under EPT', () => {
    const rounds = 24;
    const e = runs.ept.exits, ep = runs['ept pvmmu'].exits;
    assert.equal(ep.VMCALL - e.VMCALL, rounds);
    assert.equal(ep.EXCEPTION_NMI, e.EXCEPTION_NMI);
    const eager = runs['shadow-eager'], eagerPv = runs['shadow-eager pvmmu'];
    assert.equal(eagerPv.exits.VMCALL - eager.exits.VMCALL, rounds);
    // Writing the page table by hand: emulated writes, then write flooding zaps the table and 64 faults rebuild it, each round.
    assert.ok(eager.exits.EXCEPTION_NMI - eagerPv.exits.EXCEPTION_NMI >= rounds * 64, `${eager.exits.EXCEPTION_NMI} vs ${eagerPv.exits.EXCEPTION_NMI}`);
    assert.ok(eager.shadow.writesEmulated - eagerPv.shadow.writesEmulated >= rounds * 2, `${eager.shadow.writesEmulated} vs ${eagerPv.shadow.writesEmulated}`);
    const lazy = runs['shadow-lazy'], lazyPv = runs['shadow-lazy pvmmu'];
    // Lazy: each round's first write unsyncs the table (one #PF) and the CR3 load syncs it again.
    assert.ok(lazy.exits.EXCEPTION_NMI - lazyPv.exits.EXCEPTION_NMI >= rounds - 1, `${lazy.exits.EXCEPTION_NMI} vs ${lazyPv.exits.EXCEPTION_NMI}`);
    assert.ok(lazy.shadow.unsyncs - lazyPv.shadow.unsyncs >= rounds - 1, `${lazy.shadow.unsyncs} vs ${lazyPv.shadow.unsyncs}`);
    assert.ok(lazy.shadow.syncs - lazyPv.shadow.syncs >= rounds - 1, `${lazy.shadow.syncs} vs ${lazyPv.shadow.syncs}`);
  });

  it('--vmx-exits names the optional exits; a wrong one is a usage error', () => {
    const r = spawnSync(process.execPath, ['bin/vmm-debug.js', 'run', image, '--vmx-exits', 'rdtsc,cpuid'], { encoding: 'utf8' });
    assert.equal(r.status, 2, r.stderr);
    assert.match(r.stderr, /vmxExits: unknown optional VM exit "cpuid" \(known: rdtsc, pause, desc, apic\)/);
  });
});
