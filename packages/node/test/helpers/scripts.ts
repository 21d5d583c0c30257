/**
 * Runs one of the repository's scripts (soak, slow consumers) the way a user would, in its own
 * Node process, and reads the JSON summary those scripts print as their last line of stdout.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** The path of `scripts/<name>` at the repository root. */
export function rootScript(name: string): string {
  return fileURLToPath(new URL(`../../../../scripts/${name}`, import.meta.url));
}

/** Exit code, stderr, and the last stdout line parsed as JSON (undefined when it is not JSON). */
export async function runScript<Summary = ReturnType<typeof JSON.parse>>(
  script: string,
  args: string[],
): Promise<{ code: number | null; stderr: string; summary: Summary | undefined }> {
  const child = spawn(process.execPath, [script, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    stdout += chunk;
  });
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
    stderr += chunk;
  });
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  const last = stdout.trim().split('\n').at(-1) ?? '';
  return { code, stderr, summary: last.startsWith('{') ? JSON.parse(last) : undefined };
}
