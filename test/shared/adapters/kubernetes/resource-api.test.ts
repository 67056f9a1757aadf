/**
 * The parts of the generic resource calls that need no cluster: how `Warning` headers are read
 * (the transport joins repeated ones with ", ", and a text may hold commas and escaped quotes),
 * and the paths built from a kind named as data.
 */
import { describe, expect, it } from 'vitest';
import { InputError } from '#shared/domain/errors.ts';
import { resourcePath, warningTexts } from '#shared/adapters/kubernetes/resource-api.ts';

describe('Warning headers', () => {
  it('gives each warning text once, commas and escaped quotes included', () => {
    const joined = '299 - "v1 Endpoints is deprecated in v1.33+; use discovery.k8s.io/v1 EndpointSlice", 299 - "metadata.annotations[a]: a, b and \\"c\\""';
    expect(warningTexts({ warning: joined })).toEqual([
      'v1 Endpoints is deprecated in v1.33+; use discovery.k8s.io/v1 EndpointSlice',
      'metadata.annotations[a]: a, b and "c"',
    ]);
    expect(warningTexts({})).toEqual([]);
  });

  it('blanks a credential a hostile cluster puts in a warning', () => {
    const [text] = warningTexts({ warning: '299 - "token=abcdefghijklmnop1234 leaked"' });
    expect(text).not.toContain('abcdefghijklmnop1234');
  });
});

describe('resource paths', () => {
  it('puts the core group under /api and the others under /apis, namespaced or not, under the server prefix', () => {
    expect(resourcePath('', { group: '', version: 'v1', plural: 'pods' })).toBe('/api/v1/pods');
    expect(resourcePath('/k8s/clusters/c-1', { group: 'apps', version: 'v1', plural: 'deployments', namespace: 'team-a', name: 'web' })).toBe(
      '/k8s/clusters/c-1/apis/apps/v1/namespaces/team-a/deployments/web',
    );
    expect(resourcePath('', { group: 'cert-manager.io', version: 'v1', plural: 'certificates', name: 'a/b' })).toBe(
      '/apis/cert-manager.io/v1/certificates/a%2Fb',
    );
  });

  it('refuses names that would leave the resource', () => {
    for (const ref of [
      { group: '', version: 'v1', plural: 'configmaps', name: '..' },
      { group: '', version: 'v1', plural: 'configmaps', namespace: '.' },
      { group: '', version: '../v1', plural: 'pods' },
      { group: 'apps/../..', version: 'v1', plural: 'pods' },
      { group: '', version: 'v1', plural: 'pods?x=1' },
    ]) {
      expect(() => resourcePath('', ref)).toThrow(InputError);
    }
  });
});
