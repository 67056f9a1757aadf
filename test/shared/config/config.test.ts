import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '#shared/config/config.ts';

// What Lambda itself sets in every function's environment.
const lambda = { AWS_LAMBDA_FUNCTION_NAME: 'clusterhub-identity' };

describe('auth modes in the configuration', () => {
  it('refuses disabled in a Lambda, whatever HUB_ENVIRONMENT says', () => {
    for (const environment of ['aws', 'local']) {
      expect(() => loadConfig({ ...lambda, HUB_ENVIRONMENT: environment, HUB_AUTH_MODE: 'disabled' })).toThrow(ConfigError);
    }
    expect(() => loadConfig({ ...lambda, HUB_ENVIRONMENT: 'local', HUB_AUTH_MODE: 'disabled' })).toThrow(
      'HUB_AUTH_MODE=disabled is for the local run only and this is a Lambda (AWS_LAMBDA_FUNCTION_NAME is set): set it to required.',
    );
    // The local run, outside Lambda, may still use it.
    expect(loadConfig({ HUB_ENVIRONMENT: 'local', HUB_AUTH_MODE: 'disabled' }).authMode).toBe('disabled');
  });

  it('refuses optional in a Lambda unless HUB_ALLOW_OPTIONAL_AUTH=true', () => {
    expect(() => loadConfig({ ...lambda, HUB_AUTH_MODE: 'optional' })).toThrow(
      /HUB_AUTH_MODE=optional .* a Lambda refuses it: set HUB_AUTH_MODE=required, or set HUB_ALLOW_OPTIONAL_AUTH=true/,
    );
    expect(() => loadConfig({ ...lambda, HUB_AUTH_MODE: 'optional', HUB_ALLOW_OPTIONAL_AUTH: 'false' })).toThrow(ConfigError);
    expect(loadConfig({ ...lambda, HUB_AUTH_MODE: 'optional', HUB_ALLOW_OPTIONAL_AUTH: 'true' }).authMode).toBe('optional');
    expect(loadConfig({ HUB_ENVIRONMENT: 'local', HUB_AUTH_MODE: 'optional' }).authMode).toBe('optional');
    expect(loadConfig({ ...lambda }).authMode).toBe('required');
    expect(() => loadConfig({ HUB_ALLOW_OPTIONAL_AUTH: 'yes' })).toThrow('HUB_ALLOW_OPTIONAL_AUTH="yes" is not valid: set it to true or false, or unset it.');
  });
});
