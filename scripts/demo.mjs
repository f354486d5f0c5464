// `npm run demo`: build the guest fixtures from source and boot teachos (the teaching OS, docs/teachos.md)
// headless from its disk image on two vCPUs, printing its serial output and the VM-exit statistics.
import { spawnSync } from 'node:child_process';
const run = (cmd, args, any = false) => { const r = spawnSync(cmd, args, { stdio: 'inherit' }); if (r.status !== 0 && !any) process.exit(r.status ?? 1); return r.status; };
run(process.execPath, ['scripts/buildGuests.mjs']);
run(process.execPath, ['scripts/build.mjs']);
console.log('\n$ vmm-debug run build/guests/teachos.img --smp 2 --exit-stats\n');
const status = run(process.execPath, ['bin/vmm-debug.js', 'run', 'build/guests/teachos.img', '--smp', '2', '--exit-stats'], true);
console.log(`\n(guest exit status ${status})`);
