// Builds the teachos operating-system fixture (test/guests/teachos/) into
//   build/guests/teachos.elf  the kernel with DWARF, linked at its load address 0x100000
//                             (user programs' code at 0x40000000), for source debugging
//   build/guests/teachos.img  a raw disk image: LBA 0 boot sector, LBA 16.. the kernel,
//                             LBA 2048.. a 64-sector scratch area (LBA 2049 holds a signature
//                             the IDE self-test reads back); 2 MiB in all
// Called from scripts/buildGuests.mjs with its toolchain settings; uses only node: built-ins.
import fs from 'node:fs';
import path from 'node:path';

const DIR = 'test/guests/teachos';
export const TEACHOS_SCRATCH_LBA = 2048;
// The kernel starts at LBA 16: its Multiboot header must not fall in the image's first 8 KiB.
export const TEACHOS_KERNEL_LBA = 16;
export const TEACHOS_IMAGE_SECTORS = 4096;
const MAX_KERNEL_BYTES = 0x9f000 - 0x10000; // the boot sector reads it to 0x10000, below the EBDA

function listRel(repoRoot, dirRel, exts) {
  const dir = path.join(repoRoot, dirRel);
  return fs.readdirSync(dir).filter((f) => exts.some((e) => f.endsWith(e))).sort().map((f) => `${dirRel}/${f}`);
}

/** Every source of the fixture (for the up-to-date check). */
export function teachosSources(repoRoot) {
  return [
    ...listRel(repoRoot, `${DIR}/boot`, ['.s']),
    ...listRel(repoRoot, `${DIR}/kernel`, ['.c', '.s']),
    ...listRel(repoRoot, `${DIR}/user`, ['.c', '.h']),
    ...listRel(repoRoot, `${DIR}/include`, ['.h']),
    `${DIR}/kernel.ld`, `${DIR}/build.mjs`,
  ];
}

export function teachosPaths(outDir) {
  return { elf: path.join(outDir, 'teachos.elf'), img: path.join(outDir, 'teachos.img') };
}

/**
 * Builds when out of date (or force). tc: { repoRoot, outDir, run(cmd, args), CC, AS, LD,
 * OBJCOPY, CFLAGS, ASFLAGS, LDFLAGS, extraDeps: [paths whose change forces a rebuild] }.
 * Returns true when it built.
 */
export function buildTeachos(tc, { force = false } = {}) {
  const { repoRoot, outDir, run } = tc;
  const { elf, img } = teachosPaths(outDir);
  const sources = teachosSources(repoRoot);
  if (!force && fs.existsSync(img) && fs.existsSync(elf)) {
    const built = Math.min(fs.statSync(img).mtimeMs, fs.statSync(elf).mtimeMs);
    const newest = Math.max(...[...sources, ...(tc.extraDeps || [])].map((s) => fs.statSync(path.resolve(repoRoot, s)).mtimeMs));
    if (built > newest) return false;
  }
  const objDir = path.join(outDir, 'obj', 'teachos');
  fs.rmSync(objDir, { recursive: true, force: true });
  fs.mkdirSync(objDir, { recursive: true });
  const inc = [`-I${DIR}/include`, `-I${DIR}/user`];
  const objects = [];
  for (const src of sources.filter((s) => /\/(kernel|user)\/[^/]+\.[cs]$/.test(s))) {
    // *teachos_user_* names matter: kernel.ld places those objects at the user address.
    const obj = path.join(objDir, `${src.replace(/^test\/guests\//, '').replace(/[/\\]/g, '_')}.o`);
    if (src.endsWith('.c')) run(tc.CC, [...tc.CFLAGS, '-fno-asynchronous-unwind-tables', ...inc, '-c', src, '-o', obj]);
    else run(tc.AS, [...tc.ASFLAGS, src, '-o', obj]);
    objects.push(obj);
  }
  const elfTmp = `${elf}.tmp`;
  run(tc.LD, [...tc.LDFLAGS, '--no-warn-rwx-segments', '-T', `${DIR}/kernel.ld`, '-o', elfTmp, ...objects]);
  const kernelBin = path.join(objDir, 'kernel.bin');
  run(tc.OBJCOPY, ['-O', 'binary', elfTmp, kernelBin]);
  const kernel = fs.readFileSync(kernelBin);
  if (kernel.length > MAX_KERNEL_BYTES) throw new Error(`teachos: kernel image is ${kernel.length} bytes, the boot sector loads at most ${MAX_KERNEL_BYTES}`);
  const kernelSectors = Math.ceil(kernel.length / 512);
  if (TEACHOS_KERNEL_LBA + kernelSectors > TEACHOS_SCRATCH_LBA) throw new Error('teachos: kernel overlaps the scratch area');

  const bootObj = path.join(objDir, 'boot.o');
  const bootBin = path.join(objDir, 'boot.bin');
  run(tc.AS, ['--32', '--defsym', `KERNEL_SECTORS=${kernelSectors}`, '--defsym', `KERNEL_LBA=${TEACHOS_KERNEL_LBA}`, `${DIR}/boot/boot.s`, '-o', bootObj]);
  run(tc.LD, ['-m', 'elf_i386', '--build-id=none', '-Ttext', '0x7c00', '--oformat', 'binary', '-e', '_start', bootObj, '-o', bootBin]);
  const boot = fs.readFileSync(bootBin);
  if (boot.length !== 512 || boot.readUInt16LE(510) !== 0xaa55) throw new Error(`teachos: boot sector is ${boot.length} bytes or lacks 0x55 0xAA`);

  const image = Buffer.alloc(TEACHOS_IMAGE_SECTORS * 512);
  boot.copy(image, 0);
  kernel.copy(image, TEACHOS_KERNEL_LBA * 512);
  image.write('TEACHOS SCRATCH SECTOR', (TEACHOS_SCRATCH_LBA + 1) * 512, 'latin1');
  fs.writeFileSync(`${img}.tmp`, image);
  fs.renameSync(`${img}.tmp`, img);
  fs.renameSync(elfTmp, elf);
  return true;
}
