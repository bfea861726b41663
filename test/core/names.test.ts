import {
  Rule,
  account,
  applicationName,
  branchName,
  environmentName,
  printable,
  region,
  repository,
  roleArn,
  variableName,
} from '../../src/runtime/core/names';

/** Accepted values yield no reason; rejected ones yield a reason that echoes the (printable) value. */
function expectAccepted(rule: Rule, value: string): void {
  expect(rule(value)).toBeUndefined();
}

function expectRejected(rule: Rule, value: string): string {
  const reason = rule(value);
  expect(reason).toEqual(expect.any(String));
  expect(reason).toContain(`'${printable(value)}'`);
  return reason!;
}

describe('environmentName', () => {
  test.each([
    'dev',
    'd',
    'staging-2',
    'pr-123',
    'a1',
    'a'.repeat(32),
  ])('accepts %p', value => expectAccepted(environmentName, value));

  test.each([
    '',
    'Dev',
    'PROD',
    '1dev',
    '-dev',
    'dev-',
    'dev--2',
    'dev_2',
    'dev.2',
    'dev 2',
    'dév',
    'a'.repeat(33),
  ])('rejects %p', value => {
    const reason = expectRejected(environmentName, value);
    expect(reason).toContain('stage name');
  });
});

describe('applicationName', () => {
  test.each([
    'shop',
    's',
    'web-api',
    'api2',
    'a'.repeat(40),
  ])('accepts %p', value => expectAccepted(applicationName, value));

  test.each([
    '',
    'Shop',
    '2shop',
    '-shop',
    'shop-',
    'web--api',
    'web_api',
    'web/api',
    'a'.repeat(41),
    // Never a name: grants do not treat it as a wildcard, and no application can be called that.
    '*',
    'shop*',
    '*-all',
  ])('rejects %p', value => {
    const reason = expectRejected(applicationName, value);
    expect(reason).toContain('lowercase');
  });

  test('allows longer names than environments', () => {
    const name = 'a'.repeat(40);
    expect(applicationName(name)).toBeUndefined();
    expect(environmentName(name)).toEqual(expect.any(String));
  });
});

describe('repository', () => {
  test.each([
    'acme/shop',
    'Acme/Shop',
    'acme-corp/shop',
    'a/b',
    'acme/shop.js',
    'acme/.github',
    'acme/my_repo-2',
    `${'a'.repeat(39)}/shop`,
    `acme/${'r'.repeat(100)}`,
  ])('accepts %p', value => expectAccepted(repository, value));

  test.each([
    'https://github.com/acme/shop',
    'github.com/acme/shop',
    'git@github.com:acme/shop.git',
    'acme',
    'acme/shop.git',
    'a/b/c',
    '',
    '/shop',
    'acme/',
    'acme/shop/',
    '-acme/shop',
    'acme-/shop',
    'ac me/shop',
    'acme/sh op',
    'acme/.',
    'acme/..',
    `${'a'.repeat(40)}/shop`,
    `acme/${'r'.repeat(101)}`,
  ])('rejects %p', value => {
    const reason = expectRejected(repository, value);
    expect(reason).toContain('owner/repo');
  });
});

describe('region', () => {
  test.each([
    'us-east-1',
    'eu-west-1',
    'us-gov-west-1',
    'ap-southeast-4',
    'eu-central-2',
    'cn-north-1',
    'us-iso-east-1',
    'us-isob-east-1',
    'me-south-1',
    'eusc-de-east-1',
  ])('accepts %p', value => expectAccepted(region, value));

  test.each([
    'EU-WEST-1',
    'Eu-west-1',
    'mars-1',
    'us-east',
    'useast1',
    'us-east-1a',
    'us-east-123',
    'us_east_1',
    ' us-east-1',
    'us-east-1 ',
    '',
  ])('rejects %p', value => {
    const reason = expectRejected(region, value);
    expect(reason).toContain('AWS region');
  });
});

describe('account', () => {
  test.each([
    '111122223333',
    '000000000000',
  ])('accepts %p', value => expectAccepted(account, value));

  test.each([
    '',
    '11112222333',
    '1111222233334',
    '1111-2222-3333',
    'abcdefghijkl',
    ' 111122223333',
  ])('rejects %p', value => {
    const reason = expectRejected(account, value);
    expect(reason).toContain('12-digit');
  });
});

