import { printable } from './names';

const MAX_LENGTH = 255;
const SEGMENT = /^[A-Za-z0-9_@+][A-Za-z0-9._@+-]*$/;

/**
 * An app's folder inside its repository (`packages/api`): a relative path of plain names, so it
 * can never leave the checkout or mean anything to a shell. The builder still opens it segment by
 * segment without following links (app-folder.ts). Configuration and builder use this one rule.
 */
export function rootDirectoryProblem(value: string): string | undefined {
  const shown = printable(value);
  if (value.length === 0 || value.length > MAX_LENGTH) return `must be 1 to ${MAX_LENGTH} characters (leave it out for the repository root)`;
  if (value.startsWith('/')) return `'${shown}' must be relative to the repository root, like packages/api`;
  const segments = value.split('/');
  if (segments.some(segment => segment === '..' || segment === '.')) return `'${shown}' may not contain . or .. segments: name the folder from the repository root`;
  if (!segments.every(segment => SEGMENT.test(segment))) {
    return `'${shown}' must be folder names (letters, digits, ., _, -, @, +) separated by single /, like packages/api`;
  }
  return undefined;
}
