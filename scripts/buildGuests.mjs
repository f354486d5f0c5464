#!/usr/bin/env node
// Builds the x86 guest fixtures in test/guests/ into build/guests/<name>.elf
// with the host's GNU toolchain (gcc -m32, as --32, ld -m elf_i386), and
// writes build/guests/manifest.json for the tests.
//
//   node scripts/buildGuests.mjs            build what is out of date
//   node scripts/buildGuests.mjs --force    rebuild everything
//
// Incremental: a fixture is rebuilt when its .elf is older than any of its
// sources, its folder, test/guests/lib/ or this script. One line is printed
// per fixture built. Exit 1 with a message naming the tool when gcc/as/ld
// are missing or cannot target 32-bit x86. Uses only node: built-ins.
// Tool names can be overridden with GUESTS_CC, GUESTS_AS, GUESTS_LD (e.g. a
// cross toolchain such as i686-elf-gcc).
//
// Importable: tests can `import { fixtures, manifestPath, buildGuests }`.

import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { buildTeachos } from '../test/guests/teachos/build.mjs';

const scriptPath = fileURLToPath(import.meta.url);
export const repoRoot = path.resolve(path.dirname(scriptPath), '..');
const guestsDir = 'test/guests';
const libDir = `${guestsDir}/lib`;
const outDirRel = 'build/guests';
export const outDir = path.join(repoRoot, outDirRel);
export const manifestPath = path.join(outDir, 'manifest.json');

const CC = process.env.GUESTS_CC || 'gcc';
const AS = process.env.GUESTS_AS || 'as';
const LD = process.env.GUESTS_LD || 'ld';
const OBJCOPY = process.env.GUESTS_OBJCOPY || 'objcopy';

// The interpreter has no x87/SSE/MMX: gcc must emit none. -fcf-protection=none
// keeps endbr32 out; -march=i686 pins the ISA whatever the compiler's default.
export const CFLAGS = [
  '-m32', '-march=i686', '-ffreestanding', '-fno-pic', '-fno-pie', '-fno-stack-protector',
  '-fno-builtin', '-nostdlib', '-O1', '-g', '-fno-omit-frame-pointer',
  '-mno-sse', '-mno-mmx', '-mno-80387', '-fcf-protection=none',
  '-std=gnu11', '-Wall', '-Wextra', `-I${libDir}`,
];
export const ASFLAGS = ['--32', '-g', '-I', libDir];
export const LDFLAGS = ['-m', 'elf_i386', '--build-id=none', '-nostdlib', '-z', 'noexecstack'];

const MULTIBOOT_LD = `${libDir}/multiboot.ld`;
const ASM_RUNTIME = `${libDir}/serial.s`;
const C_RUNTIME = [`${libDir}/entry.s`, `${libDir}/guest.c`, `${libDir}/paging.c`];

