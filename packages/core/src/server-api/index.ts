export {
  type CloseDetails,
  defineHooks,
  type HeadersLike,
  type Hooks,
  isUpgradeReject,
  type Peer,
  PeerState,
  type PeerStateValue,
  type SendData,
  type SendOptions,
  type UpgradeAccept,
  type UpgradeReject,
  type UpgradeRequest,
  type UpgradeResult,
} from './hooks.js';
export { type Message, messageFrom, WebSocketMessage } from './message.js';
