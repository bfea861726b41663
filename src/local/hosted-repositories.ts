import { execFileSync } from 'child_process';
import { existsSync, readdirSync, realpathSync } from 'fs';
import { basename, isAbsolute, join } from 'path';
import { DataDir } from './data-dir';
import { GitHubStandIn } from './github-stand-in/stand-in';
import { LocalConfig } from './local-config';
import { ValidationError, errorMessage } from '../runtime/core/errors';
import * as names from '../runtime/core/names';

/**
 * The repositories local mode's GitHub hosts: every git repository in `<data dir>/repos/` as
 * `local/<folder>`, each configured application's by its `repository` name, and the ones an
 * admin names by path when creating an application on the dashboard.
 */
export function hostRepositories(standIn: GitHubStandIn, data: DataDir, config: LocalConfig): void {
  const folders = existsSync(data.repos) ? readdirSync(data.repos, { withFileTypes: true }) : [];
  for (const folder of folders) {
    const fullName = `${names.LOCAL_OWNER}/${folder.name}`;
    if (folder.isDirectory() && existsSync(join(data.repos, folder.name, '.git')) && !names.repository(fullName)) {
      standIn.addRepository(fullName, join(data.repos, folder.name));
    }
  }
  for (const app of config.applications) {
    const path = config.repositories[app.name];
    if (path !== undefined) standIn.addRepository(app.repository, path);
  }
}

/** Why `path` is not the top of a git work tree (a folder inside another repository is not), or undefined. */
export function gitTopLevelProblem(path: string): string | undefined {
  let top: string;
  try {
    top = execFileSync('git', ['-C', path, 'rev-parse', '--show-toplevel'], { stdio: 'pipe', encoding: 'utf8' }).trim();
  } catch (error) {
    return `${path} is not a git repository (${errorMessage(error).split('\n')[0]})`;
  }
  return realpathSync(top) === realpathSync(path) ? undefined : `${path} is a folder inside the git repository ${top}, not a repository of its own`;
}

/**
 * A local git repository an admin gave by its absolute path for a new application: hosted as
 * `local/<folder>` (the same name again for the same folder) and, when the GitHub App is
 * installed on `local`'s repositories, added to that installation: in local mode the admin owns
 * the repository, as installing the App on it would say. Returns the repository's name.
 */
export function hostLocalRepository(standIn: GitHubStandIn, path: string): string {
  const refuse = (message: string) => new ValidationError([{ path: 'repository', message }]);
  if (!isAbsolute(path)) throw refuse(`'${names.printable(path)}' is neither 'owner/repo' nor an absolute path to a local git repository`);
  const problem = gitTopLevelProblem(path);
  if (problem) throw refuse(problem);
  const fullName = `${names.LOCAL_OWNER}/${basename(path)}`;
  const nameProblem = names.repository(fullName);
  if (nameProblem) throw refuse(`the folder's name does not make a repository name: ${nameProblem}`);
  const hosted = standIn.repositories().find(repository => repository.fullName.toLowerCase() === fullName.toLowerCase());
  if (hosted && realpathSync(hosted.path) !== realpathSync(path)) {
    throw refuse(`${hosted.fullName} is ${hosted.path} already: give a repository in a folder of another name`);
  }
  if (!hosted) standIn.addRepository(fullName, path);
  if (standIn.installedOn(names.LOCAL_OWNER)) standIn.install([hosted?.fullName ?? fullName]);
  return hosted?.fullName ?? fullName;
}
