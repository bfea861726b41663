/**
 * True when the JWT's `exp` comes before `now + marginMs` (a token that is not a JWT, or has
 * no `exp`, is left to the server to judge).
 */
export function expiresWithin(token: string, marginMs: number, now = Date.now()): boolean {
  try {
    const claims = JSON.parse(atob(token.split('.')[1].replace(/-/g, '+').replace(/_/g, '/'))) as { exp?: unknown };
    return typeof claims.exp === 'number' && claims.exp * 1000 < now + marginMs;
  } catch {
    return false;
  }
}
