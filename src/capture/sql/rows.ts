/**
 * A row of the grouping query (`query.ts`) as the records it stands for: validated once here,
 * then folded like records read from files.
 */
import type { TrailEvent } from '../cloudtrail/records.js';
import { ARN_SEPARATOR, COLUMNS, type Column } from './query.js';

export type Row = Partial<Record<Column, string | number | bigint | null>>;

export interface GroupedEvents {
  event: TrailEvent;
  count: number;
  first: string;
  last: string;
}

const text = (v: unknown): string | undefined =>
  typeof v === 'string' ? v : typeof v === 'number' || typeof v === 'bigint' ? String(v) : undefined;

/** The records a row stands for, or a one-line reason it is not a row of the query. */
export function groupedEvents(row: Row): GroupedEvents | { error: string } {
  const count = Number(row.events);
  const first = text(row.first_seen);
  const last = text(row.last_seen);
  const source = text(row.event_source);
  const name = text(row.event_name);
  if (!Number.isSafeInteger(count) || count < 1 || first === undefined || last === undefined)
    return { error: `a row without its count or times (columns: ${COLUMNS.join(', ')})` };
  if (source === undefined || name === undefined) return { error: 'a row without an event source or name' };
  const arns = text(row.resource_arns);
  return {
    count,
    first,
    last,
    event: {
      eventTime: first,
      eventSource: source,
      eventName: name,
      awsRegion: text(row.aws_region) ?? '',
      eventType: text(row.event_type),
      recipientAccountId: text(row.recipient_account),
      errorCode: text(row.error_code),
      apiVersion: text(row.api_version),
      identity: {
        type: text(row.identity_type),
        arn: text(row.identity_arn),
        accountId: text(row.identity_account),
        invokedBy: text(row.invoked_by),
        userName: text(row.user_name),
        issuerArn: text(row.issuer_arn),
      },
      requestParameters: text(row.request_parameters),
      resources: arns ? JSON.stringify(arns.split(ARN_SEPARATOR).map((ARN) => ({ ARN }))) : undefined,
    },
  };
}
