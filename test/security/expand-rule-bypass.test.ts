// SECURITY.md A7/B9/G5 (+ §2.9): expand only ever returns related records the caller could view itself.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { allSecrets, expectNoLeak, q, raw, setupWorld, type World } from './fixture.ts'

let w: World
let secrets: string[]
let vaultId: string
let commentOnA: string
let commentOnB: string

beforeAll(async () => {
  w = await setupWorld()
  const vault = await w.su.collections.create({ name: 'vault', type: 'base', fields: [{ name: 'code', type: 'text' }], listRule: null, viewRule: null })
  await w.su.collections.create({
    name: 'comments', type: 'base', listRule: '', viewRule: '', createRule: '', updateRule: null, deleteRule: null,
    fields: [
      { name: 'text', type: 'text' },
      { name: 'post', type: 'relation', collectionId: w.posts.id, maxSelect: 1 },
      { name: 'author', type: 'relation', collectionId: '_pb_users_auth_', maxSelect: 1 },
      { name: 'vault', type: 'relation', collectionId: vault.id, maxSelect: 1 },
      { name: 'shadow', type: 'relation', collectionId: '_pb_users_auth_', maxSelect: 1, hidden: true },
    ],
  })
  vaultId = (await w.su.collection('vault').create({ code: 'VAULT-CODE-42' })).id
  commentOnA = (await w.su.collection('comments').create({ text: 'on a', post: w.postA1, author: w.a.id, vault: vaultId, shadow: w.a.id })).id
  commentOnB = (await w.su.collection('comments').create({ text: 'on b', post: w.postB1, author: w.b.id, vault: vaultId, shadow: w.b.id })).id
  secrets = [...(await allSecrets(w)), 'VAULT-CODE-42']
})
afterAll(async () => { await w?.close() })

const comments = (token: string | undefined, params: Record<string, string>) => raw(w, 'GET', `/api/collections/comments/records${q(params)}`, { token })
const byId = (items: { id: string }[], id: string) => items.find((i) => i.id === id) as Record<string, any>

describe('forward relations', () => {
  it('B expanding post/author/vault on a public collection gets only what B may view', async () => {
    const res = await comments(w.b.token, { expand: 'post,author,vault,post.owner,shadow' })
    expect(res.status, res.text).toBe(200)
    const onA = byId(res.json.items, commentOnA)
    const onB = byId(res.json.items, commentOnB)
    expect(onA.expand?.post).toBeUndefined()
    expect(onA.expand?.author).toBeUndefined()
    expect(onA.expand?.vault).toBeUndefined()
    expect(onB.expand.post.id).toBe(w.postB1)
    expect(onB.expand.post).not.toHaveProperty('secret')
    expect(onB.expand.post.expand?.owner?.id).toBe(w.b.id)
    expect(onB.expand.author.id).toBe(w.b.id)
    expect(onB.expand.author).not.toHaveProperty('tokenKey')
    expect(onB.expand?.vault).toBeUndefined()
    expect(res.text).not.toContain(w.a.email)
    expect(res.text).not.toContain("alpha one")
    expectNoLeak(res, secrets)
  })
  it('guests expand nothing private', async () => {
    const res = await comments(undefined, { expand: 'post,author,vault,shadow,post.owner' })
    expect(res.status).toBe(200)
    for (const it of res.json.items) {
      expect(it.expand?.post).toBeUndefined()
      expect(it.expand?.author).toBeUndefined()
      expect(it.expand?.vault).toBeUndefined()
      expect(it.expand?.shadow).toBeUndefined()
    }
    expectNoLeak(res, secrets)
  })
  it('a hidden relation field is neither returned nor expandable for non-superusers', async () => {
    const res = await comments(w.b.token, { expand: 'shadow', fields: '*,shadow,expand.shadow.id' })
    expect(res.status).toBe(200)
    for (const it of res.json.items) {
      expect(it).not.toHaveProperty('shadow')
      expect(it.expand?.shadow).toBeUndefined()
    }
  })
  it('fields cannot pull hidden or secret keys out of an expansion', async () => {
    const res = await raw(w, 'GET', `/api/collections/posts/records/${w.postA1}${q({ expand: 'owner', fields: 'id,secret,expand.owner.tokenKey,expand.owner.password,expand.owner.id' })}`, { token: w.a.token })
    expect(res.status).toBe(200)
    expect(res.json).toEqual({ id: w.postA1, expand: { owner: { id: w.a.id } } })
  })
  it('superuser (control) gets every expansion, hidden fields included', async () => {
    const res = await comments(w.suToken, { expand: 'post,vault,shadow' })
    const onA = byId(res.json.items, commentOnA)
    expect(onA.expand.post.secret).toBe(w.secrets[w.postA1])
    expect(onA.expand.vault.code).toBe('VAULT-CODE-42')
    expect(onA.expand.shadow.id).toBe(w.a.id)
  })
})

