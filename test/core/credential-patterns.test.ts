import { MASK, maskCredentials } from '../../src/runtime/core/credential-patterns';

// Realistic shapes (the AWS ones are AWS's documentation examples); none of them is a live credential.
const GHP = 'ghp_' + 'R3aL1sT1cT0kEnV4lu3xYz0123456789AbCd'; // ghp_ + 36
const GHS = 'ghs_' + '16C7e42F292c6912E7710c838347Ae178B4a'; // ghs_ + 36
const GITHUB_PAT = 'github_pat_' + '11ABCDEFG0123456789abc' + '_' + 'AbCdEfGhIjKlMnOpQrStUvWxYz0123456789AbCdEfGhIjKlMnOpQrStUvW';
const AKIA = 'AKIAIOSFODNN7EXAMPLE';
const ASIA = 'ASIAY34FZKBOKMUTVV7A';
const AWS_SECRET = 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY';
const NPM = 'npm_' + 'aB3dE6gH9jK2mN5pQ8sT1vW4yZ7bC0eF3hJ6'; // npm_ + 36
const SLACK = 'xoxb-123456789012-1234567890123-AbCdEfGhIjKlMnOpQrStUvWx';
const STRIPE = 'sk_live_' + '4eC39HqLyjWDarjtT1zdp7dc';
const BEARER = 'eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.c2lnbmF0dXJlLXBhcnQ';

describe('the example credentials', () => {
  test('have the lengths real ones have', () => {
    expect(GHP).toHaveLength(40);
    expect(GHS).toHaveLength(40);
    expect(GITHUB_PAT).toHaveLength(93);
    expect(AKIA).toHaveLength(20);
    expect(ASIA).toHaveLength(20);
    expect(NPM).toHaveLength(40);
  });
});

