import { useEffect, useState } from 'preact/hooks';
import { Route, parseRoute } from './routes';

/** The current hash route, updated on every hashchange. */
export function useRoute(): Route {
  const [route, setRoute] = useState(() => parseRoute(location.hash));
  useEffect(() => {
    const update = () => setRoute(parseRoute(location.hash));
    window.addEventListener('hashchange', update);
    return () => window.removeEventListener('hashchange', update);
  }, []);
  return route;
}

/** Go to a route (a `href` value). */
export function navigate(to: string): void {
  location.hash = to;
}
