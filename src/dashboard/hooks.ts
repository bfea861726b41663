import { useCallback, useEffect, useRef, useState } from 'preact/hooks';

export interface Resource<T> {
  readonly data?: T;
  readonly error?: unknown;
  readonly loading: boolean;
  readonly reload: () => void;
}

/** While a deployment is under way the page follows it closely. */
const ACTIVE_REFRESH_MS = 3000;
/**
 * Idle pages refresh too: a push starts a deployment nobody on this page asked for, and a
 * deployment's status and its environment's version are two writes a read can fall between.
 */
const IDLE_REFRESH_MS = 10_000;

/** How soon an overview page loads again (the `poll` of useResource). */
export function refreshAfter(active: boolean): number {
  return active ? ACTIVE_REFRESH_MS : IDLE_REFRESH_MS;
}

/**
 * Loads `load()` when `key` changes and again on `reload()`; when `poll(data)` gives a
 * number of ms, loads again after that long (also after a failed load, so a network blip
 * only delays the next update). Stale answers of an earlier key are dropped.
 */
export function useResource<T>(key: string, load: () => Promise<T>, poll?: (data: T) => number | undefined): Resource<T> {
  const [state, setState] = useState<{ key: string; data?: T; error?: unknown; loading: boolean }>({ key, loading: true });
  const [tick, setTick] = useState(0);
  const latest = useRef({ load, poll, key, data: undefined as T | undefined });
  if (latest.current.key !== key) latest.current.data = undefined;
  Object.assign(latest.current, { load, poll, key });
  useEffect(() => {
    let live = true;
    let timer: number | undefined;
    const again = () => {
      const data = latest.current.data;
      const ms = data === undefined ? undefined : latest.current.poll?.(data);
      if (ms !== undefined) timer = window.setTimeout(() => setTick(t => t + 1), ms);
    };
    setState(previous => (previous.key === key ? { ...previous, loading: true } : { key, loading: true }));
    latest.current.load().then(
      data => {
        if (!live) return;
        latest.current.data = data;
        setState({ key, data, loading: false });
        again();
      },
      error => {
        if (!live) return;
        setState({ key, data: latest.current.data, error, loading: false });
        again();
      },
    );
    return () => {
      live = false;
      window.clearTimeout(timer);
    };
  }, [key, tick]);
  const reload = useCallback(() => setTick(t => t + 1), []);
  const current = state.key === key ? state : { loading: true };
  return { ...current, reload };
}

/** The current time, re-read every second while `active` (for elapsed times that tick). */
export function useNow(active: boolean): number {
  const [now, setNow] = useState(Date.now());
  useEffect(() => {
    if (!active) return undefined;
    const timer = window.setInterval(() => setNow(Date.now()), 1000);
    return () => window.clearInterval(timer);
  }, [active]);
  return active ? Math.max(now, Date.now()) : now;
}

export interface Pages<T> {
  readonly items: readonly T[];
  readonly error?: unknown;
  readonly loading: boolean;
  /** True while another page may follow. */
  readonly more: boolean;
  readonly loadMore: () => void;
  readonly reload: () => void;
}

interface PagesState<T> {
  readonly key: string;
  readonly items: readonly T[];
  readonly cursor?: string;
  readonly more: boolean;
  readonly loading: boolean;
  readonly error?: unknown;
}

/** A cursor-paginated list (`Page<T>`): first page on `key`, the next one on `loadMore()`. */
export function usePages<T>(key: string, load: (cursor?: string) => Promise<{ items: readonly T[]; cursor?: string }>): Pages<T> {
  const [state, setState] = useState<PagesState<T>>({ key, items: [], more: true, loading: true });
  const generation = useRef(0);
  const loadRef = useRef(load);
  loadRef.current = load;

  const fetchPage = useCallback((cursor: string | undefined, append: boolean) => {
    const mine = ++generation.current;
    setState(previous => ({ ...previous, key, loading: true, error: undefined, items: append ? previous.items : [] }));
    loadRef.current(cursor).then(
      page => {
        if (mine !== generation.current) return;
        setState(previous => ({
          key,
          items: append ? [...previous.items, ...page.items] : page.items,
          cursor: page.cursor,
          more: page.cursor !== undefined,
          loading: false,
        }));
      },
      error => {
        if (mine !== generation.current) return;
        setState(previous => ({ ...previous, loading: false, error }));
      },
    );
  }, [key]);

  useEffect(() => fetchPage(undefined, false), [fetchPage]);
  const current = state.key === key ? state : { key, items: [] as readonly T[], more: true, loading: true, cursor: undefined, error: undefined };
  return {
    items: current.items,
    error: current.error,
    loading: current.loading,
    more: current.more,
    loadMore: () => {
      if (!state.loading && state.cursor) fetchPage(state.cursor, true);
    },
    reload: () => fetchPage(undefined, false),
  };
}
