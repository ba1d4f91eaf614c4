// Scenario: authenticated list of 50 posts under the list rule, sorted by -created (includes COUNT).
import type { Scenario } from './types.ts';
import { rotate } from './types.ts';

export const list: Scenario = {
  name: 'list',
  description: 'GET /api/collections/posts/records?page=1&perPage=50&sort=-created (user token, rule-filtered, with totals)',
  minRatio: 0.6,
  pgMinRatio: 0.5,
  build(t) {
    const next = rotate(t.users);
    const path = '/api/collections/posts/records?page=1&perPage=50&sort=-created';
    return {
      url: t.url,
      requests: [{ method: 'GET', path, setupRequest: (req) => ({ ...req, path, headers: { authorization: next().token } }) }],
    };
  },
};
