/** What the test entry's fake AssumeRole returns; tests look for these values. */
export const FAKE_ROLE_CREDENTIALS = {
  accessKeyId: 'ASIAFAKEDEPLOYROLE01',
  secretAccessKey: 'fake-secret-access-key-0123456789',
  sessionToken: 'fake-session-token-0123456789',
};
