// One benchmark client run, in its own process (run.mjs starts it):
//   node [--experimental-websocket] bench/client.mjs <impl> <url> <size> <inFlight> <warmupMs> <windowMs> <kind>
// impl: wskit (our WHATWG class, `@wskit/browser` on Node), ws (the `ws` client and its
// EventEmitter API), undici (Node's global WebSocket behind --experimental-websocket).
// Keeps `inFlight` messages of `size` bytes in flight against an echo server: each echo
// received sends the next. Prints {"messages":n,"bytes":n,"seconds":s} for the window after
// the warm-up.
const [impl, url, sizeText, inFlightText, warmupText, windowText, kind] = process.argv.slice(2);
const size = Number(sizeText);
const inFlight = Number(inFlightText);
const warmup = Number(warmupText);
const windowMs = Number(windowText);
const payload = kind === 'text' ? 'x'.repeat(size) : new Uint8Array(size).fill(7);

let counting = false;
let messages = 0;
let bytes = 0;
let started = 0;

function received(length) {
  if (counting) {
    messages += 1;
    bytes += length;
  }
}

function schedule(close) {
  setTimeout(() => {
    counting = true;
    started = performance.now();
    setTimeout(() => {
      counting = false;
      const seconds = (performance.now() - started) / 1000;
      console.log(JSON.stringify({ messages, bytes, seconds }));
      close();
      setTimeout(() => process.exit(0), 200).unref();
    }, windowMs);
  }, warmup);
}

if (impl === 'ws') {
  const { default: WebSocket } = await import('ws');
  const ws = new WebSocket(url, { perMessageDeflate: false });
  ws.on('open', () => {
    for (let i = 0; i < inFlight; i++) ws.send(payload);
    schedule(() => ws.terminate());
  });
  // The idiomatic ws API: a Buffer (binary) or a Buffer to decode (text).
  ws.on('message', (data, isBinary) => {
    received(isBinary ? data.length : data.toString().length);
    ws.send(payload);
  });
} else {
  const WebSocket =
    impl === 'undici' ? globalThis.WebSocket : (await import('@wskit/browser')).WebSocket;
  if (typeof WebSocket !== 'function') throw new Error(`${impl}: no WebSocket class`);
  const ws = new WebSocket(url);
  ws.binaryType = 'arraybuffer';
  ws.onopen = () => {
    for (let i = 0; i < inFlight; i++) ws.send(payload);
    schedule(() => ws.close());
  };
  ws.onmessage = (event) => {
    const data = event.data;
    received(typeof data === 'string' ? data.length : data.byteLength);
    ws.send(payload);
  };
  ws.onerror = () => {
    console.error(`${impl}: connection error`);
    process.exit(1);
  };
}
