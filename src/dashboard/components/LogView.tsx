import { useEffect, useLayoutEffect, useMemo, useRef, useState } from 'preact/hooks';
import { LiveLog, LiveState } from '../live-log';
import { LogLineView, toLogLine } from '../log-lines';
import { useSession } from '../session';

/** Every row is exactly this tall (the CSS reads it from --row-h): position = index × height. */
export const ROW_HEIGHT = 18;
/** Rows rendered above and below the visible ones, so fast scrolling shows no blank band. */
const OVERSCAN = 30;
/** Closer to the bottom than this counts as "at the bottom": follow new lines. */
const BOTTOM_SLACK = ROW_HEIGHT * 2;
/** performance.mark() set when a page's first log lines are rendered. */
export const FIRST_LINES_MARK = 'trellis:first-log-lines';

const STATE_TEXT: Record<LiveState, string> = {
  connecting: 'Connecting…',
  backlog: 'Loading…',
  live: 'Live',
  reconnecting: 'Reconnecting…',
  failed: 'Not connected',
};

/**
 * A deployment's log: backlog then live lines over the WebSocket, virtualized (only the
 * rows in view plus an overscan are in the DOM; a spacer gives the scrollbar its length),
 * following the end until the user scrolls up, with search and next/previous match.
 */
export function LogView({ deploymentId, finished }: { deploymentId: string; finished: boolean }) {
  const session = useSession();
  const lines = useRef<LogLineView[]>([]);
  const [count, setCount] = useState(0);
  const [live, setLive] = useState<{ state: LiveState; detail?: string }>({ state: 'connecting' });

  useEffect(() => {
    lines.current = [];
    setCount(0);
    let frame = 0;
    const log = new LiveLog({
      url: session.config.webSocketUrl,
      token: session.token,
      deploymentId,
      onRecords: records => {
        for (const record of records) lines.current.push(toLogLine(record));
        // One render per frame however many messages arrive in it.
        frame ||= requestAnimationFrame(() => {
          frame = 0;
          setCount(lines.current.length);
        });
      },
      onState: (state, detail) => setLive({ state, detail }),
      // A 401 from the API ends the session and shows the sign-in; any other answer: keep retrying.
      onRefused: () => { session.api.me().catch(() => undefined); },
    });
    return () => {
      log.close();
      cancelAnimationFrame(frame);
    };
  }, [deploymentId, session.token, session.config.webSocketUrl]);

  // For the benchmark and the browser's performance panel: when the first lines were on screen.
  useEffect(() => {
    if (count > 0 && performance.getEntriesByName(FIRST_LINES_MARK).length === 0) performance.mark(FIRST_LINES_MARK);
  }, [count > 0]);

  // Viewport: scroll position and height of the scroller.
  const scroller = useRef<HTMLDivElement>(null);
  const [scrollTop, setScrollTop] = useState(0);
  const [viewHeight, setViewHeight] = useState(480);
  const follow = useRef(true);
  const [following, setFollowing] = useState(true);
  /** The scrollTop this component last set itself: anything else was the user. */
  const autoTop = useRef(-1);

  const setFollow = (value: boolean) => {
    follow.current = value;
    setFollowing(value);
  };

  useEffect(() => {
    const element = scroller.current;
    if (!element) return undefined;
    const observer = new ResizeObserver(() => setViewHeight(element.clientHeight));
    observer.observe(element);
    setViewHeight(element.clientHeight);
    return () => observer.disconnect();
  }, []);

  // New lines while following: stay at the end (before paint, so nothing jumps).
  useLayoutEffect(() => {
    const element = scroller.current;
    if (!element || !follow.current) return;
    if (autoTop.current >= 0 && element.scrollTop < autoTop.current - 1) {
      // The user scrolled up between the last frame and this one.
      setFollow(false);
      return;
    }
    element.scrollTop = element.scrollHeight;
    autoTop.current = element.scrollTop;
    setScrollTop(element.scrollTop);
  }, [count, viewHeight]);

  const onScroll = () => {
    const element = scroller.current;
    if (!element) return;
    setScrollTop(element.scrollTop);
    const atBottom = element.scrollHeight - element.scrollTop - element.clientHeight <= BOTTOM_SLACK;
    if (atBottom !== follow.current) setFollow(atBottom);
    if (atBottom) autoTop.current = element.scrollTop;
  };
  // Intent to read earlier lines stops following at once, before the scroll event comes.
  const onWheel = (event: WheelEvent) => {
    if (event.deltaY < 0 && follow.current) setFollow(false);
  };
  const onKeyDown = (event: KeyboardEvent) => {
    if (['ArrowUp', 'PageUp', 'Home'].includes(event.key) && follow.current) setFollow(false);
  };

  const jumpToEnd = () => {
    const element = scroller.current;
    if (!element) return;
    setFollow(true);
    element.scrollTop = element.scrollHeight;
    autoTop.current = element.scrollTop;
  };

  // Search: matching line indexes, extended incrementally as lines arrive.
  const [query, setQuery] = useState('');
  const [current, setCurrent] = useState(-1);
  const search = useRef({ needle: '', scanned: 0, matches: [] as number[] });
  const needle = query.trim().toLowerCase();
  const matches = useMemo(() => {
    const state = search.current;
    if (state.needle !== needle || state.scanned > lines.current.length) search.current = { needle, scanned: 0, matches: [] };
    const next = search.current;
    if (needle !== '') {
      const all = lines.current;
      for (let index = next.scanned; index < all.length; index++) {
        if (all[index].lower.includes(needle)) next.matches.push(index);
      }
    }
    next.scanned = lines.current.length;
    return next.matches.slice();
  }, [needle, count]);

  const goTo = (position: number) => {
    if (matches.length === 0) return;
    const wrapped = (position + matches.length) % matches.length;
    setCurrent(wrapped);
    const element = scroller.current;
    if (!element) return;
    setFollow(false);
    const top = Math.max(0, matches[wrapped] * ROW_HEIGHT - element.clientHeight / 2 + ROW_HEIGHT / 2);
    element.scrollTop = top;
    setScrollTop(element.scrollTop);
  };
  const onSearchKey = (event: KeyboardEvent) => {
    if (event.key === 'Enter') {
      event.preventDefault();
      goTo(current + (event.shiftKey ? -1 : 1));
    } else if (event.key === 'Escape') {
      setQuery('');
      setCurrent(-1);
    }
  };

  // The render window.
  const total = count * ROW_HEIGHT;
  const top = follow.current ? Math.max(0, total - viewHeight) : scrollTop;
  const first = Math.max(0, Math.floor(top / ROW_HEIGHT) - OVERSCAN);
  const last = Math.min(count, Math.ceil((top + viewHeight) / ROW_HEIGHT) + OVERSCAN);
  const currentLine = current >= 0 && current < matches.length ? matches[current] : -1;
  const rows = [];
  for (let index = first; index < last; index++) {
    rows.push(<Row key={index} line={lines.current[index]} needle={needle} current={index === currentLine} />);
  }

  return (
    <section class="log" aria-label="Build log">
      <div class="log-toolbar">
        <span class={`live-state live-${live.state}`} data-testid="log-state" data-state={live.state} title={live.detail}>
          {STATE_TEXT[live.state]}{live.detail && live.state === 'failed' ? `: ${live.detail}` : ''}
        </span>
        <span class="log-count" data-testid="log-count" data-count={count}>{count.toLocaleString()} {count === 1 ? 'line' : 'lines'}</span>
        <div class="log-search">
          <input
            type="search"
            placeholder="Search log"
            aria-label="Search log"
            value={query}
            onInput={event => {
              setQuery(event.currentTarget.value);
              setCurrent(-1);
            }}
            onKeyDown={onSearchKey}
            data-testid="log-search"
          />
          <span class="matches" data-testid="log-matches">
            {needle === '' ? '' : matches.length === 0 ? 'no match' : `${current >= 0 ? current + 1 : '–'} / ${matches.length}`}
          </span>
          <button type="button" class="icon" aria-label="Previous match" disabled={matches.length === 0} onClick={() => goTo(current <= 0 ? matches.length - 1 : current - 1)} data-testid="log-prev">↑</button>
          <button type="button" class="icon" aria-label="Next match" disabled={matches.length === 0} onClick={() => goTo(current + 1)} data-testid="log-next">↓</button>
        </div>
      </div>
      <div
        class="log-scroller"
        ref={scroller}
        onScroll={onScroll}
        onWheel={onWheel}
        onKeyDown={onKeyDown}
        tabIndex={0}
        data-testid="log-scroller"
        style={{ '--row-h': `${ROW_HEIGHT}px` }}
      >
        <div class="log-spacer" style={{ height: `${total}px` }}>
          <div class="log-window" style={{ transform: `translateY(${first * ROW_HEIGHT}px)` }}>{rows}</div>
        </div>
        {count === 0
          ? <div class="log-empty" data-testid="log-empty">{live.state === 'live' && finished ? 'This deployment wrote no log.' : 'Waiting for the first log lines…'}</div>
          : null}
      </div>
      {!following && count > 0
        ? <button type="button" class="follow" onClick={jumpToEnd} data-testid="log-follow">↓ Latest lines</button>
        : null}
    </section>
  );
}

function Row({ line, needle, current }: { line: LogLineView; needle: string; current: boolean }) {
  return (
    <div class={`log-row ${line.stream}${line.marker ? ' marker' : ''}${current ? ' current' : ''}`} data-testid="log-row" data-seq={line.seq} title={line.at}>
      <span class="ln">{line.seq + 1}</span>
      <span class={`stream stream-${line.stream}`}>{STREAM_LABEL[line.stream]}</span>
      <span class="text">{needle ? highlight(line, needle) : line.text}</span>
    </div>
  );
}

const STREAM_LABEL = { stdout: 'out', stderr: 'err', system: 'sys' } as const;

function highlight(line: LogLineView, needle: string) {
  const parts = [];
  let from = 0;
  for (let at = line.lower.indexOf(needle); at >= 0; at = line.lower.indexOf(needle, from)) {
    if (at > from) parts.push(line.text.slice(from, at));
    parts.push(<mark key={at}>{line.text.slice(at, at + needle.length)}</mark>);
    from = at + needle.length;
  }
  if (parts.length === 0) return line.text;
  parts.push(line.text.slice(from));
  return parts;
}
