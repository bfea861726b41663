import { StandInContext } from './context';
import { Refusal } from './credentials';
import { commitOf } from './git-commits';
import { Route, escapeHtml, page } from './http-answers';
import { StoredDeployment, StoredStatus } from './state';

/**
 * A hosted repository's pages, where a person (or a browser test) sees what Trellis reported: the
 * default branch's newest commit with its statuses and the repository's deployments
 * (`/<owner>/<repo>`), and one commit's statuses (`/<owner>/<repo>/commit/<sha>`, a status's
 * html_url on GitHub). Listed after every other page: `/apps/<slug>` is not a repository.
 */
export function repositoryRoutes(context: StandInContext): Route[] {
  const repository = (owner: string, name: string) => {
    const found = context.file.state.repositories[`${owner}/${name}`];
    if (!found) throw new Refusal(404, 'Not Found');
    return found;
  };

  return [
    ['GET', /^\/([^/]+)\/([^/]+)$/, async request => {
      const found = repository(request.params[0], request.params[1]);
      const head = await commitOf(found.path, found.defaultBranch);
      const headPart = head
        ? `<h2>${escapeHtml(found.defaultBranch)}: <a href="/${escapeHtml(found.fullName)}/commit/${head.sha}">${head.sha.slice(0, 7)}</a> `
          + `${escapeHtml(head.message.split('\n')[0])}</h2>${statusTable(newestPerContext(context.file.state.statuses[found.fullName] ?? [], head.sha))}`
        : `<p>No commit on ${escapeHtml(found.defaultBranch)}.</p>`;
      return page(200, found.fullName, `${headPart}<h2>Deployments</h2>${deploymentTable(context.file.state.deployments[found.fullName] ?? [])}`);
    }],

    ['GET', /^\/([^/]+)\/([^/]+)\/commit\/([0-9a-f]{40})$/, request => {
      const found = repository(request.params[0], request.params[1]);
      const sha = request.params[2];
      const statuses = (context.file.state.statuses[found.fullName] ?? []).filter(status => status.sha === sha);
      const deployments = (context.file.state.deployments[found.fullName] ?? []).filter(deployment => deployment.sha === sha);
      return page(200, `${found.fullName} ${sha.slice(0, 7)}`, `<h2>Statuses</h2>${statusTable(statuses)}<h2>Deployments</h2>${deploymentTable(deployments)}`);
    }],
  ];
}

/** Each context's newest status of a commit, as GitHub shows a commit's checks. */
function newestPerContext(statuses: readonly StoredStatus[], sha: string): StoredStatus[] {
  const newest = new Map<string, StoredStatus>();
  for (const status of statuses) if (status.sha === sha) newest.set(status.context, status);
  return [...newest.values()];
}

function statusTable(statuses: readonly StoredStatus[]): string {
  if (statuses.length === 0) return '<p>No statuses.</p>';
  const rows = statuses.map(status => `<tr><td>${escapeHtml(status.context)}</td><td>${escapeHtml(status.state)}</td>`
    + `<td>${escapeHtml(status.description ?? '')}</td><td>${status.target_url ? link(status.target_url, 'Details') : ''}</td></tr>`);
  return `<table><tr><th>Context</th><th>State</th><th>Description</th><th></th></tr>${rows.join('')}</table>`;
}

function deploymentTable(deployments: readonly StoredDeployment[]): string {
  if (deployments.length === 0) return '<p>No deployments.</p>';
  const rows = [...deployments].reverse().slice(0, 50).map(deployment => {
    const latest = deployment.statuses[deployment.statuses.length - 1];
    return `<tr><td>${escapeHtml(deployment.environment)}</td><td>${deployment.sha.slice(0, 7)}</td><td>${escapeHtml(latest?.state ?? 'created')}</td>`
      + `<td>${latest?.environment_url ? link(latest.environment_url, 'View deployment') : ''}</td><td>${latest?.log_url ? link(latest.log_url, 'Log') : ''}</td></tr>`;
  });
  return `<table><tr><th>Environment</th><th>Commit</th><th>State</th><th></th><th></th></tr>${rows.join('')}</table>`;
}

/** A link only to http(s): a stored URL is whatever a client sent. */
function link(url: string, text: string): string {
  return /^https?:\/\//i.test(url) ? `<a href="${escapeHtml(url)}">${escapeHtml(text)}</a>` : '';
}