describe('maskCredentials', () => {
  test('MASK is what replaces a credential', () => {
    expect(MASK).toBe('***');
  });

  test.each<[string, string, string]>([
    ['a GitHub personal access token (ghp_)', `export GITHUB_TOKEN=${GHP}`, 'export GITHUB_TOKEN=***'],
    ['a GitHub App installation token (ghs_)', `token: ${GHS} (expires in 1h)`, 'token: *** (expires in 1h)'],
    ['a fine-grained GitHub token (github_pat_)', `using ${GITHUB_PAT} for the clone`, 'using *** for the clone'],
    ['an AWS access key id (AKIA)', `AWS_ACCESS_KEY_ID=${AKIA}`, 'AWS_ACCESS_KEY_ID=***'],
    ['a temporary AWS access key id (ASIA)', `"AccessKeyId": "${ASIA}",`, '"AccessKeyId": "***",'],
    ['an aws_secret_access_key assignment', `aws_secret_access_key = ${AWS_SECRET}`, 'aws_secret_access_key = ***'],
    ['an AWS_SECRET_ACCESS_KEY env assignment', `AWS_SECRET_ACCESS_KEY=${AWS_SECRET} npm run deploy`, 'AWS_SECRET_ACCESS_KEY=*** npm run deploy'],
    ['a "secretAccessKey" JSON field', `{"accessKeyId": "x", "secretAccessKey": "${AWS_SECRET}"}`, '{"accessKeyId": "x", "secretAccessKey": "***"}'],
    ['a "SecretAccessKey" field as printed by aws sts', `    "SecretAccessKey": "${AWS_SECRET}",`, '    "SecretAccessKey": "***",'],
    ['a session token assignment', 'AWS_SESSION_TOKEN=IQoJb3JpZ2luX2VjEJr//////////wEaCXVzLWVhc3QtMSJHMEUCIQ== next',
      'AWS_SESSION_TOKEN=*** next'],
    ['an npm token', `//registry.npmjs.org/:_authToken=${NPM}`, '//registry.npmjs.org/:_authToken=***'],
    ['a Slack bot token', `SLACK_TOKEN=${SLACK} posted`, 'SLACK_TOKEN=*** posted'],
    ['a Stripe live secret key', `stripe.setKey('${STRIPE}')`, "stripe.setKey('***')"],
    ['a Stripe restricted key', 'rk_live_51HxYzAbCdEfGhIjKlMn0p', '***'],
    ['an Authorization: Bearer header', `> Authorization: Bearer ${BEARER}`, '> Authorization: Bearer ***'],
    ['an Authorization header in JSON', `{"authorization":"Bearer ${BEARER}"}`, '{"authorization":"Bearer ***"}'],
    ['an Authorization: Basic header', 'authorization: basic dXNlcjpjb3JyZWN0aG9yc2U=', 'authorization: basic ***'],
    ['a password in a URL', 'fetching https://deploy:hunter2secret@registry.example.com/pkg.tgz', 'fetching https://deploy:***@registry.example.com/pkg.tgz'],
    ['a password in a database URL', 'DATABASE_URL=postgres://app:s3cr3t-P4ss@db.internal:5432/shop', 'DATABASE_URL=postgres://app:***@db.internal:5432/shop'],
  ])('masks %s and keeps the text around it', (_label, line, expected) => {
    expect(maskCredentials(line)).toBe(expected);
  });

  test('masks the token in a git clone URL (the token pattern and the URL pattern together)', () => {
    expect(maskCredentials(`Cloning into 'shop'... https://x-access-token:${GHS}@github.com/acme/shop.git`))
      .toBe("Cloning into 'shop'... https://x-access-token:***@github.com/acme/shop.git");
  });

  test('masks several credentials in one line', () => {
    const line = `keys ${AKIA} and ${GHP}; slack ${SLACK}, npm ${NPM}, stripe ${STRIPE}, url https://u:pw123456@h.example/ end`;
    expect(maskCredentials(line)).toBe('keys *** and ***; slack ***, npm ***, stripe ***, url https://u:***@h.example/ end');
  });

  test('masks every occurrence of the same credential', () => {
    expect(maskCredentials(`${GHP} ${GHP}\n${GHP}`)).toBe('*** ***\n***');
  });

  test('a masked line stays as it is when masked again', () => {
    const once = maskCredentials(`aws_secret_access_key=${AWS_SECRET} Authorization: Bearer ${BEARER} ${AKIA}`);
    expect(once).not.toContain(AWS_SECRET);
    expect(maskCredentials(once)).toBe(once);
  });

  test('masks a whole bearer token that contains "_" and "-" (base64url JWT)', () => {
    const jwt = 'eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJhYmMifQ.dBjftJeZ4CVP_mB92K27uhbUJU1p1r_wW1gFWFOE-jXk';
    expect(maskCredentials(`Authorization: Bearer ${jwt}`)).toBe('Authorization: Bearer ***');
  });

  test.each<[string, string]>([
    ['npm install output', 'added 1423 packages, and audited 1424 packages in 32s'],
    ['an npm warning', 'npm WARN deprecated inflight@1.0.6: This module is not supported, and leaks memory.'],
    ['a git sha', 'HEAD is now at 3f786850e387550fdab836ed7e6dc881de23001b Merge pull request #12 from acme/feature'],
    ['a URL without a password', 'GET https://registry.npmjs.org/react/-/react-18.2.0.tgz 200'],
    ['a URL with a user but no password', 'remote: https://deploy@github.com/acme/shop.git'],
    ['a URL with a port and an @ in the path', 'https://cdn.example.com:8443/npm/lodash@4.17.21/lodash.min.js'],
    ['a ghp_ that is too short', 'ghp_tooShort123 is not a token'],
    ['a 20-character uppercase word that is not a key', 'CONFIGURATIONSUMMARY written'],
    ['an environment variable name', 'reading AWS_SECRET_ACCESS_KEY from the environment'],
    ['an Authorization header without a credential', 'Authorization: Bearer'],
    ['an empty line', ''],
    ['a CDK deploy line', ' ✅  ShopStack (no changes)\n\nStack ARN:\narn:aws:cloudformation:eu-west-1:123456789012:stack/ShopStack/0f1e'],
  ])('leaves %s unchanged', (_label, line) => {
    expect(maskCredentials(line)).toBe(line);
  });
});
