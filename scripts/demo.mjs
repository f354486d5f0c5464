// `npm run demo`: build the demo guest from source and boot it headless, printing its serial output
// and the VM-exit statistics table.
import { spawnSync } from 'node:child_process';
const run = (cmd, args, any = false) => { const r = spawnSync(cmd, args, { stdio: 'inherit' }); if (r.status !== 0 && !any) process.exit(r.status ?? 1); return r.status; };
run(process.execPath, ['scripts/buildGuests.mjs']);
run(process.execPath, ['scripts/build.mjs']);
console.log('\n$ vmm-debug run build/guests/demo.elf --exit-stats\n');
const status = run(process.execPath, ['bin/vmm-debug.js', 'run', 'build/guests/demo.elf', '--exit-stats'], true);
console.log(`\n(guest exit status ${status})`);
