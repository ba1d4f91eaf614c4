// Scenario: authenticated create of one ~500-byte post (createRule `@request.auth.id != ""`).
import type { Scenario } from './types.ts';
import { rotate } from './types.ts';
import { newPostPayload } from '../lib/data.ts';

export const create: Scenario = {
  name: 'create',
  description: 'POST /api/collections/posts/records (user token, JSON body ~560 B, owner = self)',
  minRatio: 0.5,
  build(t) {
    const bodies = t.users.map((u) => ({
      token: u.token, body: newPostPayload(u.id, `Load test post by ${u.email}`, true),
    }));
    const next = rotate(bodies);
    return {
      url: t.url,
      requests: [{
        method: 'POST',
        setupRequest: (req) => {
          const b = next();
          return {
            ...req, method: 'POST', path: '/api/collections/posts/records', body: b.body,
            headers: { authorization: b.token, 'content-type': 'application/json' },
          };
        },
      }],
    };
  },
};
