import { ComponentChildren } from 'preact';
import { useEffect } from 'preact/hooks';
import { ALL_APPLICATIONS } from '../../runtime/core/access';
import { administersAnyApplication, isInstallationAdmin } from '../roles';
import { href } from '../routes';
import { useSession } from '../session';

export interface Crumb {
  readonly label: string;
  readonly href?: string;
}

export function Layout({ crumbs, children }: { crumbs: readonly Crumb[]; children: ComponentChildren }) {
  const session = useSession();
  const title = [...crumbs].reverse().map(crumb => crumb.label).join(' · ');
  useEffect(() => {
    document.title = `${title} — Trellis`;
  }, [title]);
  return (
    <div class="shell">
      <header class="topbar">
        <a class="brand" href={href.apps()} data-testid="home">Trellis</a>
        <nav class="crumbs" aria-label="Breadcrumb">
          {crumbs.map((crumb, index) => (
            <span key={index}>
              <span class="sep" aria-hidden="true">/</span>
              {crumb.href ? <a href={crumb.href}>{crumb.label}</a> : <span aria-current="page">{crumb.label}</span>}
            </span>
          ))}
        </nav>
        <div class="user">
          {isInstallationAdmin(session.me) ? <a href={href.setup()} data-testid="setup-link">GitHub</a> : null}
          {administersAnyApplication(session.me) ? <a href={href.tokens()} data-testid="tokens-link">API tokens</a> : null}
          {isInstallationAdmin(session.me) ? <a href={href.audit(ALL_APPLICATIONS)} data-testid="installation-audit-link">Audit trail</a> : null}
          {session.me ? <span class="who" data-testid="user-name" title={roles(session.me.grants)}>{session.me.name}</span> : null}
          <button type="button" class="quiet" onClick={session.signOut} data-testid="sign-out">Sign out</button>
        </div>
      </header>
      <main class="content">{children}</main>
    </div>
  );
}

function roles(grants: ReadonlyArray<{ application: string; role: string }>): string {
  return grants.map(grant => `${grant.role} on ${grant.application === '*' ? 'all applications' : grant.application}`).join(', ');
}
