// @wskit/conformance: an Autobahn-style conformance suite for WebSocket servers and clients.
//
// - describeServerConformance / describeClientConformance: the suites, as vitest tests.
// - runServerCase / runClientCase / selectCases / caseGroups: the same without vitest.
// - connectRaw / RawServer / RawConnection, the frame builder and parser, the case vocabulary
//   (textFrame, send, thenClose, ...) and the assert helpers: for hand-written cases.

export {
  awaitClose,
  awaitPong,
  binaryFrame,
  type CaseGroup,
  type CaseScript,
  type ConformanceCase,
  closeFrame,
  continuationFrame,
  pingFrame,
  pongFrame,
  quiet,
  type Step,
  send,
  sendChopped,
  sendFramewise,
  textFrame,
  thenClose,
  thenFail,
  wait,
} from './cases/dsl.js';
export { caseGroups } from './cases/index.js';
export { type ClientConformanceOptions, describeClientConformance } from './client-suite.js';
export { type Chop, type ConnectionEvent, RawConnection, type Role } from './connection.js';
export { type DeflateParams, DeflateSession, type NegotiatedDeflate } from './deflate.js';
export {
  checkExpectation,
  type Expectation,
  type Expected,
  type ExpectedEnd,
  expectBinary,
  expectPong,
  expectText,
  NO_STATUS,
  type Observation,
  observe,
} from './expect.js';
export {
  closePayload,
  encodeFrame,
  FrameParser,
  type FrameSpec,
  fragmentMessage,
  Opcode,
  type ReceivedFrame,
} from './frame.js';
export { connectRaw, HandshakeError, RawClient, type RawClientOptions } from './raw-client.js';
export { RawServer, type RawServerAcceptOptions, RawServerConnection } from './raw-server.js';
export {
  assertConnectionFailed,
  assertEchoThenClose,
  type CaseReport,
  type CaseSelection,
  type EchoClient,
  formatReport,
  runClientCase,
  runServerCase,
  selectCases,
} from './runner.js';
export {
  describeServerConformance,
  type ServerConformanceOptions,
  type ServerUnderTest,
} from './server-suite.js';
export type { ConformanceOptions } from './suite.js';
