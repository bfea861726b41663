'use strict';

// "Deploys" the app to a folder: <SAMPLE_DEPLOY_DIR>/<STAGE>/{src/,version.json}.
// version.json is removed first and written last, so its presence means a complete deploy.

const { execFileSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');
const { fail, target, count } = require('./target');

const { stage, dir } = target();
const lines = count('SAMPLE_DEPLOY_LINES');
const lineMs = count('SAMPLE_LINE_MS');
const holdMs = count('SAMPLE_DEPLOY_HOLD_MS');

const pause = new Int32Array(new SharedArrayBuffer(4));
const sleep = ms => { if (ms > 0) Atomics.wait(pause, 0, 0, ms); };

// Trellis says which commit this is (a deploy from a stored artifact has no git checkout).
let commit = process.env.TRELLIS_COMMIT;
if (!commit) {
  try {
    commit = execFileSync('git', ['rev-parse', 'HEAD'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim();
  } catch (error) {
    fail(`cannot read the commit with 'git rev-parse HEAD': ${String(error.stderr || error.message).trim()}`);
  }
}

console.log(`Deploying ${commit.slice(0, 7)} to stage ${stage}`);
console.log('Packaging handler');
for (let i = 1; i <= lines; i++) {
  if (i > 1) sleep(lineMs);
  const line = `sample line ${i} of ${lines} t=${Date.now()}`;
  if (i % 10 === 0) console.error(line);
  else console.log(line);
}
if (holdMs > 0) {
  console.log(`Holding ${holdMs} ms before writing (SAMPLE_DEPLOY_HOLD_MS)`);
  sleep(holdMs);
}

console.log(`Uploading to ${dir}`);
fs.mkdirSync(dir, { recursive: true });
const version = path.join(dir, 'version.json');
fs.rmSync(version, { force: true });
fs.rmSync(path.join(dir, 'src'), { recursive: true, force: true });
fs.cpSync(path.join(__dirname, '..', 'src'), path.join(dir, 'src'), { recursive: true });
// The package.json goes with the code, as in a Lambda bundle: Node takes the module type
// (CommonJS) from the nearest one, else from the project the data directory is in ("type": "module").
fs.copyFileSync(path.join(__dirname, '..', 'package.json'), path.join(dir, 'package.json'));
const record = { commit, stage, deployedAt: new Date().toISOString() };
fs.writeFileSync(`${version}.tmp`, `${JSON.stringify(record, null, 2)}\n`);
fs.renameSync(`${version}.tmp`, version);
console.log(`Deployed ${commit.slice(0, 7)} to stage ${stage}`);
