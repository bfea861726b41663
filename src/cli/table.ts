/** Rows as aligned columns under a header, for the read commands' human output. */
export function table(header: readonly string[], rows: ReadonlyArray<readonly string[]>): string[] {
  const widths = header.map((title, column) => Math.max(title.length, ...rows.map(row => (row[column] ?? '').length)));
  const line = (cells: readonly string[]) => cells.map((cell, column) => (column === cells.length - 1 ? cell : cell.padEnd(widths[column]))).join('  ').trimEnd();
  return [line(header), ...rows.map(line)];
}

/** A commit as people read it. */
export function shortCommit(commit: string | undefined): string {
  return commit ? commit.slice(0, 7) : '-';
}
