// package.json's launch schema, snippets and the configuration provider's default against the
// adapter's launch.json parser: every attribute documented for IntelliSense, every snippet and
// default accepted without an unknown attribute, every exception filter listed in the schema.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseLaunchArguments } from '../../adapter/launchConfig';
import { KNOWN_ATTRIBUTES, parseLaunchExtras } from '../../adapter/launchExtras';
import { defaultConfiguration } from '../../src/extension/defaultConfiguration';
import { Vm } from '../../src/core/machine/vm';

interface Prop { description?: string; items?: { anyOf?: { enum?: string[] }[] } }
const pkg = JSON.parse(fs.readFileSync('package.json', 'utf8')) as {
  contributes: { debuggers: { configurationAttributes: { launch: { properties: Record<string, Prop> } }; configurationSnippets: { label: string; body: Record<string, unknown> }[]; initialConfigurations: Record<string, unknown>[] }[] };
};
const dbg = pkg.contributes.debuggers[0];
const props = dbg.configurationAttributes.launch.properties;

/** A snippet body as VS Code inserts it with the placeholders' defaults: "${1:guest}" -> "guest", "^\"x\"" -> x. */
function expand(v: unknown): unknown {
  if (typeof v === 'string') {
    let s = v.replace(/\$\{\d+\|([^,|]*)[^}]*\|\}/g, '$1').replace(/\$\{\d+:([^}]*)\}/g, '$1').replace(/\\\$\{workspaceFolder\}/g, '/ws');
    if (s.startsWith('^')) { s = s.slice(1); return s.startsWith('"') ? JSON.parse(s) as unknown : Number(s); }
    return s.replace(/\$\{workspaceFolder\}/g, '/ws');
  }
  if (Array.isArray(v)) return v.map(expand);
  if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, expand(x)]));
  return v;
}

describe('launch.json schema, snippets and default configuration', () => {
  it('every schema attribute has an IntelliSense description and is read by the adapter', () => {
    for (const [name, p] of Object.entries(props)) {
      assert.ok(p.description && p.description.length > 20, `attribute ${name} has no useful description`);
      assert.ok(KNOWN_ATTRIBUTES.has(name), `package.json documents "${name}" but the adapter does not read it`);
    }
    for (const a of ['image', 'mmu', 'smp', 'memory', 'cwd', 'serial', 'symbols', 'exitBreakpoints', 'gdbPort', 'stopOnEntry']) {
      assert.ok(props[a], `package.json does not document "${a}"`);
    }
  });

  it('the exitBreakpoints schema lists exactly the adapter\'s exception filters', () => {
    const listed = props.exitBreakpoints.items!.anyOf!.find((x) => x.enum)!.enum!;
    assert.deepEqual([...listed].sort(), Vm.exitFilters().map((f) => f.id).sort());
  });

  it('every snippet, the initial configuration and the provider default parse without errors or unknown attributes', () => {
    const bodies = [...dbg.configurationSnippets.map((s) => expand(s.body) as Record<string, unknown>), ...dbg.initialConfigurations.map((c) => expand(c) as Record<string, unknown>),
      defaultConfiguration(path.resolve('build/guests/hello.elf'), path.resolve('.')) as unknown as Record<string, unknown>];
    assert.ok(bodies.length >= 5);
    for (const b of bodies) {
      assert.doesNotThrow(() => parseLaunchArguments(b as never), JSON.stringify(b));
      const x = parseLaunchExtras(b);
      assert.deepEqual(x.unknown, [], JSON.stringify(b));
    }
    const d = defaultConfiguration('/ws/build/k.elf', '/ws');
    assert.equal(d.image, '${workspaceFolder}/build/k.elf');
    assert.equal(d.stopOnEntry, true);
  });
});
