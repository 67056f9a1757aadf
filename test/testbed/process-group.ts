import { readFileSync } from 'node:fs';
/** Whether any process of the group led by `pid` is still alive. */
export function groupAlive(pid: number): boolean {
  try {
    process.kill(-pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * When the process started (clock ticks since boot, from /proc), or undefined where /proc is
 * missing. A pid plus its start time names one process, even after the pid is reused.
 */
export function processStartTime(pid: number): string | undefined {
  return procStat(pid)?.[19];
}

/**
 * Whether the process has exited but not been reaped yet: a detached child whose parent is gone
 * may stay a zombie for a while, and signals (even signal 0) still find it.
 */
export function isZombie(pid: number): boolean {
  return procStat(pid)?.[0] === 'Z';
}

/** The fields of /proc/<pid>/stat after the command name (state first), or undefined without /proc. */
function procStat(pid: number): string[] | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name may hold spaces: the fields proper start after its closing parenthesis.
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  } catch {
    return undefined;
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
