import { isDeploymentId } from './deployment-ids';
import { ValidationError } from './errors';
import { LogRecord } from './types';

/**
 * The WebSocket protocol between the dashboard and Trellis (API Gateway in AWS, the
 * local server locally). Clients subscribe to one deployment's log from a seq; the server
 * sends what was missed, then live lines. Backlog and live lines may interleave: the client
 * puts them in order by seq (LogAssembler).
 */

export type ClientMessage =
  | { readonly action: 'subscribe'; readonly deploymentId: string; readonly from: number }
  | { readonly action: 'unsubscribe'; readonly deploymentId: string };

export type ServerMessage =
  | { readonly type: 'log'; readonly deploymentId: string; readonly records: readonly LogRecord[] }
  /** The backlog up to `next` has been sent; live lines follow. */
  | { readonly type: 'subscribed'; readonly deploymentId: string; readonly next: number }
  | { readonly type: 'unsubscribed'; readonly deploymentId: string }
  | { readonly type: 'error'; readonly status: number; readonly reason: string; readonly deploymentId?: string };

/** Longest client message accepted; a subscribe is a few dozen bytes. */
export const MAX_CLIENT_MESSAGE = 4096;
/** Log messages are split below API Gateway's 128 KB WebSocket message limit. */
export const MAX_LOG_MESSAGE_BYTES = 96 * 1024;

export function parseClientMessage(body: string): ClientMessage {
  if (Buffer.byteLength(body) > MAX_CLIENT_MESSAGE) throw invalid('message', `longer than ${MAX_CLIENT_MESSAGE} bytes`);
  let value: Record<string, unknown>;
  try {
    value = JSON.parse(body);
  } catch {
    throw invalid('message', 'is not JSON');
  }
  if (typeof value !== 'object' || value === null) throw invalid('message', 'must be a JSON object');
  if (value.action !== 'subscribe' && value.action !== 'unsubscribe') throw invalid('action', 'must be "subscribe" or "unsubscribe"');
  if (typeof value.deploymentId !== 'string' || !isDeploymentId(value.deploymentId)) throw invalid('deploymentId', 'must be a deployment id');
  if (value.action === 'unsubscribe') return { action: 'unsubscribe', deploymentId: value.deploymentId };
  const from = value.from ?? 0;
  if (typeof from !== 'number' || !Number.isSafeInteger(from) || from < 0) throw invalid('from', 'must be a whole number from 0');
  return { action: 'subscribe', deploymentId: value.deploymentId, from };
}

/** Records as log messages, each below the message size limit. */
export function logMessages(deploymentId: string, records: readonly LogRecord[]): ServerMessage[] {
  const messages: ServerMessage[] = [];
  let batch: LogRecord[] = [];
  let bytes = 0;
  for (const record of records) {
    const size = Buffer.byteLength(JSON.stringify(record)) + 1;
    if (batch.length > 0 && bytes + size > MAX_LOG_MESSAGE_BYTES) {
      messages.push({ type: 'log', deploymentId, records: batch });
      batch = [];
      bytes = 0;
    }
    batch.push(record);
    bytes += size;
  }
  if (batch.length > 0) messages.push({ type: 'log', deploymentId, records: batch });
  return messages;
}

function invalid(path: string, message: string): ValidationError {
  return new ValidationError([{ path, message }]);
}
