import { it } from 'vitest';

const inCi = !!process.env.CI && !['false', '0'].includes(process.env.CI);

/** Why the AWS adapters cannot be tested here, or undefined when an emulator is configured. */
export function awsBackendMissing(): string | undefined {
  return process.env.AWS_ENDPOINT_URL ? undefined : 'AWS_ENDPOINT_URL is not set: run through the test bed (npm test) or point it at moto or LocalStack';
}

/**
 * Declares the outcome of a suite whose backend is missing: a failure in CI
 * (a missing part must never pass silently), a visible skip on a laptop.
 * Returns true when the suite must declare nothing else.
 */
export function reportMissingBackend(adapterName: string, unavailable: string | undefined): boolean {
  if (!unavailable) return false;
  if (inCi) {
    it('has the backend it needs', () => {
      throw new Error(`${adapterName} cannot be tested: ${unavailable}`);
    });
  } else {
    it.skip(`skipped: ${unavailable}`, () => {});
  }
  return true;
}
