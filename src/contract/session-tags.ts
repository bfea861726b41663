/**
 * Session tags the builder puts on its environment's deploy role session. Each environment's
 * build role may set them to its own values only, so a deploy role's trust policy that
 * requires them admits that environment's builds alone.
 */
export const SESSION_TAGS = {
  application: 'trellis:application',
  environment: 'trellis:environment',
  installation: 'trellis:installation',
} as const;
