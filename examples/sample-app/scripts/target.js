'use strict';

const path = require('node:path');

/** Exit with a clear message (no stack trace) when the deploy scripts are misconfigured. */
function fail(message) {
  console.error(`error: ${message}`);
  process.exit(1);
}

/** The stage and its folder, from STAGE and SAMPLE_DEPLOY_DIR (both required). */
function target() {
  const stage = process.env.STAGE;
  const root = process.env.SAMPLE_DEPLOY_DIR;
  if (!stage) fail('STAGE is not set (the environment name, e.g. dev)');
  if (!/^[a-z0-9-]+$/.test(stage)) fail(`STAGE '${stage}' must contain only a-z, 0-9 and '-'`);
  if (!root) fail('SAMPLE_DEPLOY_DIR is not set (the folder Trellis local mode deploys into)');
  if (!path.isAbsolute(root)) fail(`SAMPLE_DEPLOY_DIR '${root}' must be an absolute path`);
  return { stage, dir: path.join(root, stage) };
}

/** A non-negative integer from the environment, or the default when unset. */
function count(name, fallback = 0) {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  if (!/^\d+$/.test(raw)) fail(`${name} '${raw}' must be a non-negative integer`);
  return Number(raw);
}

module.exports = { fail, target, count };
