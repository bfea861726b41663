import { DeletionMark, EnvironmentConfig, EnvironmentRecord, PreviewRecord } from './types';

/** An application's previews as stored beside its configuration: the dashboard's switch and the open ones the cap counts. */
export interface PreviewSettings {
  /** The dashboard's switch; code decides whether previews are configured at all. */
  readonly enabled: boolean;
  /** Names of the previews that hold a place under the cap (made and not yet removed). */
  readonly open: readonly string[];
}

/** What opening a preview did. */
export type PreviewOpening =
  | { readonly outcome: 'opened' | 'exists'; readonly env: EnvironmentRecord }
  /** The cap: `open` previews hold every place. */
  | { readonly outcome: 'refused'; readonly open: readonly string[] };

/** Fields of a preview's record to set (a value) or clear (null). */
export type PreviewChange = { readonly [K in keyof PreviewRecord]?: PreviewRecord[K] | null };

/**
 * Preview environments: environment items of their application (so deployments, the launcher
 * and the builder treat them like any other) with a `preview` record, made and removed only
 * here, every write conditional. The places under the cap are a set on one item, taken in the
 * same transaction that makes the environment and given back in the one that deletes it.
 */
export interface PreviewStore {
  settings(application: string): Promise<PreviewSettings>;
  setEnabled(application: string, enabled: boolean): Promise<PreviewSettings>;
  /**
   * Make the preview environment (`env` with `preview`) unless it exists, taking a place when
   * fewer than `maxConcurrent` are taken.
   */
  open(application: string, env: EnvironmentConfig, preview: PreviewRecord, position: number, maxConcurrent: number): Promise<PreviewOpening>;
  /**
   * Change fields of a preview's record; with `expect`, only while those fields have those values
   * (absent: undefined). Throws ConflictError when it is not (or no longer) a preview, or a value differs.
   */
  update(application: string, environment: string, change: PreviewChange, expect?: PreviewChange): Promise<EnvironmentRecord>;
  /** Mark the preview as being deleted (its teardown's success removes it). Throws ConflictError when it is no preview. */
  markDeleting(application: string, environment: string, mark: DeletionMark): Promise<void>;
  /** Delete a preview that runs nothing and give its place back; false when it is gone already or still runs something. */
  remove(application: string, environment: string): Promise<boolean>;
}
