import { Deployment } from '../../runtime/core/types';
import { deploySource } from '../format';

/** "from artifact" or "rebuild" on a rollback or promotion, the builder's reason as the title; nothing for other deployments. */
export function SourceLabel({ deployment }: { deployment: Deployment }) {
  const source = deploySource(deployment);
  if (!source) return null;
  return (
    <span class={`tag source-${source.label === 'rebuild' ? 'rebuild' : 'artifact'}`} title={source.detail} data-testid="deploy-source">
      {source.label}
    </span>
  );
}