// expectedStatus: QEMU-style exit status ((v << 1) | 1 for isa-debug-exit,
// 0 for a triple-fault shutdown under -no-reboot, null: never exits).
// expectedSerial: exact COM1 output; a function gets the linked ELF's symbols.
// symbols: addresses worth a breakpoint, copied into the manifest.
export const fixtures = [
  {
    name: 'hello',
    description: 'GNU as: stack, GDT, prints a line, cpuid leaf 0, exit 0',
    format: 'multiboot',
    sources: [`${guestsDir}/hello/hello.s`, ASM_RUNTIME],
    linkerScript: MULTIBOOT_LD,
    outcome: 'exit',
    expectedStatus: 1,
    expectedSerial: 'Hello from the guest\n',
    symbols: ['_start', 'serial_init', 'serial_puts', 'serial_putc', 'guest_exit'],
  },
  {
    name: 'demo',
    description: 'C: GDT, IDT for vectors 0-31, paging, cpuid, sieve, crc32, vmcall, exit 0',
    format: 'multiboot',
    sources: [...C_RUNTIME, `${libDir}/isrStubs.s`, `${guestsDir}/demo/main.c`],
    linkerScript: MULTIBOOT_LD,
    outcome: 'exit',
    expectedStatus: 1,
    // CPUID values, the hypercall's own output and the RAM size vary.
    expectedSerialIncludes: [
      'vmm-debug demo guest\n',
      'demo: multiboot ok, paging on, CR3=0x',
      'cpuid.0: max=0x',
      'cpuid.1: eax=0x',
      'cpuid.40000000: max=0x',
      'primes below 2000: 303\n',
      'crc32(4 KiB): 0x4641a512\n',
      'vmcall putc: [',
      'demo done\n',
    ],
    symbols: ['_start', 'kmain', 'exception_handler', 'paging_enable_identity_16m', 'vmcall_insn', 'isr_common'],
  },
  {
    name: 'elfplain',
    description: 'C: plain ELF32 (not Multiboot), _start at 0x200000, exit 0',
    format: 'elf',
    sources: [`${guestsDir}/elfplain/main.c`, `${libDir}/guest.c`],
    linkerScript: `${guestsDir}/elfplain/linker.ld`,
    outcome: 'exit',
    expectedStatus: 1,
    expectedSerial: 'plain ELF ok\n',
    symbols: ['_start', 'serial_init', 'guest_exit'],
  },
  {
    name: 'ud',
    description: 'GNU as: #UD handler, executes SSE movaps (0f 28 c8), exits with 6',
    format: 'multiboot',
    sources: [`${guestsDir}/ud/ud.s`, ASM_RUNTIME],
    linkerScript: MULTIBOOT_LD,
    outcome: 'exit',
    expectedStatus: 13,
    expectedSerial: (sym) => `#UD at 0x${hex8(sym('ud_insn'))}\n`,
    symbols: ['_start', 'ud_insn', 'ud_handler'],
  },
  {
    name: 'sensitive',
    description: 'GNU as: sensitive unprivileged, privileged and faulting (#BP, #DE, #GP raised and VMM-injected, #PF) instructions for the exception filters',
    format: 'multiboot',
    sources: [`${guestsDir}/sensitive/sensitive.s`, ASM_RUNTIME],
    linkerScript: MULTIBOOT_LD,
    outcome: 'exit',
    expectedStatus: 1,
    expectedSerial: 'sensitive ok DE=1 BP=1 GP=2 PF=1\n',
    symbols: ['_start', 'pushf_insn', 'popf_insn', 'sgdt_insn', 'sidt_insn', 'smsw_insn', 'str_insn', 'lar_insn', 'verw_insn',
      'movfromcr0_insn', 'movtocr0_insn', 'rdmsr_insn', 'badcr0_insn', 'invlpg_insn', 'int3_insn', 'div_insn', 'gp_insn', 'pf_insn'],
  },
  {
    name: 'triple',
    description: 'GNU as: prints, loads a zero-limit IDT, int3 -> triple fault',
    format: 'multiboot',
    sources: [`${guestsDir}/triple/triple.s`, ASM_RUNTIME],
    linkerScript: MULTIBOOT_LD,
    outcome: 'triple-fault',
    expectedStatus: 0,
    expectedSerial: 'about to triple fault\n',
    symbols: ['_start'],
  },
  {
    name: 'halt',
    description: 'GNU as: prints, then cli; hlt (never wakes, never exits)',
    format: 'multiboot',
    sources: [`${guestsDir}/halt/halt.s`, ASM_RUNTIME],
    linkerScript: MULTIBOOT_LD,
    outcome: 'halt',
    expectedStatus: null,
    expectedSerial: 'halting\n',
    symbols: ['_start', 'halt_insn'],
  },
  {
    name: 'io',
    description: 'GNU as: out 0x80, in 0x3fd, rep outsb, outw, inl from an empty port, exit 0',
    format: 'multiboot',
    sources: [`${guestsDir}/io/io.s`, ASM_RUNTIME],
    linkerScript: MULTIBOOT_LD,
    outcome: 'exit',
    expectedStatus: 1,
    expectedSerial: 'io: start\nrep!\nio: inl 0x06e0 = 0xffffffff (all-ones)\nio done\n',
    symbols: ['_start'],
  },
  {
    name: 'timer',
    description: 'GNU as: PIC remapped to 0x20/0x28, PIT 100 Hz, IRQ0 handler, sti;hlt until 10 ticks, spin until 12, RTC time, POST code, debugcon, exit 0',
    format: 'multiboot',
    sources: [`${guestsDir}/timer/timer.s`, ASM_RUNTIME],
    linkerScript: MULTIBOOT_LD,
    outcome: 'exit',
    expectedStatus: 1,
    // The RTC line shows the machine's clock (the VMM: its fixed start, 2024-01-01 00:00:00).
    expectedSerialIncludes: ['timer: PIC at 0x20/0x28, PIT 100 Hz, waiting for 10 ticks\n', 'ticks: 10\n', 'spinning, ticks: 12\n', 'rtc: 20', 'timer done\n'],
    symbols: ['_start', 'wait_loop', 'halt_insn', 'spin_loop', 'irq0_handler', 'ticks'],
  },
  {
    name: 'cpuloop',
    description: 'C: benchmark, paging on, sieve(1e6) x 20 + crc32(64 KiB) x 256 (~485M instructions), exit 0',
    format: 'multiboot',
    sources: [...C_RUNTIME, `${guestsDir}/cpuloop/main.c`],
    extraDeps: [`${guestsDir}/cpuloop/workload.c`],
    linkerScript: MULTIBOOT_LD,
    outcome: 'exit',
    expectedStatus: 1,
    expectedSerial:
      'cpuloop: sieve(1000000) x 20, crc32(65536 bytes) x 256\n' +
      'primes below 1000000: 78498 (total 1569960)\n' +
      'crc32: 0xcb0d356f\n' +
      'cpuloop done\n',
    symbols: ['_start', 'kmain', 'cpuloop_run', 'cpuloop_sieve', 'cpuloop_crc32_update'],
  },
  {
    name: 'ptchurn',
    description: 'C: page-table churn (fork-like): 160 rounds of build a page directory + 2 page tables, switch CR3, touch 64 pages, INVLPG, exit 0',
    format: 'multiboot',
    sources: [...C_RUNTIME, `${guestsDir}/ptchurn/main.c`],
    linkerScript: MULTIBOOT_LD,
    outcome: 'exit',
    expectedStatus: 1,
    expectedSerial: 'ptchurn: 160 rounds, 4 processes, 64 pages touched per round\nptchurn: checksum 0x2546d400, 0 mismatches\nptchurn done\n',
    symbols: ['_start', 'kmain', 'fork_process'],
  },
  {
    name: 'smp',
    description: 'C + asm: LAPIC, INIT-SIPI-SIPI through a real-mode trampoline, spinlocked counter on every AP, IPIs, LAPIC periodic timer, PIT through the I/O APIC; PASS lines, exit 0',
    format: 'multiboot',
    sources: [...C_RUNTIME, `${guestsDir}/smp/main.c`, `${guestsDir}/smp/trampoline.s`],
    linkerScript: MULTIBOOT_LD,
    outcome: 'exit',
    expectedStatus: 1,
    // The CPU count and the counter depend on --smp / -smp.
    expectedSerialIncludes: ['smp: multiboot ok\n', 'PASS: CPUID.1:EDX.APIC\n', 'PASS: shared counter under the spinlock\n', 'PASS: PIT IRQ0 through I/O APIC pin 2\n', 'smp: PASS\n'],
    symbols: ['_start', 'kmain', 'ap_main', 'ap_pm32', 'trampoline_start', 'isr_ipi'],
  },
  {
    name: 'cpuidloop',
    description: 'C: VM-exit round trip benchmark: 20000 CPUID exits, exit 0',
    format: 'multiboot',
    sources: [...C_RUNTIME, `${guestsDir}/cpuidloop/main.c`],
    linkerScript: MULTIBOOT_LD,
    outcome: 'exit',
    expectedStatus: 1,
    expectedSerialIncludes: ['cpuidloop: 20000 CPUID exits, x=0x'],
    symbols: ['_start', 'kmain'],
  },
  {
    name: 'cpu-selftest',
    description: 'C + asm: IA-32 system-architecture self-tests (privilege, faults and error codes, paging, TLB, gates, #DF, #DB, PAE/NX); PASS/FAIL lines, exit 0 when all pass',
    format: 'multiboot',
    sources: [...C_RUNTIME, `${guestsDir}/cpu-selftest/selftest.c`, `${guestsDir}/cpu-selftest/cpu_asm.s`, `${libDir}/isrStubs.s`, `${libDir}/results.c`],
    linkerScript: MULTIBOOT_LD,
    outcome: 'exit',
    expectedStatus: 1,
    expectedSerialIncludes: ['cpu-selftest: IA-32 system architecture\n', ' failed\n'],
    symbols: ['_start', 'kmain', 'exception_handler', 'run_user', 'gate_target', 'sysenter_entry', 'single_step_code', 'bp_target'],
  },
  {
    name: 'cpu-tasks',
    description: 'C + asm: hardware task switching (JMP/CALL to a TSS or task gate, IRET through NT, #DF task gate, 16-bit TSS, #TS/#GP checks)',
    format: 'multiboot',
    sources: [...C_RUNTIME, `${guestsDir}/cpu-tasks/tasks.c`, `${guestsDir}/cpu-tasks/tasks_asm.s`, `${libDir}/isrStubs.s`, `${libDir}/results.c`],
    linkerScript: MULTIBOOT_LD,
    outcome: 'exit',
    expectedStatus: 1,
    expectedSerialIncludes: ['cpu-tasks: hardware task switching\n', ' failed\n'],
    symbols: ['_start', 'kmain', 'exception_handler', 'task_b_entry', 'task_c_entry', 'df_task_entry', 'task16_entry'],
  },
  {
    name: 'exits',
    description: 'C + asm: every VM exit the VMM enables (CPUID, HLT, interrupt/NMI windows, preemption timer, task switch, CR/DR/MSR access, TSC, RDPMC, INVD/WBINVD, MONITOR/MWAIT, PAUSE, XSETBV, VMX instructions, #UD/#PF, INVLPG, EPT, LAPIC MMIO, descriptor tables, hypercalls incl. HC_MMU_UPDATE) and what the guest sees; PASS/FAIL lines, exit 0',
    format: 'multiboot',
    sources: [...C_RUNTIME, `${guestsDir}/exits/exits.c`, `${guestsDir}/exits/exits_asm.s`, `${libDir}/isrStubs.s`, `${libDir}/results.c`],
    linkerScript: MULTIBOOT_LD,
    outcome: 'exit',
    expectedStatus: 1,
    // COM1 input (the external-interrupt kick) adds one line: the rest is fixed.
    expectedSerialIncludes: ['exits: one guest, every VM exit the VMM enables\n', 'PASS page_table_churn\n', ' 0 failed\n'],
    symbols: ['_start', 'kmain', 'exception_handler', 'irq0_handler', 'nmi_handler', 'task_b_entry', 'iw_marker'],
  },
  {
    name: 'cpu-triple',
    description: 'GNU as: #GP with a not-present gate -> #DF (handler checks error 0), then #DF gate not present -> triple fault',
    format: 'multiboot',
    sources: [`${guestsDir}/cpu-triple/triple.s`, ASM_RUNTIME],
    linkerScript: MULTIBOOT_LD,
    outcome: 'triple-fault',
    expectedStatus: 0,
    expectedSerial: 'cpu-triple: #GP with its gate not present\nPASS double_fault_delivered\ncpu-triple: #DF gate not present, faulting again\n',
    symbols: ['_start', 'df_handler'],
  },
  {
    name: 'revloop',
    description: 'C: one-line for / while loops and a call in a one-line loop (reverse step by line), REP MOVSB and REP OUTSB (step back by instruction), exit 0',
    format: 'multiboot',
    sources: [...C_RUNTIME, `${guestsDir}/revloop/main.c`],
    linkerScript: MULTIBOOT_LD,
    outcome: 'exit',
    expectedStatus: 1,
    expectedSerial: 'revloop: total=10 w=4 sum=6 dst=186\n',
    symbols: ['_start', 'kmain', 'bump', 'rep_work', 'rep_out', 'loop_i', 'loop_total', 'while_w', 'call_j', 'call_sum'],
  },
];

