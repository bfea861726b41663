import { HttpResponse } from '../core/http';

/**
 * The page a browser lands on when a sign-in with GitHub ends without a token: the reason, and
 * a way back to the dashboard when the sign-in said where it came from. Nothing runs on it.
 */
export function signInRefusedPage(statusCode: number, reason: string, returnTo?: string): HttpResponse {
  const back = returnTo === undefined ? '' : `\n<p><a href="${escapeHtml(returnTo)}" id="back">Back to Trellis</a></p>`;
  return {
    statusCode,
    headers: {
      'content-type': 'text/html; charset=utf-8',
      'cache-control': 'no-store',
      'content-security-policy': "default-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
      'referrer-policy': 'no-referrer',
    },
    body: `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>Trellis: not signed in</title></head>
<body>
<h1>Not signed in</h1>
<p id="reason">${escapeHtml(reason)}</p>${back}
</body>
</html>
`,
  };
}

/** A redirect that leaves nothing in a cache or a Referer header. */
export function redirectTo(location: string): HttpResponse {
  return { statusCode: 302, headers: { 'location': location, 'cache-control': 'no-store', 'referrer-policy': 'no-referrer' }, body: '' };
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, char => `&#${char.charCodeAt(0)};`);
}
