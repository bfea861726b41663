// Prints "N passed, N failed, N skipped" from a JUnit XML report (jest-junit).
const fs = require('fs');
const xml = fs.readFileSync(process.argv[2], 'utf8');
const root = xml.match(/<testsuites\b[^>]*>/);
if (!root) throw new Error(`no <testsuites> in ${process.argv[2]}`);
const attr = name => Number((root[0].match(new RegExp(`\\b${name}="(\\d+)"`)) || [])[1] || 0);
const total = attr('tests');
const failed = attr('failures') + attr('errors');
const skipped = (xml.match(/<skipped\s*\/>/g) || []).length;
if (total === 0) throw new Error('no tests ran');
console.log(`${total - failed - skipped} passed, ${failed} failed, ${skipped} skipped`);
process.exit(failed > 0 ? 1 : 0);
