/**
 * @wskit/server: the runtime-neutral half of every wskit server, implemented once and used by
 * @wskit/node and @wskit/deno-bun: options (defaults, validation, "did you mean"), hook
 * dispatch and error routing, the upgrade decision, topics and their broker (the seam to other
 * processes), liveness and graceful shutdown.
 * Like the core it imports nothing from `node:`; unlike the core it may use timers.
 */
export {
  type BrokerAttachment,
  type BrokerDeliver,
  type BrokerErrorSink,
  type BrokerPayload,
  type BrokerPosition,
  inProcessBroker,
  isTopicBroker,
  type TopicBroker,
} from './broker.js';
export { prefixedError } from './errors.js';
export {
  firstHeaderValue,
  firstPackedEntry,
  isHeaderNamed,
  NO_PROTOCOLS,
  packHeaderLines,
  unpackHeaderLines,
} from './header-lines.js';
export {
  asError,
  consoleReporter,
  HookDispatcher,
  type UnhandledErrorReporter,
} from './hooks.js';
export { PeerIds } from './ids.js';
export {
  defaultLivenessScheduler,
  LivenessMonitor,
  type LivenessScheduler,
  type LivenessSettings,
  type Monitored,
} from './liveness.js';
export {
  CONNECTION_OPTIONS,
  type ConnectionDefaults,
  type ConnectionOptions,
  checkOptionNames,
  DEFAULTS,
  deflateSettings,
  type HeartbeatOptions,
  HOOK_NAMES,
  MAX_TIMER_DELAY,
  nonNegative,
  type OptionSpec,
  type OriginPolicy,
  type ResolvedConnectionOptions,
  type ResolvedServerOptions,
  resolveConnectionOptions,
  resolveServerOptions,
  SERVER_OPTION_NAMES,
  type ServerOptions,
  timeoutOption,
} from './options.js';
export { byteLengthOver, checkTopic, payloadLength, toPayload } from './payload.js';
export { type ClosablePeer, type CloseServerOptions, closeAllPeers } from './shutdown.js';
export { nearestName } from './suggest.js';
export { TopicRegistry, type TopicRegistryOptions, type TopicSubscriber } from './topics.js';
export {
  decideUpgrade,
  decideUpgradeNow,
  headerPairs,
  rejectionAsResponse,
  UPGRADE_REQUIRED,
  type UpgradeDecision,
  type UpgradePolicy,
} from './upgrade.js';
