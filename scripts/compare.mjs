// `npm run compare` (issues 5 and 9): the same guest images under this VMM and, where installed,
// under QEMU TCG (qemu-system-i386), Bochs (headless) and v86 (npm package). Checks that every
// emulator prints the same serial output as this VMM, and reports speed in the same run:
// whole-run wall time per image, and cpuloop guest MIPS = cpuloop's retired instructions divided by
// (wall time of cpuloop - wall time of hello) on the same emulator, so boot and start-up cost cancel.
// Writes build/compare/compare.{json,md}; with --docs also docs/bench/compare.{json,md}.
// Not part of `npm test`: peers are optional, and speed is never asserted.
import { spawn, spawnSync, execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { elfToFloppy } from './compareFloppy.mjs';

const args = process.argv.slice(2);
const toDocs = args.includes('--docs');
const only = args.find((a) => a.startsWith('--only='))?.slice(7).split(',');
const IMAGES = (args.find((a) => a.startsWith('--images='))?.slice(9).split(',')) ?? ['hello', 'io', 'ptchurn', 'cpuloop'];
/** cpuloop's retired instructions under this VMM (scripts/bench.mjs GUEST_INSNS): the same code on every correct x86. */
const CPULOOP_INSNS = 524_994_499;
const TIMEOUT_S = Number(process.env.COMPARE_TIMEOUT ?? 600);
/** The OS fixture as a raw disk image (docs/teachos.md), booted from its boot sector by each emulator's BIOS. */
const DISK = path.resolve('build/guests/teachos.img');
const DISK_RUNS = args.includes('--no-teachos') ? [] : [1, 2];
/** teachos finishes in seconds everywhere it works: a peer that hangs in it is cut off sooner than the images' limit. */
const DISK_TIMEOUT_S = Number(process.env.COMPARE_TEACHOS_TIMEOUT ?? 120);
const MEM_MIB = 64;

const must = (r, what) => { if (r.status !== 0) { console.error(`compare: ${what} failed`); process.exit(1); } };
must(spawnSync(process.execPath, ['scripts/buildGuests.mjs'], { stdio: 'inherit' }), 'building guests');
must(spawnSync(process.execPath, ['scripts/build.mjs'], { stdio: 'inherit' }), 'bundling the CLI');
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'vmm-compare-'));
const elf = (name) => path.resolve('build/guests', `${name}.elf`);
const have = (cmd, arg = '--version') => { try { execFileSync(cmd, [arg], { stdio: 'ignore' }); return true; } catch { return false; } };
const firstExisting = (...ps) => ps.find((p) => fs.existsSync(p));

