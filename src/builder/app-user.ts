import { statSync } from 'fs';
import { isAbsolute } from 'path';
import { ParameterEnv } from './params';
import { printable } from '../runtime/core/names';

/**
 * Where the builder's image names the unprivileged user the app's commands run as (the
 * Dockerfile sets all three). TRELLIS_* variables never reach the app's commands.
 */
export const APP_USER_SETTINGS = {
  uid: 'TRELLIS_APP_UID',
  /** Defaults to the uid. */
  gid: 'TRELLIS_APP_GID',
  /** The app's HOME (npm and corepack caches): an existing directory the uid owns. */
  home: 'TRELLIS_APP_HOME',
} as const;

/** The uid, gid and HOME every command of the app (install scripts, git included) runs with. */
export interface AppUser {
  readonly uid: number;
  readonly gid: number;
  readonly home: string;
}

/**
 * The user the app's commands run as: `user` when the builder is root and the image names one,
 * else none (they run as the builder's own user, as in local mode or a builder test that is not
 * root). `description` is the one line the build log shows about it; `problem` means the image's
 * settings are wrong and nothing may run.
 */
export type AppUserChoice =
  | { readonly user?: AppUser; readonly description: string }
  | { readonly problem: string };

const ID = /^[1-9][0-9]{0,9}$/;
/** Above this, ids are reserved (-1 as unsigned means "unchanged" to setuid). */
const MAX_ID = 2 ** 31 - 2;

export function chooseAppUser(env: ParameterEnv, ownUid: number | undefined = process.getuid?.()): AppUserChoice {
  const own = `the app's commands run as the builder's own user (uid ${ownUid ?? 'unknown'})`;
  const uidText = env[APP_USER_SETTINGS.uid];
  if (uidText === undefined || uidText === '') return { description: `${own}: ${APP_USER_SETTINGS.uid} is not set` };
  if (ownUid !== 0) return { description: `${own}: the builder is not root, so ${APP_USER_SETTINGS.uid} cannot be used` };

  const uid = parseId(uidText);
  if (uid === undefined) return { problem: `${APP_USER_SETTINGS.uid}: '${printable(uidText)}' is not a uid from 1 to ${MAX_ID}` };
  const gidText = env[APP_USER_SETTINGS.gid] || uidText;
  const gid = parseId(gidText);
  if (gid === undefined) return { problem: `${APP_USER_SETTINGS.gid}: '${printable(gidText)}' is not a gid from 1 to ${MAX_ID}` };
  const home = env[APP_USER_SETTINGS.home] ?? '';
  const homeProblem = checkHome(home, uid);
  if (homeProblem) return { problem: `${APP_USER_SETTINGS.home}: ${homeProblem}` };
  return {
    user: { uid, gid, home },
    description: `the app's commands run as uid ${uid}, gid ${gid} (HOME ${home}), not as the builder (uid 0)`,
  };
}

function parseId(text: string): number | undefined {
  if (!ID.test(text)) return undefined;
  const id = Number(text);
  return id <= MAX_ID ? id : undefined;
}

function checkHome(home: string, uid: number): string | undefined {
  if (home === '') return 'is not set; it must name the app user\'s home directory';
  if (!isAbsolute(home)) return `'${printable(home)}' is not an absolute path`;
  try {
    const stat = statSync(home);
    if (!stat.isDirectory()) return `${home} is not a directory`;
    if (stat.uid !== uid) return `${home} is owned by uid ${stat.uid}, not by ${uid}`;
    return undefined;
  } catch {
    return `${home} does not exist`;
  }
}
