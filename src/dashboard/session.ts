import { createContext } from 'preact';
import { useContext } from 'preact/hooks';
import { Api } from './api';
import { DashboardConfig, Me } from '../runtime/core/api-types';

/** The signed-in session: the dashboard's only shared state, handed down by context. */
export interface Session {
  readonly config: DashboardConfig;
  readonly token: string;
  readonly api: Api;
  readonly me?: Me;
  readonly signOut: () => void;
}

export const SessionContext = createContext<Session | undefined>(undefined);

export function useSession(): Session {
  const session = useContext(SessionContext);
  if (!session) throw new Error('useSession outside a signed-in session');
  return session;
}
