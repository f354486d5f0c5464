// Runs before `vsce package` (npm run package): puts the demo guest where the extension looks for it
// (media/guests/demo.elf, used by the "VMM: Run Demo Guest" command). Builds the guest fixtures first
// when build/guests/demo.elf is missing.
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync } from 'node:fs';

const source = 'build/guests/demo.elf';
const target = 'media/guests/demo.elf';

if (!existsSync(source)) {
  console.log(`prepackage: ${source} missing, building guest fixtures`);
  const r = spawnSync(process.execPath, ['scripts/buildGuests.mjs'], { stdio: 'inherit' });
  if (r.status !== 0 || !existsSync(source)) {
    console.error(`prepackage: cannot build ${source} (node scripts/buildGuests.mjs exited ${r.status})`);
    process.exit(1);
  }
}
mkdirSync('media/guests', { recursive: true });
copyFileSync(source, target);
console.log(`prepackage: ${source} -> ${target}`);
