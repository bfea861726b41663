import { IConstruct } from 'constructs';
import { ValidationError, ValidationIssue, formatIssueAs } from '../../runtime/core/errors';
import { NameForm, nameFormOfAgent, propPathAs } from '../../runtime/core/name-forms';

/**
 * The name form of the user's language: the jsii host that started this Node process sets
 * `JSII_AGENT` (`Python/3.12.3`, `Java/17.0.13`); Node itself sets none (TypeScript, JavaScript).
 * Read at each error, so a process that sets it late still gets its own form.
 */
export function userNameForm(): NameForm {
  return nameFormOfAgent(process.env.JSII_AGENT);
}

/** A synth-time issue of construct props as the user's language names the props. */
export function formatPropIssue(issue: ValidationIssue): string {
  return formatIssueAs(issue, userNameForm());
}

/** A prop path (`buildServer.artifactExpiration`) as the user's language names the props. */
export function propName(path: string): string {
  return propPathAs(path, userNameForm());
}

/**
 * The error a construct or factory throws for its props: `heading`, then one issue a line, each
 * prop named as the user's language spells it. `issues` keep their JSON paths for code.
 */
export function propsError(heading: string, issues: readonly ValidationIssue[]): ValidationError {
  const error = new ValidationError(issues);
  error.message = `${heading}\n${issues.map(issue => `  ${formatPropIssue(issue)}`).join('\n')}`;
  return error;
}

/** What a construct throws for its props: `<kind> <construct path>: invalid configuration`, then the issues. */
export function constructPropsError(kind: string, construct: IConstruct, issues: readonly ValidationIssue[]): ValidationError {
  return propsError(`${kind} ${construct.node.path}: invalid configuration`, issues);
}

/** What a static factory (`DashboardIdentity.oidc`) or method throws for its options: `<what>: invalid options`, then the issues. */
export function optionsError(what: string, issues: readonly ValidationIssue[]): ValidationError {
  return propsError(`${what}: invalid options`, issues);
}
