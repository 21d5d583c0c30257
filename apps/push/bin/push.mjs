#!/usr/bin/env node
// The push CLI: `npx @wskit/app-push notify --topic t --title … [--body …] [--data JSON]`
// publishes through POST /api/notify; `history --topic t [--after N] [--limit N]` reads a page.
// The token comes from PUSH_TOKEN (never a flag: flags end up in shell history and `ps`).
import { parseArgs } from 'node:util';

const USAGE = `usage:
  push notify  --topic NAME --title TEXT [--body TEXT] [--data JSON] [--url URL]
  push history --topic NAME [--after SEQ] [--limit N] [--url URL]
environment: PUSH_TOKEN (bearer token for notify; the server's dev default if unset),
             PUSH_URL (default http://127.0.0.1:3001)`;

const OPTIONS = {
  notify: {
    topic: { type: 'string' },
    title: { type: 'string' },
    body: { type: 'string' },
    data: { type: 'string' },
    url: { type: 'string' },
  },
  history: {
    topic: { type: 'string' },
    after: { type: 'string' },
    limit: { type: 'string' },
    url: { type: 'string' },
  },
};

class UsageError extends Error {}

function required(values, name) {
  if (values[name] === undefined) throw new UsageError(`--${name} is required`);
  return values[name];
}

async function request(url, init) {
  let response;
  try {
    response = await fetch(url, init);
  } catch (error) {
    throw new Error(`cannot reach ${url}: ${error.cause?.message ?? error.message}`);
  }
  const text = await response.text();
  return { status: response.status, text };
}

async function notify(values, env) {
  const base = values.url ?? env.PUSH_URL ?? 'http://127.0.0.1:3001';
  const payload = { topic: required(values, 'topic'), title: required(values, 'title') };
  if (values.body !== undefined) payload.body = values.body;
  if (values.data !== undefined) {
    try {
      payload.data = JSON.parse(values.data);
    } catch {
      throw new UsageError('--data must be valid JSON');
    }
  }
  if (env.PUSH_TOKEN === undefined) {
    console.error('push: PUSH_TOKEN is not set; using the dev default token');
  }
  return request(new URL('/api/notify', base), {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      authorization: `Bearer ${env.PUSH_TOKEN ?? 'dev-push-token'}`,
    },
    body: JSON.stringify(payload),
  });
}

async function history(values, env) {
  const base = values.url ?? env.PUSH_URL ?? 'http://127.0.0.1:3001';
  const topic = required(values, 'topic');
  const url = new URL(`/api/topics/${encodeURIComponent(topic)}/notifications`, base);
  if (values.after !== undefined) url.searchParams.set('after', values.after);
  if (values.limit !== undefined) url.searchParams.set('limit', values.limit);
  return request(url);
}

async function main(argv, env) {
  const [command, ...rest] = argv;
  if (command === undefined || command === '--help' || command === '-h') {
    console.log(USAGE);
    return command === undefined ? 2 : 0;
  }
  const options = OPTIONS[command];
  if (options === undefined) throw new UsageError(`unknown command ${JSON.stringify(command)}`);
  let values;
  try {
    ({ values } = parseArgs({ args: rest, options, strict: true, allowPositionals: false }));
  } catch (error) {
    // parseArgs names the unknown option or the missing value.
    throw new UsageError(error.message);
  }
  const answer = command === 'notify' ? await notify(values, env) : await history(values, env);
  const ok = answer.status >= 200 && answer.status < 300;
  (ok ? console.log : console.error)(
    ok ? answer.text : `push: HTTP ${answer.status} ${answer.text}`,
  );
  return ok ? 0 : 1;
}

main(process.argv.slice(2), process.env).then(
  (code) => {
    process.exitCode = code;
  },
  (error) => {
    console.error(`push: ${error.message}`);
    if (error instanceof UsageError) console.error(USAGE);
    process.exitCode = error instanceof UsageError ? 2 : 1;
  },
);
