import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { parse } from 'yaml';
import { loadTestbedEnv } from '#test/testbed/env.ts';

/**
 * The credential leak sweep every test hub runs when it stops: no response body or header it
 * returned, no log line it wrote and no item of its table may contain a known secret. The known
 * secrets are the test bed clusters' credentials plus whatever a test remembers (a service-account
 * token it read from a cluster). Findings name the secret's kind and where it was seen, never the
 * secret itself.
 */

export interface KnownSecret {
  /** What it is, safe to print: `test bed cluster "alpha" admin.kubeconfig user "admin" token`. */
  kind: string;
  /** The strings whose presence means a leak: the value, and the encodings it travels in. */
  forms: string[];
}

/** One text the hub let out, and where. */
export interface Exposure {
  where: string;
  text: string;
}

const MIN_FORM_LENGTH = 16;

/** A secret and its standalone base64 (how a Kubernetes Secret's `data` carries it). */
function tokenForms(value: string): string[] {
  return [value, Buffer.from(value, 'utf8').toString('base64')];
}

/**
 * base64 PEM data (client-key-data, client-certificate-data): the value itself and a line from
 * the middle of the decoded PEM body, which is the key's own random material in any rendering
 * (PEM text, JSON-escaped PEM, the base64 it came in).
 */
function pemDataForms(base64: string): string[] {
  const forms = [base64];
  const body = Buffer.from(base64, 'base64')
    .toString('utf8')
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('-----'));
  const middle = body[Math.floor(body.length / 2)];
  if (middle) forms.push(middle);
  return forms;
}

/** The user credentials of one kubeconfig file. */
export function kubeconfigSecrets(text: string, label: string): KnownSecret[] {
  const doc = parse(text) as { users?: { name?: string; user?: Record<string, unknown> }[] } | null;
  const found: KnownSecret[] = [];
  for (const entry of doc?.users ?? []) {
    const user = entry.user ?? {};
    const kind = (field: string) => `${label} user "${entry.name ?? '?'}" ${field}`;
    if (typeof user.token === 'string' && user.token) found.push({ kind: kind('token'), forms: tokenForms(user.token) });
    for (const field of ['client-key-data', 'client-certificate-data']) {
      const value = user[field];
      if (typeof value === 'string' && value) found.push({ kind: kind(field), forms: pemDataForms(value) });
    }
  }
  return found;
}

let testbedSecrets: KnownSecret[] | undefined;

/** The credentials of every kubeconfig the test bed lists (admin and restricted), read once. */
export function testbedClusterSecrets(): KnownSecret[] {
  if (!testbedSecrets) {
    testbedSecrets = loadTestbedEnv().clusters.flatMap((cluster) =>
      [cluster.kubeconfig, cluster.restrictedKubeconfig]
        .filter((file): file is string => Boolean(file))
        .flatMap((file) => kubeconfigSecrets(readFileSync(file, 'utf8'), `test bed cluster "${cluster.name}" ${basename(file)}`)),
    );
    if (testbedSecrets.length === 0) throw new Error('leak sweep: the test bed lists no cluster credential to look for');
  }
  return testbedSecrets;
}

/** A secret a test came to know (a service-account token read from the cluster). */
export function rememberedSecret(value: string, kind: string): KnownSecret {
  if (value.length < MIN_FORM_LENGTH) throw new Error(`leak sweep: "${kind}" is too short to search for without false alarms`);
  return { kind, forms: tokenForms(value) };
}

/** Every (secret kind, place) where a secret shows up; empty when nothing leaked. */
export function findLeaks(secrets: KnownSecret[], exposures: Exposure[]): string[] {
  const findings = new Set<string>();
  for (const secret of secrets) {
    const forms = secret.forms.filter((f) => f.length >= MIN_FORM_LENGTH);
    for (const { where, text } of exposures) {
      if (forms.some((f) => text.includes(f))) findings.add(`${secret.kind} in ${where}`);
    }
  }
  return [...findings];
}

/** The error a hub throws for its findings. */
export function leakError(findings: string[]): Error {
  const shown = findings.slice(0, 25).map((f) => `  - ${f}`);
  if (findings.length > shown.length) shown.push(`  - ... and ${findings.length - shown.length} more`);
  return new Error(`CREDENTIAL LEAK: ${findings.length} finding(s) (the secrets themselves are not printed):\n${shown.join('\n')}`);
}
