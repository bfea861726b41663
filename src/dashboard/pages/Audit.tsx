import { useState } from 'preact/hooks';
import { ALL_APPLICATIONS } from '../../runtime/core/access';
import { AuditEntryView } from '../../runtime/core/api-types';
import { AuditFilters, auditExportFileName } from '../audit';
import { AuditFilterForm } from '../components/AuditFilterForm';
import { AuditTable } from '../components/AuditTable';
import { Empty, ErrorBox, Spinner } from '../components/ErrorBox';
import { Layout } from '../components/Layout';
import { usePages, useResource } from '../hooks';
import { navigate } from '../router';
import { href } from '../routes';
import { useSession } from '../session';

const PAGE_SIZE = 50;

/**
 * An application's audit trail (admins; the API decides), or with `*` the installation's own:
 * entries newest first, a page at a time, filtered by action, environment and who, and exported
 * as JSON lines. The filters live in the address, so Back undoes one and a filtered view can be shared.
 */
export function AuditPage({ app, filters }: { app: string; filters: AuditFilters }) {
  const { api } = useSession();
  const pages = usePages<AuditEntryView>(`audit:${app}:${href.audit(app, filters)}`, cursor => api.audit(app, { ...filters, cursor, limit: PAGE_SIZE }));
  const installation = app === ALL_APPLICATIONS;
  // The environments, for the filter (the installation's entries have none).
  const view = useResource(`app:${app}`, () => (installation ? Promise.resolve(undefined) : api.app(app)));
  const [exporting, setExporting] = useState(false);
  const [exportError, setExportError] = useState<unknown>();

  const exportJsonLines = async () => {
    setExporting(true);
    setExportError(undefined);
    try {
      saveFile(auditExportFileName(app, new Date()), await api.auditJsonLines(app, filters), 'application/x-ndjson');
    } catch (error) {
      setExportError(error);
    } finally {
      setExporting(false);
    }
  };

  const filtered = Object.values(filters).some(value => value);
  return (
    <Layout crumbs={[{ label: 'Applications', href: href.apps() }, ...installation ? [] : [{ label: app, href: href.app(app) }], { label: 'Audit trail' }]}>
      <div class="page-head">
        <h1>{installation ? 'Installation' : app} <span class="muted">audit trail</span></h1>
        <button type="button" onClick={exportJsonLines} disabled={exporting} data-testid="audit-export"
          title="Every entry matching the filters, one JSON object per line">
          {exporting ? 'Exporting…' : 'Export JSON lines'}
        </button>
        <button type="button" class="quiet" onClick={pages.reload} data-testid="audit-refresh">Refresh</button>
      </div>
      <AuditFilterForm
        key={href.audit(app, filters)}
        filters={filters}
        environments={view.data?.environments.map(env => env.name) ?? []}
        onChange={next => navigate(href.audit(app, next))}
      />
      {exportError ? <ErrorBox error={exportError} testId="audit-export-error" /> : null}
      {pages.error ? <ErrorBox error={pages.error} onRetry={pages.reload} testId="audit-error" /> : null}
      {!pages.loading && !pages.error && pages.items.length === 0
        ? (
          <Empty title={filtered ? 'Nothing matches these filters' : 'Nothing recorded yet'} testId="audit-empty">
            {filtered ? <a href={href.audit(app)}>Show every entry</a> : installation
              ? <>Connecting the GitHub App, redeliveries and API tokens for every application show up here.</>
              : <>Deployments, settings changes and other actions on {app} show up here.</>}
          </Empty>
        )
        : null}
      {pages.items.length > 0 ? <AuditTable entries={pages.items} /> : null}
      {pages.loading ? <Spinner /> : null}
      {pages.more && !pages.loading && pages.items.length > 0
        ? <button type="button" class="load-more" onClick={pages.loadMore} data-testid="load-more">Load more</button>
        : null}
    </Layout>
  );
}

/** Hands `text` to the browser as a download named `name`. */
function saveFile(name: string, text: string, type: string): void {
  const url = URL.createObjectURL(new Blob([text], { type }));
  const link = document.createElement('a');
  link.href = url;
  link.download = name;
  document.body.append(link);
  link.click();
  link.remove();
  // After the click has started the download.
  setTimeout(() => URL.revokeObjectURL(url), 0);
}
