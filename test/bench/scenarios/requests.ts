import { serve } from '@hono/node-server';
import { Hono } from 'hono';
import { handle } from 'hono/aws-lambda';
import { verifyPassword, hashPassword } from '#shared/domain/identity/passwords.ts';
import { ADMIN_PASSWORD, jsonPost } from '#test/support/identity.ts';
import { lambdaContext, startBenchEnvironment, type Handler } from '../environment.ts';
import { round, summarize, timeIt } from '../stats.ts';
import { splitThreadCpu } from '../thread-cpu.ts';
import { meterCapacity, tableCostRow } from '../capacity.ts';
import type { BenchContext, BenchResult } from '../result.ts';

/** Straight to the hub's server: the test hub's own fetch copies every body for its leak sweep, which would be timed too. */
export const direct = (hub: { url: string }, path: string, init?: RequestInit) => fetch(hub.url + path, init);

/**
 * Wall time, and the share of it the event loop was busy rather than waiting on I/O (DynamoDB,
 * the cluster, the loopback socket): its utilization over the series. Unlike process CPU time it
 * counts this thread only, not V8's background compiler and collector threads.
 */
async function series(fn: () => Promise<unknown>, times: number) {
  await timeIt(fn, 0, Math.min(10, times));
  const before = performance.eventLoopUtilization();
  const values = await timeIt(fn, times, 0);
  const busy = performance.eventLoopUtilization(before);
  return { sample: summarize(values), busyShare: round(busy.utilization), busyMs: round(busy.active / times, 3) };
}

/** The goal for the time a warm authenticated request spends outside I/O (issue 11). */
export const OUTSIDE_IO_GOAL_MS = 1;

const BUSY =
  'share outside I/O = event-loop utilization over the series: the time this thread ran code rather than waited on DynamoDB, the cluster or a socket';

export async function expectOk(res: Promise<Response | { statusCode: number }>) {
  const r = await res;
  const status = 'status' in r ? r.status : r.statusCode;
  if (status >= 400) throw new Error(`benchmark request failed with ${status}`);
}

/**
 * Warm latency through the Lambda handler (API Gateway v2 events) and the
 * local HTTP server against a bare Hono app doing no work, the table capacity
 * each request consumes, and login against one password verification.
 */
