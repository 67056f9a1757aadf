/** The command line of `npm run bench`, run as a person runs it: a child process, its exit code and what it prints. */
import { execFile } from 'node:child_process';
import { statSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = resolve(import.meta.dirname, '../..');
const docs = ['docs/benchmarks.md', 'docs/benchmarks.json'].map((f) => resolve(root, f));

function bench(...args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((done) => {
    execFile('npx', ['tsx', 'test/bench/run.ts', ...args], { cwd: root, timeout: 180_000, maxBuffer: 16 * 1024 * 1024 }, (err, stdout, stderr) =>
      done({ code: err ? (typeof err.code === 'number' ? err.code : null) : 0, stdout, stderr }),
    );
  });
}

describe('npm run bench (test/bench/run.ts)', () => {
  it('refuses an unknown scenario with exit code 2, naming it and the scenarios there are', async () => {
    const { code, stdout, stderr } = await bench('--quick', 'cold-start', 'warp-speed');
    expect(code).toBe(2);
    expect(stderr).toContain(
      'bench: unknown scenario warp-speed; choose from cold-start, latency, login, table-cost, kubeconfig, planner, resources, sweep, topology, environments',
    );
    expect(stdout).not.toMatch(/^cold-start \|/m);
  });

  it('refuses an unknown option rather than running every scenario in full', async () => {
    const { code, stderr } = await bench('--quik');
    expect(code).toBe(2);
    expect(stderr).toContain('bench: unknown option --quik; choose from --quick, --render');
  });

  it('runs one scenario with --quick, prints only its rows and writes nothing', { timeout: 180_000 }, async () => {
    const before = docs.map((f) => statSync(f).mtimeMs);
    const { code, stdout, stderr } = await bench('--quick', 'cold-start');
    expect(code, stderr).toBe(0);
    const rows = stdout.split('\n').filter((line) => / \| .* \| ratio /.test(line));
    expect(rows.length).toBeGreaterThan(0);
    expect(rows.every((line) => line.startsWith('cold-start | '))).toBe(true);
    expect(rows.some((line) => line.startsWith('cold-start | Clusters Lambda bundle'))).toBe(true);
    expect(stdout).not.toContain('wrote docs/benchmarks');
    expect(docs.map((f) => statSync(f).mtimeMs)).toEqual(before);
  });
});
