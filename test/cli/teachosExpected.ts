// What the teachos self-test (test/guests/teachos, built into build/guests/teachos.img) prints,
// shared by the QEMU reference test (teachosQemu.test.ts) and the VMM test (teachos.test.ts).
import { strict as assert } from 'node:assert';

export const TEACHOS_IMAGE = 'build/guests/teachos.img';
/** The kernel alone, a Multiboot ELF with DWARF (boots with the image attached as its disk). */
export const TEACHOS_ELF = 'build/guests/teachos.elf';

/** Every check, in the order the kernel runs them. */
export const TEACHOS_CHECKS = [
  'boot_loader', 'boot_e820', 'a20', 'paging', 'gdt_tss', 'lapic_timer',
  'ide_present', 'ide_write_read', 'ide_read_image', 'ide_irq14_ioapic',
  'smp_tables', 'smp_all_cpus_started', 'smp_counter_under_lock',
  'user_mode_syscalls', 'user_sleep', 'process_isolation', 'timer_preemption', 'user_page_fault',
  'smp_every_cpu_timer',
];

/** Asserts that every check printed PASS, none FAIL, and the summary line, for `smp` CPUs. */
export function assertAllPassed(stdout: string, smp: number, what: string): void {
  const lines = stdout.split('\n');
  const fails = lines.filter((l) => l.startsWith('FAIL '));
  assert.deepEqual(fails, [], `${what}: failed checks\n${stdout}`);
  const passes = lines.filter((l) => l.startsWith('PASS ')).map((l) => l.slice(5));
  assert.deepEqual(passes, TEACHOS_CHECKS, `${what}: PASS lines\n${stdout}`);
  assert.ok(lines.includes(`teachos: ${TEACHOS_CHECKS.length} passed, 0 failed`), `${what}: no summary line\n${stdout}`);
  assert.ok(lines.includes(`smp: shared counter ${smp * 1000} (expected ${smp * 1000})`), `${what}: counter line\n${stdout}`);
  assert.ok(stdout.includes(`processes: 6 created, scheduling on ${smp} cpu(s)\n`), `${what}: cpu count\n${stdout}`);
  assert.ok(stdout.includes('kernel: pid 6 (faulter): page fault at 0x00100000, error 0x5, eip 0x'), `${what}: page-fault report\n${stdout}`);
}

/** The output without the lines that name the CPU count: equal for every --smp. */
export function withoutCpuCount(stdout: string): string {
  return stdout.split('\n').filter((l) => !/cpu\(s\)|shared counter/.test(l)).join('\n');
}

/** The output without the line that says which loader started the kernel. */
export function withoutBootLine(stdout: string): string {
  return stdout.split('\n').filter((l) => !l.startsWith('boot: ')).join('\n');
}

/** What the shell tests type (teachosShell.test.ts, teachosShellQemu.test.ts). */
export const SHELL_INPUT = 'help\necho hello from the input log\nps\nmem\ncpus\nbogus\nselftest\nhalt\n';

/** The shell's part of the output: from its banner to the end. */
export function shellTranscript(stdout: string): string {
  const at = stdout.indexOf('teachos shell on COM1');
  return at < 0 ? '' : stdout.slice(at);
}

/** What the stress tests type (teachosStress.test.ts, teachosStressQemu.test.ts). */
export const STRESS_INPUT = 'stress 5\nhalt\n';

/**
 * The stress workload's lines (kernel/stress.c): the header for `rounds` rounds on `smp` CPUs (or
 * "until Ctrl-C"), the reap of the self-test's processes, one `ok` line per round with every process
 * reaped, an empty table and the free pages of the allocator the same as before round 1 (no leak),
 * and the summary. Returns the free-page count.
 */
export function assertStressRounds(stdout: string, rounds: number, smp: number): number {
  const lines = stdout.split('\n');
  const head = lines.findIndex((l) => l.startsWith('stress: ') && / cpu\(s\)/.test(l));
  assert.ok(head >= 0, `no stress header line\n${stdout}`);
  assert.match(lines[head], new RegExp(`^stress: (${rounds} rounds|rounds) of the self-test's processes on ${smp} cpu\\(s\\)`));
  const before = /^stress: 6 processes reaped before round 1, (\d+) free pages$/.exec(lines[head + 1]);
  assert.ok(before, `no reap line before round 1: "${lines[head + 1]}"\n${stdout}`);
  const free = Number(before[1]);
  assert.ok(free > 1000, `free pages ${free}`);
  for (let k = 1; k <= rounds; k++)
    assert.equal(lines[head + 1 + k], `stress: round ${k} ok: 6 processes reaped, 0 in the table, ${free} free pages`, `round ${k}\n${stdout}`);
  assert.equal(lines[head + 2 + rounds], `stress: ${rounds} rounds, 0 failed`, stdout);
  return free;
}