export async function requestScenarios(ctx: BenchContext): Promise<BenchResult[]> {
  const env = await startBenchEnvironment(ctx.log);
  const meter = meterCapacity(env.hub.deps.table);
  const bare = new Hono().get('/health', (c) => c.json({ status: 'healthy' }));
  const bareLambda = handle(bare) as unknown as Handler;
  const bareServer = await new Promise<ReturnType<typeof serve>>((resolve) => {
    const s = serve({ fetch: bare.fetch, hostname: '127.0.0.1', port: 0 }, () => resolve(s));
  });
  const address = bareServer.address();
  const bareUrl = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}/health`;
  const n = ctx.repetitions;
  const results: BenchResult[] = [];
  try {
    const bareViaLambda = await series(() => bareLambda(env.event('GET', '/health'), lambdaContext), n);
    const bareViaHttp = await series(() => fetch(bareUrl).then((r) => r.text()), n);
    const { lambda, hub, hubAuth, hubClusterId } = env;
    const cases: { name: string; lambda: () => Promise<unknown>; http: () => Promise<unknown> }[] = [
      { name: 'GET /health', lambda: () => expectOk(lambda.system(env.event('GET', '/health'), lambdaContext)), http: () => expectOk(direct(hub, '/health')) },
      {
        name: 'GET /api/v1/auth/me (bearer)',
        lambda: () => expectOk(lambda.identity(env.event('GET', '/api/v1/auth/me', { token: lambda.token }), lambdaContext)),
        http: () => expectOk(direct(hub, '/api/v1/auth/me', { headers: hubAuth })),
      },
      {
        name: 'GET /api/v1/clusters (bearer)',
        lambda: () => expectOk(lambda.clusters(env.event('GET', '/api/v1/clusters', { token: lambda.token }), lambdaContext)),
        http: () => expectOk(direct(hub, '/api/v1/clusters', { headers: hubAuth })),
      },
      {
        name: 'GET /api/v1/clusters/{id}/summary (bearer, live)',
        lambda: () => expectOk(lambda.clusters(env.event('GET', `/api/v1/clusters/${lambda.clusterId}/summary`, { token: lambda.token }), lambdaContext)),
        http: () => expectOk(direct(hub, `/api/v1/clusters/${hubClusterId}/summary`, { headers: hubAuth })),
      },
    ];
    for (const c of cases) {
      ctx.log(`latency: ${c.name}`);
      const viaLambda = await series(c.lambda, n);
      const viaHttp = await series(c.http, n);
      const capacity = await meter(c.http);
      results.push(
        {
          scenario: 'latency',
          name: `${c.name} through the Lambda handler`,
          figure: `p50 ${viaLambda.sample.median} ms, p99 ${viaLambda.sample.p99} ms; ${Math.round(viaLambda.busyShare * 100)}% outside I/O`,
          reference: `p50 ${bareViaLambda.sample.median} ms (bare Hono handler)`,
          ratio: round(viaLambda.sample.median / bareViaLambda.sample.median),
          how: `${n} warm invocations with an API Gateway v2 event; ${BUSY}`,
          samples: { lambda: viaLambda.sample },
          noisy: viaLambda.sample.noisy,
        },
        {
          scenario: 'latency',
          name: `${c.name} through the local HTTP server`,
          figure: `p50 ${viaHttp.sample.median} ms, p99 ${viaHttp.sample.p99} ms; ${Math.round(viaHttp.busyShare * 100)}% outside I/O`,
          reference: `p50 ${bareViaHttp.sample.median} ms (bare Hono server)`,
          ratio: round(viaHttp.sample.median / bareViaHttp.sample.median),
          how: `${n} sequential requests over loopback HTTP; ${BUSY}; the client (fetch) and the server share this event loop, so it counts both ends of the request`,
          samples: { http: viaHttp.sample },
          noisy: viaHttp.sample.noisy,
        },
        tableCostRow(c.name, capacity, 'ConsumedCapacity (TOTAL) DynamoDB Local reports for every command of one request'),
      );
      if (c.name === 'GET /api/v1/auth/me (bearer)') {
        // Side by side, in sequence: the bare handler's CPU, then the hub's, split at the SDK's commands.
        const bareCpu = await splitThreadCpu(() => bareLambda(env.event('GET', '/health'), lambdaContext), n);
        const cpu = await splitThreadCpu(c.lambda, n);
        const outside = round(cpu.outside, 3);
        results.push({
          scenario: 'latency',
          name: `${c.name} through the Lambda handler: time outside I/O per request`,
          figure: `${outside} ms (this thread's CPU: ${round(cpu.total, 3)} ms in all, of it ${round(cpu.sdk, 3)} ms inside the AWS SDK's commands)`,
          reference: `${round(bareCpu.total, 3)} ms (bare Hono handler)`,
          ratio: round(cpu.outside / bareCpu.total),
          how:
            `CPU time of this thread over ${n} warm invocations, divided by ${n}, less the time inside the SDK's send() (building, signing, ` +
            `sending and reading its three commands: the I/O); goal ≤ ${OUTSIDE_IO_GOAL_MS} ms (${outside <= OUTSIDE_IO_GOAL_MS ? 'met' : 'not met'}); see "Warm path" below`,
          budget: { outside_io_goal_ms: OUTSIDE_IO_GOAL_MS },
          noisy: viaLambda.sample.noisy,
        });
      }
    }

    ctx.log('login');
    const times = ctx.quick ? 5 : 30;
    const doLogin = () => expectOk(direct(hub, '/api/v1/auth/login', jsonPost({ username: 'admin', password: ADMIN_PASSWORD })));
    const loginTimes = summarize(await timeIt(doLogin, times, 2));
    const hash = await hashPassword(ADMIN_PASSWORD);
    const verifyTimes = summarize(await timeIt(() => verifyPassword(ADMIN_PASSWORD, hash), times, 2));
    const loginCapacity = await meter(doLogin);
    results.push(
      {
        scenario: 'login',
        name: 'POST /api/v1/auth/login (local HTTP server)',
        figure: `p50 ${loginTimes.median} ms`,
        reference: `p50 ${verifyTimes.median} ms (one argon2id verification, m=19 MiB, t=2, p=1)`,
        ratio: round(loginTimes.median / verifyTimes.median),
        how: `${times} logins against ${times} bare verifications in the same process`,
        samples: { login: loginTimes, verify: verifyTimes },
        noisy: loginTimes.noisy || verifyTimes.noisy,
      },
      tableCostRow(
        'POST /api/v1/auth/login',
        loginCapacity,
        'ConsumedCapacity of one successful login from a known source (lookups, login counter taken and cleared, session, rate window, audit entry)',
      ),
    );
    return results;
  } finally {
    bareServer.close();
    await env.stop();
  }
}