// Raw images (not ELF): linked like the others, then `objcopy -O binary` into build/guests/<output>.
// They boot through the PC platform's firmware paths (`vmm-debug run X.img`, `--bios X.bin`), so they
// have their own manifest (build/guests/images.json) and the ELF-kernel tests do not run them.
// `run` is the CLI arguments after `run` (IMAGE first); `qemu` is the reference command.
export const imageFixtures = [
  {
    name: 'bootsector',
    description: 'GNU as: real-mode boot sector, stage 2 by INT 13h AH=42h, BIOS service checks, protected mode, ATA PIO; PASS/FAIL on COM1',
    kind: 'disk',
    sources: [`${guestsDir}/bootsector/boot.s`],
    linkerScript: `${guestsDir}/bootsector/bootsector.ld`,
    output: 'bootsector.img',
    expectedStatus: 1,
    expectedSerial: [
      'bootsector: stage 2 loaded by INT 13h AH=42h', 'PASS int13 extended read (AH=41h, AH=42h)', 'PASS int13 CHS read (AH=02h)',
      'PASS int13 extended write and read back (AH=43h, AH=42h)', 'PASS int13 drive parameters (AH=08h, AH=48h)',
      'PASS int10 teletype and cursor (AH=0Eh, AH=03h)', 'PASS int15 E820 memory map', 'PASS int15 E801h and AH=88h',
      'PASS int12 conventional memory', 'PASS int1a tick count advances (IRQ0, INT 08h)', 'PASS int16 keyboard status (AH=01h, AH=02h)',
      'PASS a20 by int15 (AX=2401h, AX=2402h)', 'PASS a20 by the 8042 output port',
      'PASS a20 off: FFFF:0610 wraps to 0000:0600', 'PASS a20 by port 0x92 (fast A20)',
      'PASS protected mode, memory above 1 MiB',
      'PASS a20 masking in protected mode (port 0x92)',
      'PASS ata identify (primary master, LBA28 sectors)', 'PASS ata read sectors (LBA 0, boot signature)',
      'PASS ata read sectors sees the int13 write', 'bootsector done', '',
    ].join('\n'),
    qemu: 'qemu-system-i386 -drive file=build/guests/bootsector.img,format=raw -snapshot -serial stdio -display none -device isa-debug-exit,iobase=0xf4,iosize=4 -no-reboot',
  },
  {
    name: 'biosrom',
    description: 'GNU as: a 64 KiB firmware ROM entered at the reset vector: segments, POST codes on 0x80, text on 0xE9, exit via 0xF4',
    kind: 'rom',
    sources: [`${guestsDir}/biosrom/rom.s`],
    linkerScript: `${guestsDir}/biosrom/rom.ld`,
    output: 'biosrom.bin',
    expectedStatus: 1,
    expectedDebugcon: 'biosrom: reset vector reached\nbiosrom: ROM alias at F000:0000 ok\nbiosrom: RAM ok\nbiosrom done\n',
    expectedPost: [0x01, 0x02, 0x03, 0x04],
    qemu: 'qemu-system-i386 -bios build/guests/biosrom.bin -debugcon stdio -display none -device isa-debug-exit,iobase=0xf4,iosize=4 -no-reboot',
  },
];
export const imagesManifestPath = path.join(outDir, 'images.json');
export function imagePath(name) {
  const fx = imageFixtures.find((f) => f.name === name);
  return path.join(outDir, fx ? fx.output : name);
}

