/** Polls `check` until it returns true; fails with `describe()` after `timeout` ms. */
export async function eventually(
  check: () => boolean | Promise<boolean>,
  describe: () => string,
  timeout = 10_000,
): Promise<void> {
  const deadline = Date.now() + timeout;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeout} ms: ${describe()}`);
    await sleep(20);
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
