// The launch configuration the configuration provider offers by default (F5 without launch.json, the
// dynamic "VMM: <file>.elf" entries): pure data, no `vscode` import, so tests check it against the
// adapter's launch.json parser (test/dap/launchSchema.test.ts).
import * as path from 'node:path';

export interface DefaultConfiguration {
  type: 'vmm';
  request: 'launch';
  name: string;
  image: string;
  mmu: 'ept';
  stopOnEntry: true;
  serial: 'debugConsole';
}

/** `imagePath` absolute; `folder` the workspace folder's path, if the image is inside one. */
export function defaultConfiguration(imagePath: string, folder: string | undefined): DefaultConfiguration {
  const rel = folder && imagePath.startsWith(folder + path.sep) ? path.relative(folder, imagePath) : undefined;
  return {
    type: 'vmm',
    request: 'launch',
    name: `VMM: ${path.basename(imagePath)}`,
    image: rel !== undefined ? '${workspaceFolder}/' + rel.split(path.sep).join('/') : imagePath,
    mmu: 'ept',
    stopOnEntry: true,
    serial: 'debugConsole',
  };
}