export class BuildError extends Error {}

function hex8(n) {
  return (n >>> 0).toString(16).padStart(8, '0');
}

function rel(p) {
  return path.relative(repoRoot, p).split(path.sep).join('/');
}

function run(cmd, args, { input } = {}) {
  const r = spawnSync(cmd, args, { cwd: repoRoot, encoding: 'utf8', input });
  return r;
}

function runOrThrow(cmd, args) {
  const r = run(cmd, args);
  if (r.error) {
    if (r.error.code === 'ENOENT') throw new BuildError(missingTool(cmd));
    throw new BuildError(`${cmd}: ${r.error.message}`);
  }
  if (r.status !== 0) {
    throw new BuildError(`command failed (exit ${r.status}):\n  ${[cmd, ...args].join(' ')}\n${(r.stderr || '') + (r.stdout || '')}`.trimEnd());
  }
  const warnings = (r.stderr || '').trim();
  if (warnings) process.stderr.write(`${warnings}\n`);
}

function missingTool(tool) {
  const what = { [CC]: 'the C compiler', [AS]: 'the GNU assembler', [LD]: 'the GNU linker' }[tool] || 'a tool';
  const where = tool.includes('/') ? '' : ' on PATH';
  return `buildGuests: missing tool: '${tool}' (${what}) was not found${where}. ` +
    'The guest fixtures need gcc, as and ld from a GNU toolchain (Debian: apt-get install gcc binutils).';
}

