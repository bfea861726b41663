import { LogRecord, LogStream } from '../core/types';

/**
 * How log records are packed into items. Lines are one JSON string attribute per item
 * (compact, and one attribute to marshal instead of a list of maps).
 */

/** Chunks stay far below DynamoDB's 400 KB item limit (and cost at most 64 write units). */
export const MAX_CHUNK_BYTES = 64 * 1024;

type PackedLine = [at: string, stream: LogStream, text: string];
type PackedRecord = [seq: number, at: string, stream: LogStream, text: string];

export interface Packed {
  readonly first: number;
  readonly last: number;
  /** JSON text of the packed lines. */
  readonly body: string;
}

/** Contiguous records → chunks: seqs are implied by `first`. */
export function packRun(records: readonly LogRecord[]): Packed[] {
  return pack(records, record => [record.at, record.stream, record.text] satisfies PackedLine);
}

export function unpackRun(first: number, body: string): LogRecord[] {
  return (JSON.parse(body) as PackedLine[]).map(([at, stream, text], index) => ({ seq: first + index, at, stream, text }));
}

/** Records that may have gaps between them (held for later) keep their seqs. */
export function packScattered(records: readonly LogRecord[]): Packed[] {
  return pack(records, record => [record.seq, record.at, record.stream, record.text] satisfies PackedRecord);
}

export function unpackScattered(body: string): LogRecord[] {
  return (JSON.parse(body) as PackedRecord[]).map(([seq, at, stream, text]) => ({ seq, at, stream, text }));
}

function pack(records: readonly LogRecord[], shape: (record: LogRecord) => unknown[]): Packed[] {
  const packed: Packed[] = [];
  let parts: string[] = [];
  let bytes = 2;
  let first = 0;
  let last = 0;
  const close = () => {
    if (parts.length > 0) packed.push({ first, last, body: `[${parts.join(',')}]` });
    parts = [];
    bytes = 2;
  };
  for (const record of records) {
    const part = JSON.stringify(shape(record));
    const size = Buffer.byteLength(part) + 1;
    if (parts.length > 0 && bytes + size > MAX_CHUNK_BYTES) close();
    if (parts.length === 0) first = record.seq;
    parts.push(part);
    bytes += size;
    last = record.seq;
  }
  close();
  return packed;
}

/** By seq, the first copy of each seq kept. */
export function sortUnique(records: readonly LogRecord[]): LogRecord[] {
  const bySeq = new Map<number, LogRecord>();
  for (const record of records) if (!bySeq.has(record.seq)) bySeq.set(record.seq, record);
  return [...bySeq.values()].sort((a, b) => a.seq - b.seq);
}

/** The leading records that continue each other without a gap. */
export function contiguousPrefix(records: readonly LogRecord[]): LogRecord[] {
  let end = 1;
  while (end < records.length && records[end].seq === records[end - 1].seq + 1) end++;
  return records.slice(0, end);
}
