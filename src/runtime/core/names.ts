/**
 * Rules for names and identifiers, shared by synth-time validation, the local config
 * loader and the control API. Each returns a reason when the value breaks the rule.
 */

const STAGE_NAME = /^[a-z](?:[a-z0-9-]{0,30}[a-z0-9])?$/;
const APP_NAME = /^[a-z](?:[a-z0-9-]{0,38}[a-z0-9])?$/;
const GITHUB_OWNER = /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})$/;
const GITHUB_REPO = /^[A-Za-z0-9._-]{1,100}$/;
// us-east-1, us-gov-west-1, us-isob-east-1, eusc-de-east-1 (European Sovereign Cloud)
const REGION = /^[a-z]{2,4}(?:-[a-z]+){1,3}-\d{1,2}$/;
const ACCOUNT = /^\d{12}$/;
const ROLE_ARN = /^arn:aws[a-z-]*:iam::\d{12}:role\/[\w+=,.@\/-]{1,512}$/;
const VARIABLE_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,127}$/;
const RESERVED_OBJECT_KEYS: readonly string[] = ['__proto__', 'constructor'];

export type Rule = (value: string) => string | undefined;

/** Environment names become stage names (SST, Serverless, CloudFormation stack suffixes). */
export const environmentName: Rule = value =>
  STAGE_NAME.test(value) && !value.includes('--')
    ? undefined
    : `'${printable(value)}' must be 1-32 lowercase letters, digits or single hyphens, start with a letter and not end with a hyphen (it is used as the stage name)`;

export const applicationName: Rule = value =>
  APP_NAME.test(value) && !value.includes('--')
    ? undefined
    : `'${printable(value)}' must be 1-40 lowercase letters, digits or single hyphens, start with a letter and not end with a hyphen`;

/** The owner local mode gives a repository that exists only on this machine (`local/<app>`): it has no GitHub page. */
export const LOCAL_OWNER = 'local';

/** A GitHub account's login: a repository's owner, an organization. */
export const githubLogin: Rule = value =>
  GITHUB_OWNER.test(value) && !value.endsWith('-') ? undefined : `'${printable(value)}' must be a GitHub account or organization login, such as 'acme'`;

export const repository: Rule = value => {
  const [owner, repo, ...rest] = value.split('/');
  const valid = rest.length === 0 && owner !== undefined && repo !== undefined
    && githubLogin(owner) === undefined
    && GITHUB_REPO.test(repo) && repo !== '.' && repo !== '..' && !repo.endsWith('.git');
  return valid ? undefined : `'${printable(value)}' must be a GitHub repository as 'owner/repo' (no URL, no .git suffix)`;
};

export const region: Rule = value =>
  REGION.test(value) ? undefined : `'${printable(value)}' is not an AWS region name such as 'eu-west-1'`;

export const account: Rule = value =>
  ACCOUNT.test(value) ? undefined : `'${printable(value)}' must be a 12-digit AWS account id`;

export const roleArn: Rule = value =>
  ROLE_ARN.test(value) ? undefined : `'${printable(value)}' must be an IAM role ARN such as 'arn:aws:iam::111122223333:role/deploy'`;

export const variableName: Rule = value =>
  !VARIABLE_NAME.test(value) ? `'${printable(value)}' must be a variable name: letters, digits and underscores, not starting with a digit`
    // Variables travel as plain objects: `vars.__proto__ = v` sets a prototype (the variable vanishes), and an own
    // `constructor` makes the DynamoDB marshaller take the object for a class instance (the write fails).
    : RESERVED_OBJECT_KEYS.includes(value) ? `'${value}' cannot be a variable name: JavaScript objects give it a special meaning`
      : undefined;

/** A commit named by its full SHA-1 (40 lowercase hexadecimal characters), as git prints it. */
export function isCommitSha(value: string): boolean {
  return /^[0-9a-f]{40}$/.test(value);
}

/** git check-ref-format rules for a branch name, plus a length cap. */
export const branchName: Rule = value => {
  const problem =
    value.length === 0 ? 'is empty'
      : value.length > 255 ? 'is longer than 255 characters'
        : /[\x00-\x20\x7f~^:?*[\\]/.test(value) ? 'contains a space, control character or one of ~ ^ : ? * [ \\'
          : hasLoneSurrogate(value) ? 'is not valid Unicode text (it has a lone surrogate)'
            : value.startsWith('-') ? 'starts with a hyphen'
              : value.startsWith('/') || value.endsWith('/') || value.includes('//') ? 'has an empty path component'
                : value.includes('..') || value.includes('@{') ? "contains '..' or '@{'"
                  : value.endsWith('.') || value.split('/').some(part => part.startsWith('.') || part.endsWith('.lock')) ? "has a component that starts with '.' or ends with '.' or '.lock'"
                    : value === '@' || value === 'HEAD' ? `is '${value}', which git reserves`
                      : undefined;
  return problem ? `branch '${printable(value)}' ${problem}` : undefined;
};

const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

/** JSON can carry lone surrogates, UTF-8 (git, GitHub, DynamoDB, Secrets Manager) cannot: stored, they would change. */
export function hasLoneSurrogate(value: string): boolean {
  return new RegExp(LONE_SURROGATE.source).test(value);
}

/** The text as UTF-8 can hold it: each lone surrogate becomes U+FFFD, as storing it would do anyway. */
export function wellFormed(value: string): string {
  return value.replace(LONE_SURROGATE, '\ufffd');
}

/** Echo user input in an error without letting control characters or huge values through. */
export function printable(value: string, max = 80): string {
  const clean = value.replace(/[\x00-\x1f\x7f]/g, '?');
  return clean.length > max ? `${clean.slice(0, max)}...` : clean;
}

/** Prefix of this installation's secrets (`trellis/<installation>/...`); same shape as a stage name. */
export const installationName: Rule = value =>
  STAGE_NAME.test(value) && !value.includes('--')
    ? undefined
    : `'${printable(value)}' must be 1-32 lowercase letters, digits or single hyphens, start with a letter and not end with a hyphen`;
