import { createHmac, randomUUID } from 'crypto';

/** GitHub's webhook signature: `sha256=` and the hex HMAC-SHA256 of the raw body bytes. */
export function githubSignature(secret: string, body: string | Buffer): string {
  return `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;
}

/** The headers GitHub sends with a push delivery, signed with `secret`. */
export function signedPushHeaders(secret: string, body: string | Buffer, delivery: string = randomUUID()): Record<string, string> {
  return {
    'content-type': 'application/json',
    'x-github-event': 'push',
    'x-github-delivery': delivery,
    'x-hub-signature-256': githubSignature(secret, body),
  };
}