describe('back relations', () => {
  it('posts_via_owner / comments_via_post only include viewable rows', async () => {
    await w.su.collections.update('users', { listRule: '', viewRule: '' })
    try {
      const asB = await raw(w, 'GET', `/api/collections/users/records/${w.a.id}${q({ expand: 'posts_via_owner,comments_via_author.post' })}`, { token: w.b.token })
      expect(asB.status, asB.text).toBe(200)
      expect(asB.json.expand?.posts_via_owner).toBeUndefined()
      for (const c of asB.json.expand?.comments_via_author ?? []) expect(c.expand?.post).toBeUndefined()
      expect(asB.text).not.toContain('alpha')
      const asA = await raw(w, 'GET', `/api/collections/users/records/${w.a.id}${q({ expand: 'posts_via_owner' })}`, { token: w.a.token })
      expect(asA.json.expand.posts_via_owner.map((p: { id: string }) => p.id).sort()).toEqual([w.postA1, w.postA2].sort())
      for (const p of asA.json.expand.posts_via_owner) expect(p).not.toHaveProperty('secret')
      const viaPost = await raw(w, 'GET', `/api/collections/posts/records/${w.postB1}${q({ expand: 'comments_via_post.vault' })}`, { token: w.b.token })
      expect(viaPost.status).toBe(200)
      for (const c of viaPost.json.expand.comments_via_post) expect(c.expand?.vault).toBeUndefined()
    } finally {
      await w.su.collections.update('users', { listRule: 'id = @request.auth.id', viewRule: 'id = @request.auth.id' })
    }
  })
  it('vault (locked) back-relations into comments are never expanded for users', async () => {
    const res = await comments(w.a.token, { expand: 'vault.comments_via_vault' })
    expect(res.status).toBe(200)
    for (const it of res.json.items) expect(it.expand?.vault).toBeUndefined()
  })
})

describe('expand on write responses', () => {
  it('creating a comment on B’s post does not hand A B’s post through ?expand', async () => {
    const res = await raw(w, 'POST', `/api/collections/comments/records${q({ expand: 'post,post.owner,vault' })}`, { token: w.a.token, body: { text: 'probe', post: w.postB1, vault: vaultId } })
    expect(res.status, res.text).toBe(200)
    expect(res.json.expand?.post).toBeUndefined()
    expect(res.json.expand?.vault).toBeUndefined()
    expect(res.text).not.toContain('bravo')
    expectNoLeak(res, secrets)
  })
  it('auth responses expand through the same rules', async () => {
    const res = await raw(w, 'POST', `/api/collections/users/auth-with-password${q({ expand: 'posts_via_owner,comments_via_author.post' })}`, { body: { identity: w.b.email, password: w.b.password } })
    expect(res.status).toBe(200)
    expect(res.text).not.toContain(w.postA1)
    expect(res.text).not.toContain(w.secrets[w.postB1])
  })
})
