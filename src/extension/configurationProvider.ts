// Debug configurations for type `vmm`: a working default when there is no launch.json (F5 on an
// .elf, or the first *.elf in the workspace) and dynamic "VMM: <file>.elf" entries in the picker.
import * as vscode from 'vscode';
import { defaultConfiguration } from './defaultConfiguration';

const ELF_GLOB = '**/*.elf';
const EXCLUDE_GLOB = '**/{node_modules,.git,.vscode-test}/**';

export class VmmConfigurationProvider implements vscode.DebugConfigurationProvider {
  /** Dynamic configurations (the "vmm" entry of the Run and Debug picker): one per guest image. */
  async provideDebugConfigurations(folder: vscode.WorkspaceFolder | undefined): Promise<vscode.DebugConfiguration[]> {
    const pattern = folder ? new vscode.RelativePattern(folder, ELF_GLOB) : ELF_GLOB;
    const files = await vscode.workspace.findFiles(pattern, EXCLUDE_GLOB, 20);
    return files.map((uri) => launchConfiguration(uri, folder));
  }

  /** Fills in a default configuration (no launch.json) and checks the image attribute is there. */
  async resolveDebugConfiguration(
    folder: vscode.WorkspaceFolder | undefined, config: vscode.DebugConfiguration,
  ): Promise<vscode.DebugConfiguration | undefined> {
    if (!config.type && !config.request && !config.name) {
      // F5 with an .asm/.nasm file open debugs that file: the adapter assembles it (issue 8).
      const image = activeAsm() ?? activeElf() ?? await firstWorkspaceElf(folder);
      if (!image) {
        await vscode.window.showErrorMessage(
          'VMM: nothing to debug. Open a guest image (*.elf) or a NASM source (*.asm), add one to the workspace, or create a launch.json ' +
          'with a "vmm" configuration and its "image" attribute.');
        return undefined;
      }
      return launchConfiguration(image, folder ?? vscode.workspace.getWorkspaceFolder(image));
    }
    if (config.request === 'launch' && (typeof config.image !== 'string' || config.image === '')) {
      await vscode.window.showErrorMessage(
        `VMM: launch configuration "${config.name ?? 'vmm'}" has no "image" attribute (path to a multiboot or ELF32 guest).`);
      return undefined;
    }
    return config;
  }
}

function launchConfiguration(image: vscode.Uri, folder: vscode.WorkspaceFolder | undefined): vscode.DebugConfiguration {
  return { ...defaultConfiguration(image.fsPath, folder?.uri.fsPath) };
}

/** The NASM source in the active editor, if any. */
function activeAsm(): vscode.Uri | undefined {
  const u = vscode.window.activeTextEditor?.document.uri;
  return u && u.scheme === 'file' && /\.(asm|nasm)$/i.test(u.fsPath) ? u : undefined;
}

/** The .elf shown in the active editor tab (a text editor or VS Code's binary-file placeholder). */
function activeElf(): vscode.Uri | undefined {
  const candidates: (vscode.Uri | undefined)[] = [vscode.window.activeTextEditor?.document.uri];
  const input = vscode.window.tabGroups.activeTabGroup.activeTab?.input;
  if (input && typeof input === 'object' && 'uri' in input && (input as { uri: unknown }).uri instanceof vscode.Uri) {
    candidates.push((input as { uri: vscode.Uri }).uri);
  }
  return candidates.find((u) => u !== undefined && u.scheme === 'file' && u.fsPath.toLowerCase().endsWith('.elf'));
}

async function firstWorkspaceElf(folder: vscode.WorkspaceFolder | undefined): Promise<vscode.Uri | undefined> {
  const pattern = folder ? new vscode.RelativePattern(folder, ELF_GLOB) : ELF_GLOB;
  const files = await vscode.workspace.findFiles(pattern, EXCLUDE_GLOB, 1);
  return files[0];
}
