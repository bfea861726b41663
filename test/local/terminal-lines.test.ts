import { startBanner } from '../../src/local/terminal-lines';

/** The start banner's push hint is a command that works as printed, for the data directory this run uses. */
describe('startBanner', () => {
  const details = {
    url: 'http://127.0.0.1:4000',
    webhookUrl: 'http://127.0.0.1:4000/webhook',
    webSocketUrl: 'ws://127.0.0.1:4000/live',
    user: 'admin',
    password: 'pw',
    dataDir: '/home/me/project/.trellis/local',
    applications: ['sample-app'],
    command: 'npx trellis',
  };
  const pushLine = (banner: string) => banner.split('\n').find(line => line.startsWith('Push a commit:'));

  test('the default data directory: the hint needs no --data-dir', () => {
    expect(pushLine(startBanner(details))).toBe('Push a commit:  npx trellis push sample-app main');
  });

  test.each([
    ['/tmp/trellis-b', '/tmp/trellis-b'],
    ['/tmp/my data', "'/tmp/my data'"],
    ["/tmp/it's; rm -rf ~", "'/tmp/it'\\''s; rm -rf ~'"],
  ])('a chosen data directory %s: the hint carries it, quoted for a shell when needed', (dataDir, word) => {
    expect(pushLine(startBanner({ ...details, dataDir, customDataDir: true }))).toBe(`Push a commit:  npx trellis push sample-app main --data-dir ${word}`);
  });
});
