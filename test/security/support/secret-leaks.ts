import { maskCredentials } from '../../../src/runtime/core/credential-patterns';

/**
 * Ways a secret's value ends up in a template, where anyone who can read the stack (or its
 * CloudFormation events, or the cdk.out folder) can read it too.
 */

/** Attributes whose value is a secret, never to be referenced (`Fn::GetAtt`) into another resource. */
const SECRET_ATTRIBUTES = new Set(['ClientSecret', 'SecretAccessKey', 'SecretString']);

/** Dynamic references CloudFormation resolves into a secret's value at deploy time. */
const SECRET_REFERENCE = /\{\{resolve:(secretsmanager|ssm-secure):/;

/** Each place in a template where a secret value is, or is resolved into: `<path>: <why>`. */
export function secretLeaks(template: unknown): string[] {
  const leaks: string[] = [];
  const visit = (value: unknown, path: string): void => {
    if (typeof value === 'string') {
      if (SECRET_REFERENCE.test(value)) leaks.push(`${path}: dynamic reference to a secret`);
      if (maskCredentials(value) !== value) leaks.push(`${path}: credential-shaped value`);
    } else if (Array.isArray(value)) {
      value.forEach((item, index) => visit(item, `${path}/${index}`));
    } else if (value && typeof value === 'object') {
      for (const [key, item] of Object.entries(value)) {
        if (key === 'SecretString') leaks.push(`${path}/${key}: secret value in the template`);
        if (key === 'Fn::GetAtt' && Array.isArray(item) && SECRET_ATTRIBUTES.has(String(item[1]))) leaks.push(`${path}: reference to ${item.join('.')}`);
        visit(item, `${path}/${key}`);
      }
    }
  };
  visit(template, '');
  return leaks;
}
