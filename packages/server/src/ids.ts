let nextServerId = 0;

/**
 * Peer ids `<server>-<n>` in base 36: unique per process, short, stable for a connection's
 * life. One source per server.
 */
export function peerIdSource(): () => string {
  const serverId = (nextServerId++).toString(36);
  let next = 0;
  return () => `${serverId}-${(next++).toString(36)}`;
}
