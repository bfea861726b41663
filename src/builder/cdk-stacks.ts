import { join } from 'path';
import { BuildError } from './build-error';
import { readWorkspaceText } from './workspace-files';
import { BUILDER_EXIT } from '../runtime/core/builder-exit';

/** A stack of a synthesized CDK cloud assembly, as `cdk deploy` selects it. */
export interface AssemblyStack {
  /** The hierarchical id `cdk deploy <id>` takes (`Stack`, or `Stage/Stack` inside a stage). */
  readonly id: string;
  /** The CloudFormation stack name (`stackName`, else the id's last part). */
  readonly stackName: string;
  readonly tags: Readonly<Record<string, string>>;
}

/** Which stacks an environment deploys, and why (for the log). */
export interface StackChoice {
  /** Stack ids to pass instead of `--all`; undefined: the assembly has one stack or none, `--all` is that. */
  readonly ids?: readonly string[];
  readonly detail: string;
}

const MAX_STACKS = 500;

/**
 * The stacks of the cloud assembly at `assembly` (relative to the workspace; read as the app's,
 * see workspace-files.ts), stages one level deep. A manifest that cannot be read has none: cdk
 * itself reports a broken assembly.
 */
export function assemblyStacks(workspace: string, assembly: string, depth = 0): AssemblyStack[] {
  const manifest = readManifest(workspace, join(assembly, 'manifest.json'));
  const stacks: AssemblyStack[] = [];
  for (const [artifactId, artifact] of Object.entries(manifest?.artifacts ?? {})) {
    if (!artifact || typeof artifact !== 'object') continue;
    const { type, displayName, properties } = artifact as { type?: unknown; displayName?: unknown; properties?: Record<string, unknown> };
    if (type === 'aws:cloudformation:stack') {
      const id = typeof displayName === 'string' && displayName !== '' ? displayName : artifactId;
      const stackName = typeof properties?.stackName === 'string' ? properties.stackName : id.split('/').pop()!;
      stacks.push({ id, stackName, tags: stringTags(properties?.tags) });
    } else if (type === 'cdk:cloud-assembly' && depth < 2 && typeof properties?.directoryName === 'string' && !properties.directoryName.includes('..')) {
      stacks.push(...assemblyStacks(workspace, join(assembly, properties.directoryName), depth + 1));
    }
    if (stacks.length > MAX_STACKS) throw new BuildError(`the cloud assembly has more than ${MAX_STACKS} stacks`, BUILDER_EXIT.invalid);
  }
  return stacks;
}

/**
 * The stacks an environment deploys (and tears down). With `patterns` (the environment's
 * `stacks`, `{stage}` replaced by the stage, `*` any characters) the stacks they match; without,
 * an assembly of one stack deploys it, and of several the stacks named for this environment (a
 * part of the id or stack name split at non-alphanumerics equals the stage) or tagged
 * `stage=<stage>`; none such is refused, listing the stacks and how to choose. Never a stack
 * named for another environment of the application, unless a pattern names it exactly.
 */
export function chooseStacks(stacks: readonly AssemblyStack[], stage: string, otherEnvironments: readonly string[],
  patterns?: readonly string[]): StackChoice {
  const namedFor = (stack: AssemblyStack, name: string) => [stack.id, stack.stackName].some(text => words(text).includes(name.toLowerCase()));
  const foreign = (stack: AssemblyStack) => otherEnvironments.some(other => other !== stage && namedFor(stack, other) && !namedFor(stack, stage));
  const listed = () => stacks.map(stack => stack.id).join(', ');

  if (patterns && patterns.length > 0) {
    const chosen = stacks.filter(stack => patterns.some(pattern => {
      const wanted = pattern.split('{stage}').join(stage);
      return wanted === stack.id || (globMatch(wanted, stack.id) && !foreign(stack));
    }));
    if (chosen.length === 0) {
      throw new BuildError(`the environment's stacks (${patterns.join(', ')}) match no stack of the assembly: ${listed() || 'none'}`, BUILDER_EXIT.invalid);
    }
    return { ids: chosen.map(stack => stack.id), detail: `stacks ${chosen.map(stack => stack.id).join(', ')} (the environment's stacks)` };
  }
  if (stacks.length <= 1) return { detail: stacks.length === 1 ? `the assembly's one stack ${stacks[0].id}` : 'the assembly lists no stack' };
  const chosen = stacks.filter(stack => namedFor(stack, stage) || stack.tags.stage === stage);
  if (chosen.length === 0) {
    throw new BuildError(
      `the cloud assembly has ${stacks.length} stacks (${listed()}) and none is named or tagged for ${stage}: set the environment's `
      + 'stacks to choose, e.g. ["*-{stage}"] for stacks named after the stage, or ["*"] for all of them',
      BUILDER_EXIT.invalid,
    );
  }
  return { ids: chosen.map(stack => stack.id), detail: `stacks ${chosen.map(stack => stack.id).join(', ')} (named or tagged for ${stage})` };
}

/** `argv` with `--all` replaced by the chosen stack ids (unchanged when the choice is `--all`). */
export function withStacks(argv: readonly string[], choice: StackChoice): string[] {
  if (!choice.ids) return [...argv];
  return argv.flatMap(arg => (arg === '--all' ? [...choice.ids!] : [arg]));
}

function words(text: string): string[] {
  // Split camelCase too: ShopDevStack names dev.
  return text.replace(/([a-z0-9])([A-Z])/g, '$1 $2').toLowerCase().split(/[^a-z0-9]+/).filter(Boolean);
}

function globMatch(pattern: string, text: string): boolean {
  const regex = new RegExp(`^${pattern.split('*').map(part => part.replace(/[.+?^${}()|[\]\\/]/g, '\\$&')).join('.*')}$`);
  return regex.test(text);
}

function stringTags(value: unknown): Record<string, string> {
  if (!value || typeof value !== 'object' || Array.isArray(value)) return {};
  return Object.fromEntries(Object.entries(value).filter((entry): entry is [string, string] => typeof entry[1] === 'string'));
}

function readManifest(workspace: string, path: string): { artifacts?: Record<string, unknown> } | undefined {
  try {
    const value = JSON.parse(readWorkspaceText(workspace, path));
    return value && typeof value === 'object' && !Array.isArray(value) ? value : undefined;
  } catch {
    return undefined;
  }
}
