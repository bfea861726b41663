import { oneLine } from './log-lines';

/**
 * Rows as aligned columns under a header, for the read commands' human output. Every cell is
 * cleaned (`oneLine`): cells are the server's text (names, commit messages, actors), which must
 * neither drive the terminal nor break a row in two.
 */
export function table(header: readonly string[], rows: ReadonlyArray<readonly string[]>): string[] {
  const cells = [header, ...rows].map(row => row.map(cell => oneLine(cell ?? '')));
  const widths = header.map((_, column) => Math.max(...cells.map(row => (row[column] ?? '').length)));
  const line = (row: readonly string[]) => row.map((cell, column) => (column === row.length - 1 ? cell : cell.padEnd(widths[column]))).join('  ').trimEnd();
  return cells.map(line);
}

/** A commit as people read it. */
export function shortCommit(commit: string | undefined): string {
  return commit ? commit.slice(0, 7) : '-';
}
