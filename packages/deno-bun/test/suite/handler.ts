/**
 * The server side of the behavioural suite: ONE hooks module, run unchanged by @wskit/node
 * (in the vitest process), by Bun and by Deno (the fixtures in ../fixtures import it with
 * the built package). Clients drive it with text commands; scenarios.ts holds the checks.
 */
import { defineHooks, type Hooks, type Peer, type UpgradeResult } from '@wskit/core';

export interface SuiteData {
  user: string;
  /** Set while a `flood` command waits for the drain hook. */
  flooding: boolean;
  /** `request.remoteAddress` as the upgrade hook read it, after an await. */
  addressInUpgrade: string | null;
}

/** What the fixture provides to the hooks: the server-wide publish of its runtime. */
export interface SuiteServer {
  publish(topic: string, data: string): number;
}

interface Command {
  cmd: string;
  topic?: string;
  text?: string;
  code?: number;
  reason?: string;
  bytes?: number;
}

export function createSuiteHooks(server: SuiteServer): Hooks<SuiteData> {
  const closes: Array<{
    user: string;
    code: number;
    reason: string;
    wasClean: boolean;
    remoteAddress: string | null;
  }> = [];
  const errors: Array<{ user: string; code: string; message: string }> = [];
  /** `late`: what each method did when called after the peer left, per user. */
  const lateOutcomes: Record<string, Record<string, string>> = {};

  const describePeer = (peer: Peer<SuiteData>) => ({
    id: peer.id,
    user: peer.data.user,
    protocol: peer.protocol,
    extensions: peer.extensions,
    readyState: peer.readyState,
    url: peer.request.url,
    origin: peer.request.origin ?? null,
    remoteAddress: peer.request.remoteAddress ?? null,
    addressInUpgrade: peer.data.addressInUpgrade,
    testHeader: peer.request.headers.get('x-test'),
    protocols: peer.request.protocols,
    topics: [...peer.topics],
    bufferedAmount: peer.bufferedAmount,
  });

  return defineHooks<SuiteData>({
    async upgrade(request): Promise<UpgradeResult<SuiteData>> {
      const query = new URL(request.url).searchParams;
      if (query.get('token') === 'bad') {
        return {
          status: 401,
          statusText: 'Unauthorized',
          headers: { 'www-authenticate': 'Bearer realm="wskit"', 'x-error': 'unauthorized' },
          body: 'bad token',
        };
      }
      if (query.has('reject-response')) {
        return new Response('forbidden by a Response', {
          status: 403,
          headers: { 'x-reject': 'response' },
        });
      }
      if (query.has('upgrade-throws')) throw new Error('upgrade hook failed on purpose');
      // crossws style: a thrown Response refuses with that response.
      if (query.has('upgrade-throws-response')) {
        throw new Response('conflict', { status: 409, headers: { 'x-reject': 'thrown' } });
      }
      // A "rejection" that is no HTTP error is a bug in the hook: 500, on every runtime.
      if (query.has('upgrade-bad-status')) return { status: 200 };
      // An await before deciding: hooks may be async on every runtime.
      await Promise.resolve();
      return {
        data: {
          user: query.get('user') ?? 'anonymous',
          flooding: false,
          addressInUpgrade: request.remoteAddress ?? null,
        },
        protocol: request.protocols.includes('chat.v2') ? 'chat.v2' : undefined,
        headers: { 'x-wskit-hello': 'world' },
      };
    },

    open(peer) {
      if (new URL(peer.request.url).searchParams.has('greet'))
        peer.send(`welcome ${peer.data.user}`);
    },

    message(peer, message) {
      if (message.isBinary) {
        peer.send(message.bytes());
        return;
      }
      const text = message.text();
      if (!text.startsWith('{')) {
        peer.send(text);
        return;
      }
      const command = message.json<Command>();
      switch (command.cmd) {
        case 'whoami':
          peer.send(JSON.stringify(describePeer(peer)));
          return;
        case 'subscribe':
          peer.subscribe(command.topic as string);
          peer.send(JSON.stringify({ subscribed: command.topic, topics: [...peer.topics] }));
          return;
        case 'unsubscribe':
          peer.unsubscribe(command.topic as string);
          peer.send(JSON.stringify({ unsubscribed: command.topic, topics: [...peer.topics] }));
          return;
        case 'publish':
          peer.publish(command.topic as string, command.text as string);
          peer.send(JSON.stringify({ published: command.topic }));
          return;
        case 'broadcast':
          peer.send(
            JSON.stringify({
              broadcast: server.publish(command.topic as string, command.text as string),
            }),
          );
          return;
        case 'close':
          peer.close(command.code, command.reason);
          return;
        case 'throw':
          throw new Error('message hook failed on purpose');
        case 'reject':
          return Promise.reject(new Error('async message hook failed on purpose'));
        case 'ping':
          try {
            peer.ping('are you there');
            peer.send(JSON.stringify({ ping: 'sent' }));
          } catch (error) {
            peer.send(JSON.stringify({ ping: (error as Error).message }));
          }
          return;
        case 'log':
          peer.send(JSON.stringify({ closes, errors }));
          return;
        case 'late':
          // A handler that awaits something while its client leaves, then answers anyway.
          return callAfterLeaving(peer).then((outcomes) => {
            lateOutcomes[peer.data.user] = outcomes;
          });
        case 'late-report':
          peer.send(JSON.stringify(lateOutcomes[command.text as string] ?? null));
          return;
        case 'flood': {
          // Send until the runtime reports backpressure (a client that paused reading), then
          // let the drain hook announce the end of it.
          const chunk = new Uint8Array(64 * 1024);
          let sent = 0;
          let maxBuffered = 0;
          peer.data.flooding = true;
          while (sent < (command.bytes ?? 8 * 1024 * 1024)) {
            peer.send(chunk);
            sent += chunk.byteLength;
            maxBuffered = Math.max(maxBuffered, peer.bufferedAmount);
          }
          peer.send(JSON.stringify({ flooded: sent, maxBuffered }));
          return;
        }
        default:
          peer.send(JSON.stringify({ unknown: command.cmd }));
      }
    },

    error(peer, error) {
      const code = (error as { code?: string }).code ?? 'none';
      errors.push({ user: peer.data.user, code, message: error.message });
      if (peer.readyState === 1) peer.send(`error: ${error.message}`);
    },

    drain(peer) {
      if (!peer.data.flooding) return;
      peer.data.flooding = false;
      peer.send('drained');
    },

    close(peer, details) {
      closes.push({
        user: peer.data.user,
        code: details.code,
        reason: details.reason,
        wasClean: details.wasClean,
        remoteAddress: peer.request.remoteAddress ?? null,
      });
    },
  });
}

