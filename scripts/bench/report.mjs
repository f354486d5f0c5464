// Last step of `npm run bench`: gathers the figures the benchmarks wrote (build/bench/report.json
// from main.ts, build/bench/latency.json from dapLatency.ts) with the machine and the native
// baseline used, into one JSON and one markdown report: build/bench/bench.{json,md} and
// docs/bench/bench.{json,md} (committed, so the figures in the docs come from a real run).
import * as fs from 'node:fs';
import * as os from 'node:os';

const read = (p) => (fs.existsSync(p) ? JSON.parse(fs.readFileSync(p, 'utf8')) : undefined);
const core = read('build/bench/report.json');
const latency = read('build/bench/latency.json');
if (!core) { console.error('bench report: build/bench/report.json missing (run npm run bench)'); process.exit(1); }

/** Which native binary the baseline ran: the ELF machine of build/bench/native. */
function nativeBaseline() {
  const p = 'build/bench/native';
  if (!fs.existsSync(p)) return { binary: p, arch: 'missing' };
  const b = fs.readFileSync(p);
  const machine = b.readUInt16LE(18);
  const arch = machine === 62 ? 'x86-64' : machine === 3 ? 'i386' : `e_machine ${machine}`;
  return {
    binary: p, arch, compiler: 'gcc -O1', source: 'test/guests/cpuloop/workload.c (the guest\'s own workload)',
    why: arch === 'x86-64'
      ? 'the same C workload built for the host as a 64-bit program (it runs on kernels without 32-bit support and needs no 32-bit libc); the guest runs it as i386 code, so "guest-instruction-equivalent MIPS" divides the guest\'s instruction count by the native time'
      : 'the same C workload built for i386',
  };
}

const machine = {
  cpu: (os.cpus()[0]?.model ?? 'unknown').trim(), cores: os.cpus().length, memoryGiB: Math.round(os.totalmem() / 2 ** 30),
  os: `${os.type()} ${os.release()} ${os.arch()}`, node: process.version,
  note: 'shared machine: other jobs may run at the same time; each ratio is measured within one run',
};
const report = { date: new Date().toISOString(), machine, nativeBaseline: nativeBaseline(), ...core, dapLatency: latency };

const c = core.cpuloop;
const md = [
  '# vmm-debug benchmarks (`npm run bench`)',
  '',
  `Run ${report.date.slice(0, 16).replace('T', ' ')} UTC on ${machine.cpu}, ${machine.cores} cores, ${machine.memoryGiB} GiB, ${machine.os}, node ${machine.node}. ${machine.note}.`,
  '',
  `Native baseline: ${report.nativeBaseline.arch} (${report.nativeBaseline.compiler}) of ${report.nativeBaseline.source}: ${report.nativeBaseline.why}.`,
  '',
  '| measure | value |',
  '|---|---|',
  `| cpuloop guest MIPS (interpreter, EPT, paging on) | ${c.guestMips.toFixed(1)} |`,
  `| cpuloop natively (${report.nativeBaseline.arch}), seconds / guest-instruction-equivalent MIPS | ${c.nativeSeconds.toFixed(3)} / ${c.nativeGuestEquivalentMips.toFixed(0)} |`,
  `| slowdown vs native | ${c.slowdownVsNative.toFixed(0)}x |`,
  `| heap growth per 10^8 guest instructions | ${(c.heapGrowthBytesPer1e8 / 1024).toFixed(1)} KiB |`,
  `| one instruction step through the core API | ${c.singleStepMicros.toFixed(2)} µs |`,
  '',
];
// The time-travel and MMU sections as main.ts rendered them (build/bench/report.md): depths,
// overhead by wall and CPU time, ptchurn and teachos history.
const coreMd = fs.existsSync('build/bench/report.md') ? fs.readFileSync('build/bench/report.md', 'utf8') : '';
const ttAt = coreMd.indexOf('## Time travel');
const mmuAt = coreMd.indexOf('## Memory virtualization');
if (ttAt >= 0) md.push(coreMd.slice(ttAt, mmuAt >= 0 ? mmuAt : undefined).trim(), '');
if (mmuAt >= 0) md.push(coreMd.slice(mmuAt).trim(), '');
if (latency) {
  md.push(`## DAP latency (${latency.image}, bundled adapter over stdio)`, '', '| measure | value |', '|---|---|',
    `| launch to first stop, median of ${latency.launchToFirstStopMs.all.length} | ${latency.launchToFirstStopMs.median.toFixed(1)} ms |`,
    `| step round trip, median / p90 / max of ${latency.stepRoundTripMs.steps} | ${latency.stepRoundTripMs.median.toFixed(2)} / ${latency.stepRoundTripMs.p90.toFixed(2)} / ${latency.stepRoundTripMs.max.toFixed(2)} ms |`, '');
}
md.push('Peers (QEMU TCG, Bochs, v86) on the same images: `npm run compare`, docs/bench/compare.md.', '');
const text = md.join('\n');
for (const dir of ['build/bench', 'docs/bench']) {
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(`${dir}/bench.json`, JSON.stringify(report, null, 2) + '\n');
  fs.writeFileSync(`${dir}/bench.md`, text);
}
console.log(`\nbench report: docs/bench/bench.md, docs/bench/bench.json (native baseline ${report.nativeBaseline.arch})`);
