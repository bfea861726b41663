import { readFileSync, writeFileSync } from 'fs';
import { join } from 'path';

const HEALTHY = "return json(200, { status: 'ok', commit: deployedCommit() })";
const BROKEN = "return json(500, { status: 'broken', commit: deployedCommit() })";

/**
 * Make the sample app's `/health` answer 500 in its repository's working tree (the next commit
 * then fails its health check). Throws when the handler no longer has the line it changes.
 */
export function breakSampleHealth(repository: string): void {
  const handler = join(repository, 'src', 'handler.js');
  const original = readFileSync(handler, 'utf8');
  if (!original.includes(HEALTHY)) throw new Error(`${handler} no longer answers /health with: ${HEALTHY}`);
  writeFileSync(handler, original.replace(HEALTHY, BROKEN));
}
