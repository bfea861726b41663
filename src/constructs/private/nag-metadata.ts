import { Aspects, CfnResource, IAspect } from 'aws-cdk-lib';
import { IConstruct } from 'constructs';

/**
 * cdk-nag 2 does not read CDK's Validations acknowledgements: it reads suppressions from each
 * CfnResource's `cdk_nag` metadata, the format its `NagSuppressions.addResourceSuppressions`
 * writes: `{ rules_to_suppress: [{ id: 'AwsSolutions-L1', reason, applies_to?: ['Resource::*'] }] }`.
 * A rule with findings (IAM4, IAM5) is suppressed per finding through `applies_to`, the finding
 * id without the rule (`Resource::<Table.Arn>/index/*`). Written here so the library does not
 * depend on cdk-nag; test/security runs both majors.
 *
 * Only where cdk-nag 2 checks run: the metadata would otherwise add a quarter to every template
 * for no reader.
 */
interface NagCfnSuppression {
  readonly id: string;
  readonly reason: string;
  readonly applies_to?: string[];
  readonly is_reason_encoded?: boolean;
}

/**
 * Add one suppression to `resource`'s `cdk_nag` metadata, after what is there already (a
 * user's own NagSuppressions): cdk-nag's own format, entries deduplicated the way it does.
 */
export function addNagSuppression(resource: CfnResource, rule: string, reason: string, appliesTo?: readonly string[]): void {
  const metadata = resource.getMetadata('cdk_nag') as { rules_to_suppress?: NagCfnSuppression[] } | undefined;
  // cdk-nag stores a reason with characters beyond Latin-1 base64-encoded, and decodes it on read.
  const encoded = [...reason].some(c => (c.codePointAt(0) ?? 0) > 255);
  const suppression: NagCfnSuppression = {
    reason: encoded ? Buffer.from(reason).toString('base64') : reason,
    id: `AwsSolutions-${rule}`,
    ...(appliesTo ? { applies_to: [...appliesTo] } : {}),
    ...(encoded ? { is_reason_encoded: true } : {}),
  };
  const rules = [...(metadata?.rules_to_suppress ?? []), suppression].map(entry => JSON.stringify(entry));
  resource.addMetadata('cdk_nag', { ...metadata, rules_to_suppress: [...new Set(rules)].map(entry => JSON.parse(entry)) });
}

/**
 * Whether cdk-nag 2 checks `node`: a NagPack aspect (cdk-nag 2's packs are aspects with a
 * `readPackName`; cdk-nag 3's are Validations plugins) added to it or to a scope above it.
 */
export function checkedByNagV2(node: IConstruct): boolean {
  for (let scope: IConstruct | undefined = node; scope !== undefined; scope = scope.node.scope) {
    if (Aspects.of(scope).all.some(aspect => 'readPackName' in aspect)) return true;
  }
  return false;
}

/**
 * A rule acknowledged whole on a scope: every CfnResource under it, made before or after the
 * acknowledgement, carries the suppression (as CDK's Validations acknowledgement covers the
 * scope's children). Added as a mutating aspect, so it runs before cdk-nag 2's aspect, which
 * users add at the default priority.
 */
export class NagRuleSuppression implements IAspect {
  constructor(private readonly rule: string, private readonly reason: string) {}

  public visit(node: IConstruct): void {
    if (CfnResource.isCfnResource(node) && checkedByNagV2(node)) addNagSuppression(node, this.rule, this.reason);
  }
}
