// Types of restart-scenario.mjs, for test/restart.test.ts.
import type { RestartRecord } from '../../../scripts/lib/restart-run.mjs';

export interface ReceiptCounts {
  received: number;
  lost: number;
  duplicated: number;
  outOfOrder: number;
  unexpected: number;
}

export interface PushClientResult extends ReceiptCounts {
  id: string;
  kind: 'node' | 'chromium';
  closes: number[];
  closes1012: number;
  connections: string[];
  movedAfter1012: number;
  stayedAfter1012: number;
  /** Chromium pages: the same counts over what the page's feed shows. */
  shown?: ReceiptCounts;
}

export interface PushRestartResult {
  app: 'push';
  published: {
    count: number;
    lastSeq: number;
    accepted: number;
    acceptedMissingFromLog: number;
    postFailures: number;
    publisherDuplicates: number;
    retriedPosts: number;
  };
  totals: ReceiptCounts & {
    subscribers: number;
    closes1012: number;
    otherCloses: number;
    reconnects: number;
    movedAfter1012: number;
    stayedAfter1012: number;
  };
  restarts: RestartRecord[];
  events: { t: number; name: string }[];
  clients: PushClientResult[];
}

export function runPushRestart(options?: {
  nodeClients?: number;
  browserPages?: number;
  rate?: number;
  steadyMs?: number;
  downMs?: number;
  resume?: boolean;
  log?: (line: string) => void;
}): Promise<PushRestartResult>;