// Checks that gcc/as/ld exist and can produce 32-bit x86 code.
export function checkToolchain() {
  const tmp = fs.mkdtempSync(path.join(outDir, '.toolcheck-'));
  try {
    for (const tool of [CC, AS, LD]) {
      const r = run(tool, ['--version']);
      if (r.error && r.error.code === 'ENOENT') throw new BuildError(missingTool(tool));
      if (r.error || r.status !== 0) throw new BuildError(`buildGuests: '${tool} --version' failed: ${r.error ? r.error.message : r.stderr}`);
    }
    const cObj = path.join(tmp, 'c.o');
    let r = run(CC, ['-m32', '-ffreestanding', '-fno-pic', '-c', '-x', 'c', '-', '-o', cObj], { input: 'int guest_check(int x) { return x + 1; }\n' });
    if (r.status !== 0) {
      throw new BuildError(`buildGuests: '${CC}' cannot compile 32-bit x86 code (gcc -m32 -ffreestanding -c failed):\n${r.stderr}`.trimEnd());
    }
    const sObj = path.join(tmp, 's.o');
    r = run(AS, ['--32', '-o', sObj], { input: '.text\n.globl _start\n_start: cpuid\n' });
    if (r.status !== 0) {
      throw new BuildError(`buildGuests: '${AS}' does not support --32 (32-bit x86):\n${r.stderr}`.trimEnd());
    }
    r = run(LD, ['-m', 'elf_i386', '-o', path.join(tmp, 'a.elf'), sObj, cObj]);
    if (r.status !== 0) {
      throw new BuildError(`buildGuests: '${LD}' does not support -m elf_i386:\n${r.stderr}`.trimEnd());
    }
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

function listFiles(dirRel) {
  const dir = path.join(repoRoot, dirRel);
  if (!fs.existsSync(dir)) return [];
  return fs.readdirSync(dir, { withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => `${dirRel}/${e.name}`);
}

// Everything whose change should rebuild the fixture.
function dependencies(fx) {
  const deps = new Set([...fx.sources, ...(fx.extraDeps || []), fx.linkerScript, ...listFiles(libDir)]);
  for (const f of listFiles(`${guestsDir}/${fx.name}`)) deps.add(f);
  return [...deps];
}

export function elfPath(name) {
  return path.join(outDir, `${name}.elf`);
}

function isUpToDate(fx) {
  const out = elfPath(fx.name);
  let outTime;
  try {
    outTime = fs.statSync(out).mtimeMs;
  } catch {
    return false;
  }
  const newest = Math.max(fs.statSync(scriptPath).mtimeMs,
    ...dependencies(fx).map((d) => fs.statSync(path.join(repoRoot, d)).mtimeMs));
  return outTime > newest;
}

function objectName(src) {
  return `${src.replace(/^test\/guests\//, '').replace(/[/\\]/g, '_')}.o`;
}

function buildFixture(fx) {
  for (const src of [...fx.sources, ...(fx.extraDeps || []), fx.linkerScript]) {
    if (!fs.existsSync(path.join(repoRoot, src))) throw new BuildError(`buildGuests: ${fx.name}: missing source ${src}`);
  }
  const objDir = path.join(outDir, 'obj', fx.name);
  fs.rmSync(objDir, { recursive: true, force: true });
  fs.mkdirSync(objDir, { recursive: true });
  const objects = [];
  for (const src of fx.sources) {
    const obj = path.join(objDir, objectName(src));
    if (src.endsWith('.c')) runOrThrow(CC, [...CFLAGS, '-c', src, '-o', obj]);
    else if (src.endsWith('.S')) runOrThrow(CC, ['-m32', '-g', `-I${libDir}`, `-Wa,-I,${libDir}`, '-c', src, '-o', obj]);
    else if (src.endsWith('.s')) runOrThrow(AS, [...ASFLAGS, src, '-o', obj]);
    else throw new BuildError(`buildGuests: ${fx.name}: don't know how to build ${src}`);
    objects.push(obj);
  }
  const out = elfPath(fx.name);
  const tmpOut = `${out}.tmp`;
  runOrThrow(LD, [...LDFLAGS, '-T', fx.linkerScript, '-o', tmpOut, ...objects]);
  try {
    validateElf(fx, fs.readFileSync(tmpOut));
  } catch (e) {
    fs.rmSync(tmpOut, { force: true });
    throw e;
  }
  fs.renameSync(tmpOut, out);
}

// ---- ELF32 reading (header, multiboot header, symbol table) ----

export function parseElf32(buf) {
  if (buf.length < 52 || buf.readUInt32BE(0) !== 0x7f454c46) throw new BuildError('not an ELF file');
  if (buf[4] !== 1 || buf[5] !== 1) throw new BuildError('not a little-endian ELF32 file');
  const elf = {
    type: buf.readUInt16LE(16),
    machine: buf.readUInt16LE(18),
    entry: buf.readUInt32LE(24),
    segments: [],
    symbols: new Map(),
  };
  const phoff = buf.readUInt32LE(28);
  const shoff = buf.readUInt32LE(32);
  const phentsize = buf.readUInt16LE(42);
  const phnum = buf.readUInt16LE(44);
  const shentsize = buf.readUInt16LE(46);
  const shnum = buf.readUInt16LE(48);
  for (let i = 0; i < phnum; i++) {
    const o = phoff + i * phentsize;
    elf.segments.push({
      type: buf.readUInt32LE(o), offset: buf.readUInt32LE(o + 4), vaddr: buf.readUInt32LE(o + 8),
      paddr: buf.readUInt32LE(o + 12), filesz: buf.readUInt32LE(o + 16), memsz: buf.readUInt32LE(o + 20),
    });
  }
  const sections = [];
  for (let i = 0; i < shnum; i++) {
    const o = shoff + i * shentsize;
    sections.push({
      type: buf.readUInt32LE(o + 4), offset: buf.readUInt32LE(o + 16), size: buf.readUInt32LE(o + 20),
      link: buf.readUInt32LE(o + 24), entsize: buf.readUInt32LE(o + 36),
    });
  }
  const symtab = sections.find((s) => s.type === 2 /* SHT_SYMTAB */);
  if (symtab) {
    const strtab = sections[symtab.link];
    for (let o = symtab.offset; o + 16 <= symtab.offset + symtab.size; o += 16) {
      const nameOff = buf.readUInt32LE(o);
      if (!nameOff) continue;
      const start = strtab.offset + nameOff;
      const name = buf.toString('latin1', start, buf.indexOf(0, start));
      const shndx = buf.readUInt16LE(o + 14);
      if (shndx === 0) continue; // undefined
      if (!elf.symbols.has(name)) elf.symbols.set(name, buf.readUInt32LE(o + 4));
    }
  }
  return elf;
}

// Offset of a valid Multiboot v1 header in the first 8 KiB, or -1.
export function findMultibootHeader(buf) {
  const end = Math.min(buf.length - 12, 8192 - 12);
  for (let o = 0; o <= end; o += 4) {
    if (buf.readUInt32LE(o) !== 0x1badb002) continue;
    const flags = buf.readUInt32LE(o + 4);
    if (((0x1badb002 + flags + buf.readUInt32LE(o + 8)) >>> 0) === 0) return o;
  }
  return -1;
}

function validateElf(fx, buf) {
  const elf = parseElf32(buf);
  if (elf.type !== 2 || elf.machine !== 3) throw new BuildError(`buildGuests: ${fx.name}: not an ELF32 i386 executable`);
  const mb = findMultibootHeader(buf);
  if (fx.format === 'multiboot' && mb < 0) {
    throw new BuildError(`buildGuests: ${fx.name}: no Multiboot header in the first 8 KiB (is .multiboot first in the link?)`);
  }
  if (fx.format === 'elf' && mb >= 0) throw new BuildError(`buildGuests: ${fx.name}: unexpected Multiboot header`);
  for (const s of fx.symbols || []) {
    if (!elf.symbols.has(s)) throw new BuildError(`buildGuests: ${fx.name}: symbol ${s} not found`);
  }
}

function manifestEntry(fx) {
  const buf = fs.readFileSync(elfPath(fx.name));
  const elf = parseElf32(buf);
  const sym = (name) => {
    if (!elf.symbols.has(name)) throw new BuildError(`buildGuests: ${fx.name}: symbol ${name} not found`);
    return elf.symbols.get(name);
  };
  const entry = {
    name: fx.name,
    path: `${outDirRel}/${fx.name}.elf`,
    description: fx.description,
    format: fx.format,
    entry: elf.entry,
    outcome: fx.outcome,
    expectedStatus: fx.expectedStatus,
  };
  if (fx.expectedSerial !== undefined) {
    entry.expectedSerial = typeof fx.expectedSerial === 'function' ? fx.expectedSerial(sym) : fx.expectedSerial;
  }
  if (fx.expectedSerialIncludes) entry.expectedSerialIncludes = fx.expectedSerialIncludes;
  entry.symbols = Object.fromEntries((fx.symbols || []).map((s) => [s, sym(s)]));
  entry.sources = [...new Set([...fx.sources, ...(fx.extraDeps || [])])];
  return entry;
}

export function buildGuests({ force = false, log = (line) => console.log(line) } = {}) {
  fs.mkdirSync(outDir, { recursive: true });
  checkToolchain();
  let built = 0;
  for (const fx of fixtures) {
    if (!force && isUpToDate(fx)) continue;
    buildFixture(fx);
    built++;
    log(`built ${fx.name.padEnd(8)} -> ${outDirRel}/${fx.name}.elf`);
  }
  built += buildImageFixtures(force, log);
  // teachos (a disk image, not in the manifest: the per-fixture tests boot ELF files)
  if (buildTeachos({ repoRoot, outDir, run: runOrThrow, CC, AS, LD, OBJCOPY, CFLAGS, ASFLAGS, LDFLAGS, extraDeps: [rel(scriptPath)] }, { force })) {
    built++;
    log(`built teachos  -> ${outDirRel}/teachos.img, ${outDirRel}/teachos.elf`);
  }
  const manifest = fixtures.map(manifestEntry);
  const text = `${JSON.stringify(manifest, null, 2)}\n`;
  let old = null;
  try {
    old = fs.readFileSync(manifestPath, 'utf8');
  } catch { /* first build */ }
  if (old !== text) fs.writeFileSync(manifestPath, text);
  if (built === 0) log(`guests: all ${fixtures.length} fixtures up to date (${rel(manifestPath)})`);
  return manifest;
}

function buildImageFixtures(force, log) {
  let built = 0;
  for (const fx of imageFixtures) {
    const out = imagePath(fx.name);
    const newest = Math.max(fs.statSync(scriptPath).mtimeMs, ...dependencies(fx).map((d) => fs.statSync(path.join(repoRoot, d)).mtimeMs));
    let upToDate = false;
    try { upToDate = fs.statSync(out).mtimeMs > newest; } catch { /* not built yet */ }
    if (!force && upToDate) continue;
    const objDir = path.join(outDir, 'obj', fx.name);
    fs.rmSync(objDir, { recursive: true, force: true });
    fs.mkdirSync(objDir, { recursive: true });
    const objects = fx.sources.map((src) => { const obj = path.join(objDir, objectName(src)); runOrThrow(AS, [...ASFLAGS, src, '-o', obj]); return obj; });
    const elf = path.join(outDir, `${fx.name}.elf`);
    runOrThrow(LD, [...LDFLAGS, '-T', fx.linkerScript, '-o', elf, ...objects]);
    runOrThrow(process.env.GUESTS_OBJCOPY || 'objcopy', ['-O', 'binary', elf, `${out}.tmp`]);
    fs.renameSync(`${out}.tmp`, out);
    built++;
    log(`built ${fx.name.padEnd(8)} -> ${outDirRel}/${fx.output}`);
  }
  const manifest = imageFixtures.map((fx) => ({ ...fx, path: `${outDirRel}/${fx.output}` }));
  const text = `${JSON.stringify(manifest, null, 2)}\n`;
  let old = null;
  try { old = fs.readFileSync(imagesManifestPath, 'utf8'); } catch { /* first build */ }
  if (old !== text) fs.writeFileSync(imagesManifestPath, text);
  return built;
}

if (process.argv[1] && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) {
  try {
    buildGuests({ force: process.argv.includes('--force') });
  } catch (e) {
    if (e instanceof BuildError) {
      console.error(e.message);
      process.exit(1);
    }
    throw e;
  }
}
