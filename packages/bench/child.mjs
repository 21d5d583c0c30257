// A child process pinned to one CPU that speaks JSON lines on stdin/stdout: one command in,
// one reply out; lines with an `event` field are notifications, not replies. Used by run.mjs
// (server.mjs, load.mjs) and runtimes.mjs (the Bun and Deno servers, load.mjs).
import { spawn, spawnSync } from 'node:child_process';
import { cpus } from 'node:os';
import { createInterface } from 'node:readline';

const REQUEST_TIMEOUT = 60_000;

/** Whether `taskset` works and there is a second CPU to pin the load generator to. */
export const canPin = cpus().length >= 2 && spawnSync('taskset', ['-c', '0', 'true']).status === 0;

/**
 * bash that raises the open-file limit as far as it goes: to 1,048,576 (Linux's default
 * `fs.nr_open`) where the process may raise its hard limit (root with CAP_SYS_RESOURCE),
 * else the soft limit to the hard one. 100,000 idle connections (`run.mjs --idle`) need the
 * first.
 */
export const RAISE_FILE_LIMIT =
  'ulimit -n 1048576 2>/dev/null || ulimit -n $(ulimit -Hn) 2>/dev/null';

export class JsonLinesChild {
  #process;
  #waiting = [];
  #buffered = [];
  #stderr = '';
  /** Called with every `{ event }` line. */
  onEvent = () => {};

  /**
   * Runs `command args` on `cpu`, with the fd limit raised (`RAISE_FILE_LIMIT`: 10,000
   * sockets need it). `stderr: 'inherit'` shows the child's stderr as it comes; by default its
   * tail is kept for the error when the child dies.
   */
  constructor(cpu, command, args, { cwd, env = {}, stderr = 'capture' } = {}) {
    const shell = canPin
      ? `${RAISE_FILE_LIMIT}; exec taskset -c "$0" "$@"`
      : `${RAISE_FILE_LIMIT}; exec "$@"`;
    this.#process = spawn('bash', ['-c', shell, String(cpu), command, ...args], {
      cwd,
      env: { ...process.env, NO_COLOR: '1', ...env },
      stdio: ['pipe', 'pipe', stderr === 'inherit' ? 'inherit' : 'pipe'],
    });
    // bash execs taskset, which execs the command: the pid is the command's own.
    this.pid = this.#process.pid;
    this.#process.stdin.on('error', () => {}); // a crashed child is reported by next()
    this.#process.stderr?.on('data', (chunk) => {
      this.#stderr = (this.#stderr + chunk).slice(-4000);
    });
    createInterface({ input: this.#process.stdout }).on('line', (line) => {
      let value;
      try {
        value = JSON.parse(line);
      } catch {
        return; // a runtime's own chatter: not ours
      }
      if (value.event !== undefined) return this.onEvent(value);
      const waiter = this.#waiting.shift();
      if (waiter) waiter(value);
      else this.#buffered.push(value);
    });
    this.exited = new Promise((resolve) => this.#process.once('exit', resolve));
  }

  /** The next reply line (the first one is the child's ready line). */
  next() {
    if (this.#buffered.length > 0) return Promise.resolve(this.#buffered.shift());
    return new Promise((resolve, reject) => {
      const onExit = (code) =>
        reject(new Error(`child exited with ${code}: ${this.#stderr.trim() || '(no stderr)'}`));
      this.#process.once('exit', onExit);
      this.#waiting.push((value) => {
        this.#process.off('exit', onExit);
        resolve(value);
      });
    });
  }

  async request(command, options = {}) {
    this.#process.stdin.write(`${JSON.stringify({ command, ...options })}\n`);
    let timer;
    const timeout = new Promise((_, reject) => {
      timer = setTimeout(() => {
        this.#process.kill('SIGKILL');
        reject(new Error(`${command}: no reply in ${REQUEST_TIMEOUT / 1000} s`));
      }, REQUEST_TIMEOUT);
    });
    const reply = await Promise.race([this.next(), timeout]).finally(() => clearTimeout(timer));
    if (reply.error) throw new Error(`${command}: ${reply.error}`);
    return reply;
  }

  /** Ends stdin (the child exits on its own) and kills it if it has not after 5 s. */
  async stop() {
    this.#process.stdin.end();
    const timer = setTimeout(() => this.#process.kill('SIGKILL'), 5000);
    await this.exited;
    clearTimeout(timer);
  }
}

/** The `--server-env NAME=VALUE` arguments (repeatable) as an environment object. */
export function serverEnvOf(args) {
  const env = {};
  for (const [index, arg] of args.entries()) {
    if (arg !== '--server-env') continue;
    const [name, ...value] = (args[index + 1] ?? '').split('=');
    if (name === '' || value.length === 0) throw new Error('--server-env needs NAME=VALUE');
    env[name] = value.join('=');
  }
  return env;
}
