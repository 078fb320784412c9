import { describe, expect, it } from 'vitest';
import { apiPath } from './paths';

describe('apiPath', () => {
  it('fills and encodes the parameters of a path of the contract', () => {
    expect(apiPath('/api/v1/models')).toBe('/api/v1/models');
    expect(
      apiPath('/api/v1/models/{name}/aliases/{alias}', { name: 'a b', alias: 'champion' }),
    ).toBe('/api/v1/models/a%20b/aliases/champion');
    expect(apiPath('/api/v1/jobs/{job_id}/results', { job_id: '../x' })).toBe(
      '/api/v1/jobs/..%2Fx/results',
    );
  });

  it('refuses, at compile time, a path or a parameter outside the contract', () => {
    // @ts-expect-error: no such route in apps/server/openapi.json
    expect(apiPath('/api/v1/nowhere')).toBe('/api/v1/nowhere');
    // @ts-expect-error: the parameter is {job_id}, not {id}
    expect(() => apiPath('/api/v1/jobs/{job_id}', { id: 'x' })).toThrow('no value for {job_id}');
  });
});
