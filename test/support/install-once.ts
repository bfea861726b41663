import { randomBytes } from 'crypto';
import { existsSync, mkdirSync, renameSync, rmSync } from 'fs';
import * as path from 'path';

/**
 * A tool installed once into `target` (kept between runs): `install` fills a staging folder of
 * this process's own, which is then renamed into place, so an interrupted install is never used,
 * and a jest worker that loses the race to another keeps the winner's copy. `ready` is a file
 * that exists only in a complete install.
 */
export async function installOnce(target: string, ready: string, install: (staging: string) => Promise<void>): Promise<void> {
  if (existsSync(ready)) return;
  mkdirSync(path.dirname(target), { recursive: true });
  const staging = `${target}.installing-${process.pid}-${randomBytes(4).toString('hex')}`;
  try {
    await install(staging);
    try {
      renameSync(staging, target);
    } catch (error) {
      // Another worker renamed its copy first (the target is a non-empty folder now).
      if (!existsSync(ready)) throw error;
    }
  } finally {
    rmSync(staging, { recursive: true, force: true });
  }
}
