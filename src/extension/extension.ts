// Extension entry (dist/extension.js): the only layer that imports `vscode`. Registers the `vmm`
// debugger's configuration provider and adapter factory, and the "Run Demo Guest" command.
import * as vscode from 'vscode';
import { VmmConfigurationProvider } from './configurationProvider';
import { VmmAdapterFactory } from './adapterFactory';
import { runDemo } from './demo';

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
}

export function deactivate(): void {
  // Nothing to clean up: VS Code ends debug sessions (and their adapter processes) itself.
}
