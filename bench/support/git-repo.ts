import { execFile } from 'child_process';
import { promisify } from 'util';

const run = promisify(execFile);

/** Make `dir` a git repository whose main branch has one commit of everything in it. */
export async function commitAll(dir: string, message: string): Promise<string> {
  const git = (...args: string[]) => run('git', args, {
    cwd: dir,
    env: { ...process.env, GIT_AUTHOR_NAME: 'Bench', GIT_AUTHOR_EMAIL: 'bench@example.invalid', GIT_COMMITTER_NAME: 'Bench', GIT_COMMITTER_EMAIL: 'bench@example.invalid' },
  });
  await git('init', '-q', '-b', 'main');
  await git('add', '-A');
  await git('commit', '-q', '-m', message);
  return dir;
}