/** Run a command; resolve when it exits or when `done(serial)` says the run is complete. */
function runProcess(cmd, argv, { serialFile, done, cwd, timeoutS = TIMEOUT_S } = {}) {
  return new Promise((resolve) => {
    const t0 = process.hrtime.bigint();
    const p = spawn(cmd, argv, { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '', err = '', finished = false, timer, poll;
    const seconds = () => Number(process.hrtime.bigint() - t0) / 1e9;
    const serial = () => (serialFile ? (fs.existsSync(serialFile) ? fs.readFileSync(serialFile, 'latin1') : '') : out);
    const finish = (status, how) => {
      if (finished) return;
      finished = true;
      const s = seconds();
      clearTimeout(timer); clearInterval(poll);
      if (p.exitCode === null) p.kill('SIGKILL');
      resolve({ status, seconds: s, serial: serial(), how, stderr: err.slice(-2000) });
    };
    p.stdout.on('data', (d) => { out += d.toString('latin1'); if (done?.(serial())) finish(null, 'output complete'); });
    p.stderr.on('data', (d) => { err += d.toString(); });
    p.on('exit', (code) => finish(code, 'exited'));
    p.on('error', (e) => { err += String(e); finish(-1, 'failed to start'); });
    if (serialFile) poll = setInterval(() => { if (done?.(serial())) finish(null, 'output complete'); }, 20);
    timer = setTimeout(() => finish(null, `timeout ${timeoutS}s`), timeoutS * 1000);
  });
}

/** Finished when the serial output holds everything this VMM printed (peers without a debug-exit device). */
const completeWhenSame = (expected) => (s) => expected !== undefined && s.length >= expected.length && s.startsWith(expected);
/** ... or, for teachos, when it printed its self-test verdict (its output may legitimately differ, see teachosMatch). */
const completeWhen = (expected) => (s) => completeWhenSame(expected)(s) || /\nteachos: \d+ passed, \d+ failed\n/.test(s);

/**
 * teachos's output against this VMM's: "same" byte for byte; "same modulo CPU discovery" when only the
 * lines that depend on the firmware's tables differ (which table named the CPUs: ACPI MADT or MP table);
 * else "differs". Its output does not depend on timing by design (ADR 0007), so nothing else may differ.
 */
function teachosMatch(out, ref) {
  if (out === ref) return 'same';
  const norm = (t) => t.replace(/from the (MP table|ACPI MADT|default \(no tables\))/g, 'from the <tables>').replace(/^(boot|mp): .*$/gm, '$1: <firmware>');
  return norm(out) === norm(ref) ? 'same modulo CPU discovery' : 'differs';
}
function firstDifference(out, ref) {
  const a = out.split('\n'), b = ref.split('\n');
  const i = a.findIndex((l, k) => l !== b[k]);
  return i < 0 ? `${a.length} lines, reference ${b.length}` : `line ${i + 1}: "${a[i] ?? ''}" (vmm-debug: "${b[i] ?? ''}")`;
}

const emulators = [];

// ---- this VMM (the reference), through its CLI
emulators.push({
  name: 'vmm-debug', version: JSON.parse(fs.readFileSync('package.json', 'utf8')).version,
  available: () => true,
  run: (name) => runProcess(process.execPath, ['bin/vmm-debug.js', 'run', elf(name)]),
  // The disk is copy-on-write inside the VM: the image is never written.
  runDisk: (smp) => runProcess(process.execPath, ['bin/vmm-debug.js', 'run', DISK, '--smp', String(smp)], { timeoutS: DISK_TIMEOUT_S }),
});

/** A private copy of the disk image for a peer that writes to its disk (teachos's IDE write test). */
function diskCopy(tag) {
  const dir = fs.mkdtempSync(path.join(work, `disk-${tag}-`));
  const img = path.join(dir, 'teachos.img');
  fs.copyFileSync(DISK, img);
  return { dir, img };
}

// ---- QEMU TCG
emulators.push({
  name: 'qemu-tcg',
  version: have('qemu-system-i386') ? execFileSync('qemu-system-i386', ['--version']).toString().split('\n')[0] : '',
  available: () => have('qemu-system-i386') || 'qemu-system-i386 not installed',
  run: (name) => runProcess('qemu-system-i386', ['-accel', 'tcg', '-m', String(MEM_MIB), '-kernel', elf(name), '-serial', 'stdio', '-display', 'none',
    '-nodefaults', '-device', 'isa-debug-exit,iobase=0xf4,iosize=0x04', '-no-reboot']),
  // SeaBIOS boots the disk; QEMU writes to it, so it gets a copy. Memory as this VMM's default guest.
  runDisk: (smp) => runProcess('qemu-system-i386', ['-accel', 'tcg', '-smp', String(smp), '-m', String(MEM_MIB),
    '-drive', `file=${diskCopy(`qemu${smp}`).img},format=raw,if=ide`, '-serial', 'stdio', '-display', 'none', '-monitor', 'none',
    '-device', 'isa-debug-exit,iobase=0xf4,iosize=0x04', '-no-reboot'], { timeoutS: DISK_TIMEOUT_S }),
});

// ---- Bochs, headless, booted from a floppy that carries a small Multiboot loader (scripts/compareBoot.asm)
const BOCHS_BIOS = firstExisting('/usr/share/bochs/BIOS-bochs-latest', '/usr/local/share/bochs/BIOS-bochs-latest');
const BOCHS_NOGUI = ['/usr/lib/x86_64-linux-gnu/bochs/plugins', '/usr/local/lib/bochs/plugins'].some((d) => fs.existsSync(d) && fs.readdirSync(d).some((f) => f.startsWith('libbx_nogui')));
const BOCHS_VGA = firstExisting('/usr/share/bochs/VGABIOS-lgpl-latest', '/usr/local/share/bochs/VGABIOS-lgpl-latest', '/usr/share/vgabios/vgabios.bin');
emulators.push({
  name: 'bochs',
  version: have('bochs', '--help') ? (spawnSync('dpkg-query', ['-W', '-f=${Version}', 'bochs']).stdout?.toString() || 'installed') : '',
  available: () => (!have('bochs', '--help') ? 'bochs not installed' : !BOCHS_BIOS || !BOCHS_VGA ? 'Bochs BIOS images not found' :
    !have('nasm', '-v') ? 'nasm (for the boot loader) not installed' : true),
  run: (name, expected) => {
    const dir = fs.mkdtempSync(path.join(work, `bochs-${name}-`));
    fs.writeFileSync(path.join(dir, 'floppy.img'), elfToFloppy(elf(name), work, MEM_MIB));
    return runBochs(dir, ['floppya: 1_44=floppy.img, status=inserted', 'boot: floppy', 'floppy_bootsig_check: disabled=0'], 1, expected);
  },
  // The raw disk as the primary IDE master, flat; the CPU count Bochs was built for (SMP builds only).
  runDisk: (smp, expected) => {
    const { dir, img } = diskCopy(`bochs${smp}`);
    // Bochs refuses a geometry larger than the file: pick sectors per track that divide it exactly.
    const sectors = fs.statSync(img).size / 512;
    const spt = [63, 32, 16].find((n) => sectors % (16 * n) === 0) ?? 63;
    const cyl = Math.floor(sectors / (16 * spt));
    return runBochs(dir, [`ata0-master: type=disk, path=${img}, mode=flat, cylinders=${cyl}, heads=16, spt=${spt}`, 'boot: disk'], smp, expected, DISK_TIMEOUT_S);
  },
});

function runBochs(dir, bootLines, cpus, expected, timeoutS = TIMEOUT_S) {
    fs.writeFileSync(path.join(dir, 'bochsrc'), [
      `megs: ${MEM_MIB}`,
      `romimage: file=${BOCHS_BIOS}`,
      `vgaromimage: file=${BOCHS_VGA}`,
      // Debian's Bochs 2.7 aborts ("buffer overflow detected") while one of these optional plugins
      // initializes; the guests need none of them.
      'plugin_ctrl: unmapped=0, biosdev=0, speaker=0, extfpuirq=0, parallel=0, serial=1, gameport=0, iodebug=0',
      ...bootLines,
      // nogui where it was built in; Debian ships only rfb/wx: rfb with no wait for a viewer is headless.
      BOCHS_NOGUI ? 'display_library: nogui' : 'display_library: rfb, options="timeout=0"',
      'com1: enabled=1, mode=file, dev=serial.txt',
      'port_e9_hack: enabled=1',
      'clock: sync=none',
      `cpu: count=${cpus}, reset_on_triple_fault=0`,
      'log: bochs.log',
      'panic: action=fatal', 'error: action=report', 'info: action=ignore', 'debug: action=ignore',
      '',
    ].join('\n'));
    // Debian builds Bochs with its debugger, which stops at the first instruction: the rc file continues.
    fs.writeFileSync(path.join(dir, 'debugger.rc'), 'continue\nquit\n');
    return runProcess('bochs', ['-q', '-f', 'bochsrc', '-rc', 'debugger.rc'], { cwd: dir, serialFile: path.join(dir, 'serial.txt'), done: completeWhen(expected), timeoutS });
}

// ---- v86 (npm package, WebAssembly), booted like Bochs from the loader floppy
const V86_BIOS = firstExisting('/usr/share/seabios/bios-256k.bin', '/usr/share/seabios/bios.bin', BOCHS_BIOS ?? '');
const V86_VGA = firstExisting('/usr/share/seabios/vgabios-stdvga.bin', BOCHS_VGA ?? '');
let v86Mod;
emulators.push({
  name: 'v86',
  version: (() => { try { return JSON.parse(fs.readFileSync('node_modules/v86/package.json', 'utf8')).version; } catch { return ''; } })(),
  available: async () => {
    try { v86Mod = await import('v86'); } catch (e) { return `v86 package not installed (${e.message})`; }
    if (!V86_BIOS || !V86_VGA) return 'no BIOS/VGA BIOS image on this machine (v86 needs SeaBIOS or the Bochs BIOS; none ships in the package)';
    if (!have('nasm', '-v')) return 'nasm (for the boot loader) not installed';
    return true;
  },
  run: (name, expected) => runV86({ fda: floppy(name) }, 0x321, expected, TIMEOUT_S),
  // v86 models one CPU: --smp 2 is not run there.
  runDisk: (smp, expected) => (smp === 1 ? runV86({ hda: fs.readFileSync(DISK) }, 0x312, expected, DISK_TIMEOUT_S) : undefined),
});
const floppy = (name) => elfToFloppy(elf(name), work, MEM_MIB);

function runV86(drives, bootOrder, expected, timeoutS) {
  return new Promise((resolve) => {
    const t0 = process.hrtime.bigint();
    const seconds = () => Number(process.hrtime.bigint() - t0) / 1e9;
    let serial = '', finished = false, timer;
    const toAb = (b) => b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength);
    const emulator = new v86Mod.V86({
      wasm_path: path.resolve('node_modules/v86/build/v86.wasm'),
      bios: { buffer: toAb(fs.readFileSync(V86_BIOS)) },
      vga_bios: { buffer: toAb(fs.readFileSync(V86_VGA)) },
      ...Object.fromEntries(Object.entries(drives).map(([k, b]) => [k, { buffer: toAb(b) }])),
      boot_order: bootOrder,
      memory_size: MEM_MIB * 1024 * 1024,
      autostart: true, disable_keyboard: true, disable_mouse: true, disable_speaker: true,
    });
    const finish = (status, how) => {
      if (finished) return;
      finished = true;
      const s = seconds();
      clearTimeout(timer);
      try { emulator.destroy(); } catch { /* already stopped */ }
      resolve({ status, seconds: s, serial, how, stderr: '' });
    };
    emulator.add_listener('serial0-output-byte', (b) => {
      serial += String.fromCharCode(b);
      if (completeWhen(expected)(serial)) finish(null, 'output complete');
    });
    // isa-debug-exit at 0xf4 (the fixtures' exit), where v86's port bus lets us listen.
    emulator.add_listener('emulator-ready', () => {
      try {
        const io = emulator.v86.cpu.io;
        const exit = (v) => finish(((v & 0xff) << 1) | 1, 'exited');
        io.register_write(0xf4, {}, exit, exit, exit);
      } catch { /* internal API moved: fall back to output completion */ }
    });
    timer = setTimeout(() => finish(null, `timeout ${timeoutS}s`), timeoutS * 1000);
  });
}

// ---- run everything
const machine = {
  cpu: (os.cpus()[0]?.model ?? 'unknown').trim(), cores: os.cpus().length, memoryGiB: Math.round(os.totalmem() / 2 ** 30),
  os: `${os.type()} ${os.release()} ${os.arch()}`, node: process.version,
  note: 'shared machine: other jobs may run at the same time, so absolute times vary; ratios are from one run',
  loadAverageAtStart: os.loadavg().map((x) => Number(x.toFixed(1))),
};
const results = {};
let reference = {};
for (const emu of emulators) {
  if (only && emu.name !== 'vmm-debug' && !only.includes(emu.name)) continue;
  const ok = await emu.available();
  if (ok !== true) { results[emu.name] = { version: emu.version, notRun: ok }; console.log(`${emu.name}: not run (${ok})`); continue; }
  const runs = {};
  // One untimed run first: start-up costs paid once per emulator (v86 compiles its WebAssembly,
  // node and QEMU warm their caches) would otherwise land on whichever image runs first.
  try { await emu.run('hello', reference.hello?.serial); } catch { /* the timed run reports it */ }
  for (const name of IMAGES) {
    process.stdout.write(`${emu.name} ${name} ... `);
    let r;
    try { r = await emu.run(name, reference[name]?.serial); } catch (e) { r = { status: -1, seconds: 0, serial: '', how: `error: ${e.message}` }; }
    const same = emu.name === 'vmm-debug' ? true : r.serial === reference[name]?.serial;
    runs[name] = { seconds: r.seconds, status: r.status, how: r.how, serialMatches: same, serialBytes: r.serial.length };
    if (!same) runs[name].serial = r.serial.slice(0, 400);
    if (emu.name === 'vmm-debug') reference[name] = { serial: r.serial, status: r.status };
    console.log(`${r.seconds.toFixed(2)} s, ${r.how}${r.status !== null ? ` (status ${r.status})` : ''}, serial ${same ? 'matches' : 'DIFFERS'}`);
  }
  // The OS fixture from its disk image, --smp 1 and 2 where the emulator models that many CPUs.
  const disk = {};
  for (const smp of DISK_RUNS) {
    const key = `teachos-smp${smp}`;
    const ref = reference[key]?.serial;
    let r;
    try { r = await emu.runDisk?.(smp, ref); } catch (e) { r = { status: -1, seconds: 0, serial: '', how: `error: ${e.message}` }; }
    if (!r) continue; // not modelled there (v86: one CPU)
    process.stdout.write(`${emu.name} ${key} ... `);
    const match = emu.name === 'vmm-debug' ? 'same' : teachosMatch(r.serial, ref ?? '');
    const passed = /teachos: (\d+) passed, (\d+) failed/.exec(r.serial);
    disk[key] = { seconds: r.seconds, status: r.status, how: r.how, serialMatch: match, selfTest: passed ? passed[0] : 'no result line', serialBytes: r.serial.length };
    if (match === 'differs') {
      disk[key].firstDifference = firstDifference(r.serial, ref ?? '');
      disk[key].lastLine = r.serial.trimEnd().split('\n').at(-1) ?? '';
    }
    if (emu.name === 'vmm-debug') reference[key] = { serial: r.serial, status: r.status };
    console.log(`${r.seconds.toFixed(2)} s, ${r.how}${r.status !== null ? ` (status ${r.status})` : ''}, ${disk[key].selfTest}, serial ${match}`);
  }
  const res = { version: emu.version, runs, ...(Object.keys(disk).length ? { disk } : {}) };
  // Only when cpuloop clearly dominates its run; otherwise start-up noise would make the figure meaningless.
  const compute = runs.cpuloop && runs.hello ? runs.cpuloop.seconds - runs.hello.seconds : 0;
  if (runs.cpuloop?.serialMatches && compute > 0.25 * runs.cpuloop.seconds) res.cpuloopMips = CPULOOP_INSNS / compute / 1e6;
  results[emu.name] = res;
}
const ours = results['vmm-debug'];
for (const [name, r] of Object.entries(results)) {
  if (name === 'vmm-debug' || !r.runs) continue;
  if (r.cpuloopMips && ours.cpuloopMips) r.speedRatio = { cpuloopMipsOursOverPeer: ours.cpuloopMips / r.cpuloopMips };
  r.wallTimeRatio = Object.fromEntries(Object.keys(r.runs).map((k) => [k, ours.runs[k].seconds / r.runs[k].seconds]));
  // A time ratio only where both ran teachos to its verdict (a peer cut off by the limit has no finish time).
  if (r.disk) r.bootToFinishRatio = Object.fromEntries(Object.keys(r.disk).filter((k) => ours.disk?.[k] && r.disk[k].selfTest !== 'no result line')
    .map((k) => [k, ours.disk[k].seconds / r.disk[k].seconds]));
}
const report = { date: new Date().toISOString(), machine, cpuloopInstructions: CPULOOP_INSNS, images: IMAGES, results };

// ---- markdown
const f2 = (x) => (x === undefined ? '—' : x.toFixed(2));
const md = [
  '# vmm-debug against other PC emulators (`npm run compare`)',
  '',
  `Run ${report.date.slice(0, 16).replace('T', ' ')} UTC on ${machine.cpu}, ${machine.cores} cores, ${machine.memoryGiB} GiB, ${machine.os}, node ${machine.node}; load average ${machine.loadAverageAtStart.join(' / ')} (1/5/15 min) at the start. ${machine.note}.`,
  '',
  'Every image is a Multiboot guest of test/guests; QEMU loads it with `-kernel`, Bochs and v86 boot a floppy whose boot sector',
  '(scripts/compareBoot.asm) loads it and enters it in the Multiboot state. "serial" says whether the emulator printed exactly what',
  'this VMM printed. cpuloop MIPS = 524,994,499 instructions / (cpuloop wall time − hello wall time), same emulator, same run.',
  'vmm-debug and QEMU runs end when the guest writes the isa-debug-exit port; Bochs and v86 have no such device, so their',
  'runs end when the serial output is complete. Each emulator first runs hello once untimed (start-up, WebAssembly compile).',
  '',
  '| emulator | version | ' + IMAGES.map((n) => `${n} (s, serial)`).join(' | ') + ' | cpuloop MIPS | vmm-debug MIPS / peer MIPS |',
  '|---|---|' + IMAGES.map(() => '---|').join('') + '---|---|',
  ...Object.entries(results).map(([name, r]) => r.notRun
    ? `| ${name} | ${r.version || '—'} | not run: ${r.notRun} |` + IMAGES.slice(1).map(() => ' |').join('') + ' | |'
    : `| ${name} | ${r.version} | ` + IMAGES.map((n) => r.runs[n] ? `${f2(r.runs[n].seconds)}, ${r.runs[n].serialMatches ? 'same' : '**differs**'}` : '—').join(' | ') +
      ` | ${r.cpuloopMips ? r.cpuloopMips.toFixed(1) : '—'} | ${r.speedRatio ? r.speedRatio.cpuloopMipsOursOverPeer.toFixed(3) : name === 'vmm-debug' ? '1' : '—'} |`),
  '',
  'Whole-run wall time, vmm-debug / peer (below 1: vmm-debug is faster):',
  '',
  '| peer | ' + IMAGES.join(' | ') + ' |',
  '|---|' + IMAGES.map(() => '---|').join(''),
  ...Object.entries(results).filter(([n, r]) => n !== 'vmm-debug' && r.wallTimeRatio).map(([n, r]) => `| ${n} | ` + IMAGES.map((k) => f2(r.wallTimeRatio[k])).join(' | ') + ' |'),
  '',
  ...Object.entries(results).flatMap(([n, r]) => Object.entries(r.runs ?? {}).filter(([, x]) => !x.serialMatches).map(([img, x]) =>
    `- ${n} ${img}: serial differs (${x.how}); first bytes: \`${JSON.stringify(x.serial ?? '')}\``)),
  '',
  ...(DISK_RUNS.length ? [
    '## The OS fixture: teachos from its disk image',
    '',
    '`build/guests/teachos.img` (docs/teachos.md) booted from its boot sector by each emulator\'s own BIOS: the paravirtual BIOS here,',
    'SeaBIOS under QEMU, the Bochs BIOS, SeaBIOS under v86 (hard disk first). The time is boot to finish: process start until the',
    'guest writes isa-debug-exit (this VMM, QEMU) or prints its verdict line `teachos: N passed, M failed` (Bochs, v86). "serial"',
    'compares the whole COM1 output with this VMM\'s: "same" byte for byte; "same modulo CPU discovery" when only the line naming',
    'the firmware table that listed the CPUs differs (the output is otherwise timing-independent by design, ADR 0007). v86',
    'models one CPU, so it runs --smp 1 only; Bochs runs --smp 2 only where it was built with SMP. Start-up is included (compare',
    'each emulator\'s hello time above: for vmm-debug most of it is Node starting and loading the bundle).',
    '',
    '| emulator | ' + DISK_RUNS.map((n) => `--smp ${n}: s, self-test, serial`).join(' | ') + ' | ' + DISK_RUNS.map((n) => `vmm-debug / peer time, --smp ${n}`).join(' | ') + ' |',
    '|---|' + DISK_RUNS.map(() => '---|').join('') + DISK_RUNS.map(() => '---|').join(''),
    ...Object.entries(results).filter(([, r]) => r.runs).map(([name, r]) => `| ${name} | ` + DISK_RUNS.map((n) => {
      const d = r.disk?.[`teachos-smp${n}`];
      return d ? `${f2(d.seconds)}, ${d.selfTest.replace('teachos: ', '')}, ${d.serialMatch === 'differs' ? '**differs**' : d.serialMatch}` : 'not run';
    }).join(' | ') + ' | ' + DISK_RUNS.map((n) => (name === 'vmm-debug' ? '1' : f2(r.bootToFinishRatio?.[`teachos-smp${n}`]))).join(' | ') + ' |'),
    '',
    ...Object.entries(results).flatMap(([n, r]) => Object.entries(r.disk ?? {}).filter(([, x]) => x.firstDifference).map(([k, x]) => `- ${n} ${k}: ${x.how}; first difference at ${x.firstDifference}; its last line: "${x.lastLine}"`)),
    '',
  ] : []),
].join('\n');
fs.mkdirSync('build/compare', { recursive: true });
fs.writeFileSync('build/compare/compare.json', JSON.stringify(report, null, 2));
fs.writeFileSync('build/compare/compare.md', md);
if (toDocs) {
  fs.mkdirSync('docs/bench', { recursive: true });
  fs.writeFileSync('docs/bench/compare.json', JSON.stringify(report, null, 2));
  fs.writeFileSync('docs/bench/compare.md', md);
}
console.log('\n' + md);
fs.rmSync(work, { recursive: true, force: true });
process.exit(0);
