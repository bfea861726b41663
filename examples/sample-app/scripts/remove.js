'use strict';

// Tears down a stage: deletes <SAMPLE_DEPLOY_DIR>/<STAGE>.

const fs = require('node:fs');
const { target } = require('./target');

const { stage, dir } = target();
if (fs.existsSync(dir)) {
  fs.rmSync(dir, { recursive: true, force: true });
  console.log(`Removed stage ${stage}: deleted ${dir}`);
} else {
  console.log(`Stage ${stage} was not deployed (${dir} does not exist); nothing to remove`);
}
