// Scenario: GET /api/health (framework + routing overhead floor).
import type { Scenario } from './types.ts';

export const health: Scenario = {
  name: 'health',
  description: 'GET /api/health (no auth)',
  build(t) {
    return { url: t.url, requests: [{ method: 'GET', path: '/api/health' }] };
  },
};
