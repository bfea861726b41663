// Prints "N passed, N failed, N skipped" from a JUnit XML report (jest-junit), after checking that
// the report is well-formed XML 1.0 (a strict check, no parser to install): every character
// allowed (no NUL or other control character but tab, newline and carriage return), tags
// balanced, attributes quoted and unique, references known. Exits 1, saying where and why, when the
// report is missing, is not well-formed, has no <testsuites> root or counts 0 tests; 1 when a
// test failed; 0 otherwise.
'use strict';

const fs = require('node:fs');

class NotWellFormed extends Error {}

/** Line and column of an offset, for the message. */
function position(xml, offset) {
  const before = xml.slice(0, offset).split('\n');
  return `line ${before.length}, column ${before[before.length - 1].length + 1}`;
}

const NAME = /^[A-Za-z_:][\w.:-]*/;
// Characters XML 1.0 allows: tab, LF, CR, U+0020-U+D7FF, U+E000-U+FFFD, U+10000-U+10FFFF.
const NOT_ALLOWED = /[^\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/u;
const ALLOWED = /^[\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]$/u;
const ENTITY = /^&(?:lt|gt|amp|quot|apos|#[0-9]+|#x[0-9A-Fa-f]+);/;

/** Throws NotWellFormed at the first error; returns the root element's name and attributes. */
function checkWellFormed(xml) {
  const fail = (offset, what) => { throw new NotWellFormed(`${what} at ${position(xml, offset)}`); };
  const bad = NOT_ALLOWED.exec(xml);
  if (bad) fail(bad.index, `a character XML does not allow (U+${bad[0].codePointAt(0).toString(16).toUpperCase().padStart(4, '0')})`);
  const text = (from, to) => {
    const chunk = xml.slice(from, to);
    for (let index = chunk.indexOf('&'); index !== -1; index = chunk.indexOf('&', index + 1)) {
      const reference = ENTITY.exec(chunk.slice(index));
      if (!reference) fail(from + index, "an '&' that starts no known reference");
      const code = reference[0][1] === '#' ? parseInt(reference[0].slice(reference[0][2] === 'x' ? 3 : 2, -1), reference[0][2] === 'x' ? 16 : 10) : 0x20;
      if (code > 0x10ffff || !ALLOWED.test(String.fromCodePoint(code))) fail(from + index, `a reference to a character XML does not allow (${reference[0]})`);
    }
    if (chunk.includes('<')) fail(from + chunk.indexOf('<'), "a '<' inside a value");
  };
  const stack = [];
  let root;
  let at = 0;
  if (xml.charCodeAt(0) === 0xfeff) at = 1;
  while (at < xml.length) {
    const open = xml.indexOf('<', at);
    const end = open === -1 ? xml.length : open;
    if (stack.length === 0 && xml.slice(at, end).trim() !== '') fail(at, 'text outside the root element');
    text(at, end);
    if (open === -1) break;
    if (xml.startsWith('<?', open)) {
      const close = xml.indexOf('?>', open);
      if (close === -1) fail(open, 'an unclosed processing instruction');
      at = close + 2;
    } else if (xml.startsWith('<!--', open)) {
      const close = xml.indexOf('-->', open);
      if (close === -1) fail(open, 'an unclosed comment');
      at = close + 3;
    } else if (xml.startsWith('<![CDATA[', open)) {
      if (stack.length === 0) fail(open, 'CDATA outside the root element');
      const close = xml.indexOf(']]>', open);
      if (close === -1) fail(open, 'an unclosed CDATA section');
      at = close + 3;
    } else if (xml.startsWith('<!', open)) {
      fail(open, 'a DOCTYPE or declaration (a JUnit report has none)');
    } else if (xml.startsWith('</', open)) {
      const name = (NAME.exec(xml.slice(open + 2)) || [])[0];
      if (!name) fail(open, 'a closing tag without a name');
      const close = xml.indexOf('>', open);
      if (close === -1 || xml.slice(open + 2 + name.length, close).trim() !== '') fail(open, `a malformed closing tag </${name}`);
      const expected = stack.pop();
      if (expected !== name) fail(open, expected ? `</${name}> where </${expected}> was expected` : `</${name}> with no open element`);
      at = close + 1;
    } else {
      const name = (NAME.exec(xml.slice(open + 1)) || [])[0];
      if (!name) fail(open, "a '<' that starts no tag");
      if (stack.length === 0 && root) fail(open, 'a second root element');
      let cursor = open + 1 + name.length;
      const attributes = {};
      for (;;) {
        const space = /^\s*/.exec(xml.slice(cursor))[0].length;
        cursor += space;
        if (xml.startsWith('/>', cursor) || xml.startsWith('>', cursor)) break;
        if (space === 0) fail(cursor, `no space before an attribute of <${name}>`);
        const attribute = /^([A-Za-z_:][\w.:-]*)\s*=\s*(["'])/.exec(xml.slice(cursor));
        if (!attribute) fail(cursor, `a malformed attribute in <${name}>`);
        if (attribute[1] in attributes) fail(cursor, `attribute ${attribute[1]} twice in <${name}>`);
        const valueStart = cursor + attribute[0].length;
        const valueEnd = xml.indexOf(attribute[2], valueStart);
        if (valueEnd === -1) fail(cursor, `an unclosed value of ${attribute[1]} in <${name}>`);
        text(valueStart, valueEnd);
        attributes[attribute[1]] = xml.slice(valueStart, valueEnd);
        cursor = valueEnd + 1;
      }
      if (!root) root = { name, attributes };
      if (xml.startsWith('/>', cursor)) {
        at = cursor + 2;
      } else {
        stack.push(name);
        at = cursor + 1;
      }
    }
  }
  if (stack.length > 0) fail(xml.length, `<${stack[stack.length - 1]}> is never closed`);
  if (!root) fail(0, 'no root element');
  return root;
}

function main(file) {
  if (!file) throw new NotWellFormed('usage: node .ci/summary.js <junit.xml>');
  if (!fs.existsSync(file)) throw new NotWellFormed(`${file}: no report (did the test command run?)`);
  const xml = fs.readFileSync(file, 'utf8');
  let root;
  try {
    root = checkWellFormed(xml);
  } catch (error) {
    if (error instanceof NotWellFormed) throw new NotWellFormed(`${file} is not well-formed XML: ${error.message}`);
    throw error;
  }
  if (root.name !== 'testsuites') throw new NotWellFormed(`${file}: the root element is <${root.name}>, not <testsuites>`);
  const count = name => Number(root.attributes[name] || 0);
  const total = count('tests');
  const failed = count('failures') + count('errors');
  const skipped = (xml.match(/<skipped\s*\/>/g) || []).length;
  if (total === 0) throw new NotWellFormed(`${file}: no tests ran (tests="0")`);
  console.log(`${total - failed - skipped} passed, ${failed} failed, ${skipped} skipped`);
  return failed > 0 ? 1 : 0;
}

if (require.main === module) {
  try {
    process.exitCode = main(process.argv[2]);
  } catch (error) {
    if (!(error instanceof NotWellFormed)) throw error;
    console.error(`summary: ${error.message}`);
    process.exitCode = 1;
  }
}

module.exports = { checkWellFormed, main, NotWellFormed };
