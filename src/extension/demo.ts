// "VMM: Run Demo Guest": debugs the bundled demo guest (media/guests/demo.elf), no launch.json needed.
import * as fs from 'node:fs';
import * as vscode from 'vscode';

export async function runDemo(context: vscode.ExtensionContext): Promise<void> {
  // Packaged: media/guests/demo.elf (scripts/prepackage.mjs). Development checkout: build/guests.
  const candidates = ['media/guests/demo.elf', 'build/guests/demo.elf'].map((p) => context.asAbsolutePath(p));
  const image = candidates.find((p) => fs.existsSync(p));
  if (!image) {
    await vscode.window.showErrorMessage(`VMM: the demo guest is missing (${candidates[0]}); reinstall the extension, or in a checkout run "npm run guests".`);
    return;
  }
  const folder = vscode.workspace.workspaceFolders?.[0];
  const started = await vscode.debug.startDebugging(folder, {
    type: 'vmm',
    request: 'launch',
    name: 'VMM: demo guest',
    image,
    mmu: 'ept',
    stopOnEntry: true,
  });
  if (!started) await vscode.window.showErrorMessage('VMM: could not start the demo debug session (see the Debug Console).');
}
