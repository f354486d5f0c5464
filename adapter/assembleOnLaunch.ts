// F5 on an assembly file: a launch `image` naming a .asm/.nasm file is assembled (src/core/asm) into
// a Multiboot ELF with the line table as DWARF .debug_line, so source breakpoints and line stepping
// work in the .asm file. A source without the `multiboot` directive gets a header automatically;
// without `org` it is placed at 1 MiB. Assembly errors become one launch error naming file:line.
import { assemble } from '../src/core/asm/assembler';
import { toMultibootElf, OutputError } from '../src/core/asm/output';

/** The source does not assemble; the message names file:line (launchConfig.ts shows it as a launch error). */
export class AssemblyError extends Error {
  override name = 'AssemblyError';
}

/** Launch images with these extensions are assembled, not loaded. */
export const ASSEMBLY_IMAGE = /\.(asm|nasm)$/i;

export function assembleImage(sourcePath: string, text: string): Uint8Array {
  const r = assemble(text, { origin: 0x100000, multibootHeader: true });
  const errors = r.diagnostics.filter((d) => d.severity === 'error');
  if (errors.length) {
    const shown = errors.slice(0, 5).map((d) => `${sourcePath}:${d.line}: ${d.message}`).join('\n');
    const more = errors.length > 5 ? `\n(${errors.length - 5} more)` : '';
    throw new AssemblyError(`cannot assemble "${sourcePath}":\n${shown}${more}`);
  }
  try {
    return toMultibootElf(r, { sourcePath });
  } catch (e) {
    if (e instanceof OutputError) throw new AssemblyError(`cannot assemble "${sourcePath}": ${e.message}`);
    throw e;
  }
}
