// "VMM: Run Demo Guest": debugs the bundled demo guest (media/guests/demo.elf), no launch.json needed.
import * as fs from 'node:fs';
import * as vscode from 'vscode';

export async function runDemo(context: vscode.ExtensionContext): Promise<void> {
  const image = context.asAbsolutePath('media/guests/demo.elf');
  if (!fs.existsSync(image)) {
    await vscode.window.showErrorMessage(`VMM: the demo guest is missing (${image}); reinstall the extension or run "npm run guests".`);
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
