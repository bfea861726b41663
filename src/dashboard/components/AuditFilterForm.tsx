import { useState } from 'preact/hooks';
import { AuditAction } from '../../runtime/core/api-types';
import { AUDIT_ACTIONS, AUDIT_ACTION_LABELS, AuditFilters } from '../audit';

/**
 * The audit page's filters: the selects apply at once, the actor when submitted (Enter or
 * Filter), so typing a name does not ask the API at every key.
 */
export function AuditFilterForm({ filters, environments, onChange }: {
  filters: AuditFilters;
  environments: readonly string[];
  onChange: (filters: AuditFilters) => void;
}) {
  const [actor, setActor] = useState(filters.actor ?? '');
  // An environment filtered on that no longer exists still shows as chosen.
  const envOptions = filters.environment && !environments.includes(filters.environment) ? [...environments, filters.environment] : environments;
  return (
    <form class="audit-filters" data-testid="audit-filters" onSubmit={event => {
      event.preventDefault();
      onChange({ ...filters, actor: actor.trim() || undefined });
    }}>
      <label>
        Action
        <select value={filters.action ?? ''} data-testid="audit-filter-action"
          onChange={event => onChange({ ...filters, action: (event.currentTarget.value || undefined) as AuditAction | undefined })}>
          <option value="">all actions</option>
          {AUDIT_ACTIONS.map(action => <option key={action} value={action}>{AUDIT_ACTION_LABELS[action]}</option>)}
        </select>
      </label>
      <label>
        Environment
        <select value={filters.environment ?? ''} data-testid="audit-filter-environment"
          onChange={event => onChange({ ...filters, environment: event.currentTarget.value || undefined })}>
          <option value="">all environments</option>
          {envOptions.map(env => <option key={env} value={env}>{env}</option>)}
        </select>
      </label>
      <label>
        Who
        <input value={actor} placeholder="name or token <name>" onInput={event => setActor(event.currentTarget.value)} data-testid="audit-filter-actor" />
      </label>
      <button type="submit" data-testid="audit-filter-apply">Filter</button>
    </form>
  );
}
