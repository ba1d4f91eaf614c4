// Scenario: authenticated view of one post the requesting user may see (viewRule = listRule).
import type { Scenario } from './types.ts';
import { rotate } from './types.ts';
import { visibleIds } from '../lib/data.ts';

export const view: Scenario = {
  name: 'view',
  description: 'GET /api/collections/posts/records/:id (user token, random visible post)',
  minRatio: 0.6,
  pgMinRatio: 0.5,
  build(t) {
    const perUser = t.users.map((u) => ({ token: u.token, ids: visibleIds(t.posts, u.id) }));
    const next = rotate(perUser);
    let n = 0;
    return {
      url: t.url,
      requests: [{
        method: 'GET',
        setupRequest: (req) => {
          const u = next();
          const id = u.ids[(n++ * 7919) % u.ids.length];
          return { ...req, path: `/api/collections/posts/records/${id}`, headers: { authorization: u.token } };
        },
      }],
    };
  },
};
