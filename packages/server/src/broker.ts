/**
 * The seam between a server's topics and other processes. A server hands every local publish
 * to its broker and gets the publishes of other processes back through `deliver`; Redis pub/sub
 * (@wskit/redis), Postgres LISTEN/NOTIFY or NATS each fit behind this one interface, written
 * outside wskit.
 */

/** A published message as brokers carry it: text stays a string, binary a `Uint8Array`. */
export type BrokerPayload = string | Uint8Array;

/**
 * Where a message sits in a durable broker's log of its topic (a Redis Streams id, a NATS
 * JetStream sequence, a Postgres bigint, as a string), for replay after a reconnect. Brokers
 * without a log (Redis pub/sub) have none. Servers do not use positions yet: the type is here
 * so durable brokers can be written against this interface without changing it.
 */
export type BrokerPosition = string;

/**
 * Called by a broker for each publish that came from another server: the server sends it to
 * its own subscribers of `topic` (never back to the broker). Text must arrive as a string and
 * binary as a `Uint8Array`, byte for byte as published. A durable broker also passes the
 * message's `position`.
 */
export type BrokerDeliver = (
  topic: string,
  payload: BrokerPayload,
  position?: BrokerPosition,
) => void;

/**
 * Called by a broker for a failure the server should report (a lost connection, a message it
 * could not decode). It goes to the server's unhandled-error routing, never throws.
 */
export type BrokerErrorSink = (error: Error) => void;

/**
 * Carries topic publishes between server processes.
 *
 * The contract, for anyone writing a broker:
 *
 * - A server calls {@link TopicBroker.attach} once when it is created and the returned
 *   function when it closes. Several servers (in one process or many) may attach to one broker.
 * - Every `peer.publish` and `server.publish` is first delivered to the server's own
 *   subscribers (the frame built once), then passed to {@link BrokerAttachment.publish}. The broker
 *   must deliver it to every *other* attached server, here or in another process, and never
 *   back to the attachment that published it: that one already has it (an echo would deliver
 *   twice).
 * - {@link BrokerAttachment.topicOpened} and {@link BrokerAttachment.topicClosed} say when an attached
 *   server got its first subscriber of a topic and lost its last one, so a broker can listen
 *   only to topics someone here wants. Each attachment calls them for its own subscribers;
 *   a broker shared by several servers counts them.
 * - Any method may return a promise; a rejection (or a throw) goes to the server's error
 *   routing, as does anything the broker passes to the `reportError` it got from `attach`.
 *   Nothing a broker does may crash the process.
 * - Delivery is what the transport gives: Redis pub/sub, for one, is at most once and keeps
 *   nothing while a connection is down. Order is kept per publishing server and topic where
 *   the transport keeps it.
 *
 * The broker belongs to the caller: a server detaches from it on close but never closes it,
 * since other servers may still use it. Call {@link TopicBroker.close} yourself at shutdown.
 */
export interface TopicBroker {
  /**
   * Connects one server. `deliver` takes the publishes of every other attachment;
   * `reportError` takes failures with no caller to throw to. Returns the detach function.
   */
  attach(deliver: BrokerDeliver, reportError: BrokerErrorSink): BrokerAttachment;
  /** Releases the broker's connections. Servers never call it; the application does. */
  close?(): void | Promise<void>;
}

/** One server's connection to a broker, made by {@link TopicBroker.attach}. */
export interface BrokerAttachment {
  /**
   * Forwards a local publish to the other attachments. Called after local delivery. A durable
   * broker may resolve to the message's {@link BrokerPosition}.
   */
  // biome-ignore lint/suspicious/noConfusingVoidType: an async publish without a log returns Promise<void>, which Promise<undefined | BrokerPosition> would refuse.
  publish(topic: string, payload: BrokerPayload): void | Promise<void | BrokerPosition>;
  /** The server's first subscriber of `topic` arrived. */
  topicOpened?(topic: string): void | Promise<void>;
  /** The server's last subscriber of `topic` left. */
  topicClosed?(topic: string): void | Promise<void>;
  /** The server closed: stop delivering to it and release what it held. */
  detach(): void | Promise<void>;
}

/**
 * The default: no other process. Publishes stay in this server; there is nothing to forward to,
 * so attaching costs nothing.
 */
export const inProcessBroker: TopicBroker = Object.freeze({
  attach: (): BrokerAttachment => NO_FORWARDING,
});

const NO_FORWARDING: BrokerAttachment = Object.freeze({
  publish() {},
  detach() {},
});

/** True for an object that can be used as a broker; options validation uses it. */
export function isTopicBroker(value: unknown): value is TopicBroker {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as TopicBroker).attach === 'function' &&
    ((value as TopicBroker).close === undefined ||
      typeof (value as TopicBroker).close === 'function')
  );
}
