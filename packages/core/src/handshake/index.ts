/**
 * The opening handshake (RFC 6455 §4) as data, for both sides:
 * - client: `createClientRequest` → write `toBytes()` → feed the reply to an `HttpHeadParser`
 *   ({ kind: 'response' }) → `validateServerResponse(head, request)`; `rest` holds any frames.
 * - server: `validateClientRequest` → `buildAcceptResponse`, or on a thrown error
 *   `buildRejectResponse(error)` / `createRejectResponse(error)`.
 * - over HTTP/2 (RFC 8441): `createH2ClientRequest` / `validateH2ServerResponse` on the client,
 *   `validateH2ClientRequest` → `buildH2AcceptResponse` or `toH2RejectResponse` on the server.
 */
export { computeAccept, generateKey, isValidKey, WEBSOCKET_GUID } from './accept-key.js';
export { decodeBase64, encodeBase64 } from './base64.js';
export {
  type ClientRequest,
  type ClientRequestOptions,
  createClientRequest,
  HandshakeResponseError,
  type NegotiatedHandshake,
  type OfferedHandshake,
  type ServerResponseLike,
  validateServerResponse,
} from './client-handshake.js';
export {
  buildH2AcceptResponse,
  createH2ClientRequest,
  type H2AcceptResponse,
  type H2AcceptResponseOptions,
  type H2ClientRequest,
  type H2ClientRequestOptions,
  type H2RejectResponse,
  isH2WebSocketRequest,
  toH2RejectResponse,
  type ValidatedH2Request,
  validateH2ClientRequest,
  validateH2ServerResponse,
} from './h2-handshake.js';
export {
  formatExtensions,
  headerHasToken,
  isToken,
  parseExtensions,
  parseSubprotocols,
} from './header-values.js';
export {
  type HeaderPairs,
  type HeaderRecord,
  type HeadersGetter,
  type HeadersInput,
  type HeaderView,
  headerView,
} from './headers.js';
export {
  type HttpHeadKind,
  type HttpHeadOf,
  type HttpHeadParsed,
  HttpHeadParser,
  type HttpHeadParserOptions,
  type HttpRequestHead,
  type HttpResponseHead,
} from './http-head-parser.js';
export type { OutgoingHeaders } from './http-head-writer.js';
export {
  type AcceptResponse,
  type AcceptResponseOptions,
  buildAcceptResponse,
  buildRejectResponse,
  type ClientRequestLike,
  createRejectResponse,
  type RejectResponse,
  type RejectResponseOptions,
  type ValidatedClientRequest,
  validateClientRequest,
} from './server-handshake.js';
export { type Sha1Digest, sha1 } from './sha1.js';
