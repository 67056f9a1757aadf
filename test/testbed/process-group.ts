/** Whether any process of the group led by `pid` is still alive. */
export function groupAlive(pid: number): boolean {
  try {
    process.kill(-pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/**
 * Stops a detached process group: SIGTERM, up to `graceMs` to exit, then
 * SIGKILL; resolves once the group is gone (throws if even SIGKILL did not end it).
 */
export async function stopProcessGroup(pid: number, graceMs: number): Promise<void> {
  if (!Number.isInteger(pid) || pid <= 1) throw new Error(`stopProcessGroup: bad pid ${pid}`);
  const signal = (name: NodeJS.Signals) => {
    try {
      process.kill(-pid, name);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ESRCH') throw err;
    }
  };
  if (!groupAlive(pid)) return;
  signal('SIGTERM');
  for (const deadline = Date.now() + graceMs; Date.now() < deadline; await sleep(50)) {
    if (!groupAlive(pid)) return;
  }
  signal('SIGKILL');
  for (const deadline = Date.now() + 5_000; Date.now() < deadline; await sleep(50)) {
    if (!groupAlive(pid)) return;
  }
  throw new Error(`process group ${pid} still alive after SIGKILL`);
}