/** Waits until `peer` is closed, then calls every method and says what each did. */
async function callAfterLeaving(peer: Peer<SuiteData>): Promise<Record<string, string>> {
  for (let waited = 0; peer.readyState !== 3 && waited < 5_000; waited += 5) {
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  const outcomes: Record<string, string> = {};
  const attempts: Record<string, () => void> = {
    send: () => peer.send('late'),
    ping: () => peer.ping(),
    close: () => peer.close(1000, 'late'),
    terminate: () => peer.terminate(),
    subscribe: () => peer.subscribe('late-news'),
    unsubscribe: () => peer.unsubscribe('late-news'),
    publish: () => peer.publish('late-news', 'late'),
  };
  for (const [name, run] of Object.entries(attempts)) {
    try {
      run();
      outcomes[name] = 'returned';
    } catch (error) {
      outcomes[name] = `threw ${(error as Error).message}`;
    }
  }
  outcomes.topics = String(peer.topics.size);
  return outcomes;
}

/** What a hook failure with no error hook prints: the same line on every runtime. */
export const BARE_HOOK_FAILURE = 'bare hook failed on purpose';

/**
 * Hooks with no error hook: 'boom' makes the message hook throw, anything else is answered
 * 'ok'. The failure must be logged (console.error) and the peer must live on.
 */
/**
 * The bare server's options: an Origin policy and a subprotocol choice without an upgrade
 * hook, the path every adapter decides in the same call as the request.
 */
export const BARE_OPTIONS = {
  allowedOrigins: (origin: string | undefined) => origin !== 'https://evil.example',
  selectProtocol: (offered: readonly string[]) =>
    offered.includes('bare.v2') ? 'bare.v2' : undefined,
};

export function createBareHooks(): Hooks<unknown> {
  return defineHooks({
    message(peer, message) {
      if (message.text() === 'boom') throw new Error(BARE_HOOK_FAILURE);
      peer.send('ok');
    },
  });
}
