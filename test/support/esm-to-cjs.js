// Jest transformer for ESM-only dependencies (@octokit/*): esbuild rewrites them to CommonJS.
const { transformSync } = require('esbuild');

module.exports = {
  process(source, filename) {
    const { code, map } = transformSync(source, { format: 'cjs', target: 'node20', sourcefile: filename, sourcemap: 'inline', loader: 'js' });
    return { code, map };
  },
};
