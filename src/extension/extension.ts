// Extension entry (dist/extension.js): the only layer that imports `vscode`. Registers the `vmm`
// debugger's configuration provider and adapter factory, and the "Run Demo Guest" command.
import * as vscode from 'vscode';
import { VmmConfigurationProvider } from './configurationProvider';
import { VmmAdapterFactory } from './adapterFactory';
import { runDemo } from './demo';
import { startLanguageClient } from './languageClient';
import { dapLogTrackerFactory } from './trackerFactory';
import { registerVmmViews } from './vmmViews';
import { registerSerialTerminal } from './serialTerminal';
import { registerTimeTravelViews } from './timeTravelViews';

export const DEBUG_TYPE = 'vmm';

export function activate(context: vscode.ExtensionContext): void {
  const provider = new VmmConfigurationProvider();
  context.subscriptions.push(
    vscode.debug.registerDebugConfigurationProvider(DEBUG_TYPE, provider),
    vscode.debug.registerDebugConfigurationProvider(DEBUG_TYPE, {
      provideDebugConfigurations: (folder) => provider.provideDebugConfigurations(folder),
    }, vscode.DebugConfigurationProviderTriggerKind.Dynamic),
    vscode.debug.registerDebugAdapterDescriptorFactory(DEBUG_TYPE, new VmmAdapterFactory(context)),
    vscode.commands.registerCommand('vmm-debug.runDemo', () => runDemo(context)),
  );
  // VMM_DEBUG_DAP_LOG=FILE: log the DAP traffic of every `vmm` session (the end-to-end suite reads it).
  const tracker = dapLogTrackerFactory();
  if (tracker) context.subscriptions.push(vscode.debug.registerDebugAdapterTrackerFactory(DEBUG_TYPE, tracker));
  // Translate address, guest screen, status bar; the COM1 terminal (src/extension/vmmViews.ts, serialTerminal.ts).
  registerVmmViews(context);
  registerSerialTerminal(context);
  // Time travel: exit timeline, go to instruction count, compare moments, snapshot files (timeTravelViews.ts).
  registerTimeTravelViews(context);
  // The assembly language server for .asm/.nasm (NASM) and .s/.S (GNU as) files.
  startLanguageClient(context);
}

export function deactivate(): void {
  // Nothing to clean up: VS Code ends debug sessions (and their adapter processes) itself.
}
