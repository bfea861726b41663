import { execFileSync } from 'child_process';
import { mkdirSync, writeFileSync } from 'fs';
import { dirname, join } from 'path';

/** The author and committer of fixture commits, so they need no git configuration on the machine. */
const TEST_IDENTITY = { GIT_AUTHOR_NAME: 'Test', GIT_AUTHOR_EMAIL: 'test@example.invalid', GIT_COMMITTER_NAME: 'Test', GIT_COMMITTER_EMAIL: 'test@example.invalid' };

/** Runs git in `dir` as the test identity; returns its output, trimmed. */
export function gitIn(dir: string): (...args: string[]) => string {
  return (...args) => execFileSync('git', args, { cwd: dir, encoding: 'utf8', env: { ...process.env, ...TEST_IDENTITY } }).trim();
}

/** A git repository at `dir` with one commit per version (files accumulate) on `main`; returns the commits. */
export function gitRepo(dir: string, ...versions: Array<Record<string, string>>): string[] {
  mkdirSync(dir, { recursive: true });
  const git = gitIn(dir);
  git('init', '-q', '-b', 'main');
  return versions.map((files, index) => {
    for (const [file, content] of Object.entries(files)) {
      mkdirSync(dirname(join(dir, file)), { recursive: true });
      writeFileSync(join(dir, file), content);
    }
    git('add', '-A');
    git('commit', '-q', '-m', `version ${index + 1}`);
    return git('rev-parse', 'HEAD');
  });
}
