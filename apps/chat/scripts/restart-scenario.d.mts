// Types of restart-scenario.mjs, for test/restart.test.ts.
import type { RestartRecord } from '../../../scripts/lib/restart-run.mjs';

export interface MessageCounts {
  /** Messages the members wrote. */
  written: number;
  /** Acknowledged to their sender. */
  acked: number;
  /** Reported failed to their sender (an error naming the message, or no ack in 10 s). */
  failed: number;
  /** Reported failed, yet stored and broadcast. */
  failedButDelivered: number;
  /** Neither acknowledged nor failed at the end: a silent loss from the sender's view. */
  unresolved: number;
  /** Acknowledged messages missing at a member (one per member and message). */
  lostAtMembers: number;
  /** One written message stored under two ids (it would be shown twice). */
  storedTwice: number;
  /** The same id received twice the same way (live twice, or replayed twice). */
  duplicatedReceipts: number;
  /** The same id received live and in a rejoin's replay: merged by id on the page. */
  redundantReplays: number;
}

export interface ChatClientResult {
  id: string;
  kind: 'node' | 'chromium';
  written: number;
  acked: number;
  failed: number;
  unresolved: number;
  resent: number;
  shownTwice: number;
  received: number;
  closes: number[];
  closes1012: number;
  connections: string[];
  movedAfter1012: number;
  stayedAfter1012: number;
}

export interface ChatRestartResult {
  app: 'chat';
  totals: MessageCounts & {
    members: number;
    resent: number;
    shownTwice: number;
    closes1012: number;
    otherCloses: number;
    reconnects: number;
    movedAfter1012: number;
    stayedAfter1012: number;
  };
  restarts: RestartRecord[];
  events: { t: number; name: string }[];
  clients: ChatClientResult[];
}

export function runChatRestart(options?: {
  nodeClients?: number;
  browserPages?: number;
  messagesPerSecondPerClient?: number;
  steadyMs?: number;
  downMs?: number;
  resume?: boolean;
  log?: (line: string) => void;
}): Promise<ChatRestartResult>;
