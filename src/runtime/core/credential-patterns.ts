/**
 * Shapes of well-known credentials, masked in every stored log line. The builder masks
 * the exact values it knows first; this second line of defense catches a credential the
 * builder never saw (one printed by a dependency, one fetched by the app itself).
 */
const PATTERNS: readonly RegExp[] = [
  // GitHub tokens: personal, OAuth, user-to-server, server-to-server, refresh, fine-grained.
  /\b(?:gh[pousr]_[A-Za-z0-9]{36,255}|github_pat_[A-Za-z0-9_]{22,255})\b/g,
  // AWS access key ids (long-term and temporary).
  /\b(?:AKIA|ASIA|ABIA|ACCA)[A-Z0-9]{16}\b/g,
  // AWS secret access keys and session tokens written as assignments.
  /(?<=\b(?:aws_?secret_?access_?key|aws_?session_?token|secretAccessKey|sessionToken)["']?\s*[:=]\s*["']?)[A-Za-z0-9/+=]{16,}/gi,
  // npm, Slack and Stripe secret tokens.
  /\bnpm_[A-Za-z0-9]{36}\b/g,
  /\bxox[abposr]-[A-Za-z0-9-]{10,}\b/g,
  /\b[sr]k_live_[A-Za-z0-9]{16,}\b/g,
  // Bearer credentials in headers.
  /(?<=\bauthorization["']?\s*[:=]\s*["']?(?:bearer|token|basic)\s+)[A-Za-z0-9._~+/=-]{8,}/gi,
  // Passwords in URLs: scheme://user:password@host
  /(?<=[a-z][a-z0-9+.-]*:\/\/[^\s:/@]+:)[^\s@/]+(?=@)/gi,
];

export const MASK = '***';

export function maskCredentials(text: string): string {
  let masked = text;
  for (const pattern of PATTERNS) masked = masked.replace(pattern, MASK);
  return masked;
}
