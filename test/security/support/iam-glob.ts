/**
 * Whether an IAM resource pattern matches an ARN: `*` is any run of characters (slashes
 * included), `?` exactly one, everything else literal and case-sensitive, as IAM evaluates
 * the Resource element.
 */
export function iamGlobMatches(pattern: string, arn: string): boolean {
  const source = [...pattern].map(char => (char === '*' ? '.*' : char === '?' ? '.' : char.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&'))).join('');
  return new RegExp(`^${source}$`, 's').test(arn);
}