describe('roleArn', () => {
  test.each([
    'arn:aws:iam::111122223333:role/deploy',
    'arn:aws:iam::111122223333:role/path/to/deploy',
    'arn:aws:iam::111122223333:role/cdk-hnb659fds-deploy-role-111122223333-eu-west-1',
    'arn:aws:iam::111122223333:role/with+=,.@_-chars',
    'arn:aws-us-gov:iam::111122223333:role/deploy',
    'arn:aws-cn:iam::111122223333:role/deploy',
  ])('accepts %p', value => expectAccepted(roleArn, value));

  test.each([
    '',
    'deploy',
    'arn:aws:iam::111122223333:user/deploy',
    'arn:aws:iam::111122223333:role/',
    'arn:aws:iam::11112222333:role/deploy',
    'arn:aws:iam:eu-west-1:111122223333:role/deploy',
    'arn:aws:sts::111122223333:assumed-role/deploy/session',
    'arn:aws:iam::111122223333:role/has space',
    'arn:aws:iam::111122223333:role/deploy*',
    `arn:aws:iam::111122223333:role/${'r'.repeat(513)}`,
  ])('rejects %p', value => {
    const reason = expectRejected(roleArn, value);
    expect(reason).toContain('IAM role ARN');
  });
});

describe('variableName', () => {
  test.each([
    'NODE_ENV',
    '_private',
    'a',
    'camelCase9',
    `V${'_'.repeat(127)}`,
  ])('accepts %p', value => expectAccepted(variableName, value));

  test.each([
    '',
    '1ST',
    'MY-VAR',
    'MY VAR',
    'MY.VAR',
    'MY=VAR',
    'ÄPFEL',
    `V${'_'.repeat(128)}`,
  ])('rejects %p', value => {
    const reason = expectRejected(variableName, value);
    expect(reason).toContain('variable name');
  });
});

describe('branchName', () => {
  test.each([
    'main',
    'develop',
    'feature/a',
    'feature/a/b',
    'release-1.2',
    'v1.0.x',
    'user@host',
    'a.b/c.d',
    'fix/ümlaut',
    'HEAD-not-really',
    'x'.repeat(255),
  ])('accepts %p', value => expectAccepted(branchName, value));

  test.each<[string, string]>([
    ['', 'is empty'],
    ['x'.repeat(256), 'longer than 255'],
    ['a..b', "'..'"],
    ['..', "'..'"],
    ['a~1', '~'],
    ['a^1', '~ ^'],
    ['a:b', ':'],
    ['what?', '?'],
    ['wild*', '*'],
    ['a[b', '['],
    ['a\\b', '\\'],
    ['has space', 'space'],
    ['tab\there', 'control character'],
    ['new\nline', 'control character'],
    ['nul\0byte', 'control character'],
    ['del\x7fchar', 'control character'],
    ['-leading', 'starts with a hyphen'],
    ['/leading', 'empty path component'],
    ['trailing/', 'empty path component'],
    ['a//b', 'empty path component'],
    ['a@{1}', "'@{'"],
    ['topic.lock', '.lock'],
    ['feature/x.lock', '.lock'],
    ['trailing.', "ends with '.'"],
    ['.hidden', "starts with '.'"],
    ['feature/.hidden', "starts with '.'"],
    ['@', "is '@'"],
    ['HEAD', "is 'HEAD', which git reserves"],
  ])('rejects %j (%s)', (value, problem) => { // %j: JSON, so control characters are escapes in the title
    const reason = expectRejected(branchName, value);
    expect(reason).toContain(`branch '${printable(value)}'`);
    expect(reason).toContain(problem);
  });

  test('follows git in rejecting a component that ends with .lock, not just the last one', () => {
    const reason = branchName('topic.lock/a');
    expect(reason).toContain('.lock');
  });

  test('never echoes control characters back', () => {
    const reason = branchName('evil\x1b[31mred');
    expect(reason).toEqual(expect.any(String));
    expect(reason).not.toMatch(/[\x00-\x1f\x7f]/);
    expect(reason).toContain('evil?[31mred');
  });
});

describe('printable', () => {
  test('leaves ordinary text alone', () => {
    expect(printable('feature/a-b_c.d')).toBe('feature/a-b_c.d');
  });

  test('replaces each control character with ?', () => {
    expect(printable('a\0b\nc\td\x7fe\x1f')).toBe('a?b?c?d?e?');
  });

  test('truncates long values to max characters and marks the cut', () => {
    const long = 'x'.repeat(81);
    expect(printable(long)).toBe(`${'x'.repeat(80)}...`);
    expect(printable('x'.repeat(80))).toBe('x'.repeat(80));
    expect(printable('abcdef', 3)).toBe('abc...');
  });

  test('rules truncate huge values in their reason', () => {
    const huge = 'A'.repeat(10_000);
    const reason = repository(huge);
    expect(reason).toEqual(expect.any(String));
    expect(reason!.length).toBeLessThan(300);
    expect(reason).toContain(`'${'A'.repeat(80)}...'`);
  });
});
