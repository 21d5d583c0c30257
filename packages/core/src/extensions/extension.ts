/**
 * One element of a `Sec-WebSocket-Extensions` header (RFC 6455 §9.1):
 * `permessage-deflate; client_max_window_bits; server_max_window_bits=10`
 * parses to `{ name: 'permessage-deflate', params: [['client_max_window_bits', true],
 * ['server_max_window_bits', '10']] }`.
 *
 * Params keep their order and duplicates so that negotiators can reject duplicates
 * (RFC 7692 §7: a duplicated parameter makes the offer invalid). A parameter without a value is
 * `true`; a quoted value is stored unquoted.
 */
export interface ExtensionElement {
  readonly name: string;
  readonly params: ReadonlyArray<readonly [name: string, value: string | true]>;
}
