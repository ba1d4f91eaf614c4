// geoPoint fields and geoDistance() in rules and filters, through the SDK on both stores.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type PocketBase from 'pocketbase'
import { startServer, type TestServer } from '../support/server.ts'
import { codeOf, failure } from './helpers.ts'

let s: TestServer
let su: PocketBase
const SOFIA = { lon: 23.3219, lat: 42.6977 }
const PLOVDIV = { lon: 24.7453, lat: 42.1354 } // ~132 km from Sofia
const PARIS = { lon: 2.3522, lat: 48.8566 } // ~1760 km from Sofia

beforeAll(async () => {
  s = await startServer()
  su = await s.superuser()
  await su.collections.create({
    name: 'places', type: 'base', createRule: '',
    listRule: 'geoDistance(loc.lon, loc.lat, 23.3219, 42.6977) < 500', viewRule: '',
    fields: [{ name: 'name', type: 'text' }, { name: 'loc', type: 'geoPoint' }, { name: 'home', type: 'geoPoint', required: true }],
  })
  for (const [name, loc] of [['sofia', SOFIA], ['plovdiv', PLOVDIV], ['paris', PARIS]] as const) {
    await s.client().collection('places').create({ name, loc, home: SOFIA })
  }
})
afterAll(async () => { await s?.close() })

describe('geoPoint field', () => {
  it('stores {lon, lat}, defaults to {0,0} and accepts a JSON string', async () => {
    const c = await su.collections.getOne('places')
    expect(c.fields.find((f: any) => f.name === 'loc')).toMatchObject({ type: 'geoPoint', required: false })
    const r = await su.collection('places').create({ name: 'nowhere', home: JSON.stringify(PARIS) })
    expect(r.loc).toEqual({ lon: 0, lat: 0 })
    expect(r.home).toEqual(PARIS)
    await su.collection('places').delete(r.id)
  })

  it('validates ranges, shape and required', async () => {
    for (const [home, code] of [
      [{ lon: 181, lat: 0 }, 'validation_invalid_geo_point'],
      [{ lon: 0, lat: -91 }, 'validation_invalid_geo_point'],
      [{ lon: 'x', lat: 1 }, 'validation_unsupported_value_type'],
      [{ lon: 0, lat: 0 }, 'validation_required'],
    ] as const) {
      const f = await failure(su.collection('places').create({ name: 'bad', home }))
      expect(f.status).toBe(400)
      expect(codeOf(f, 'home'), JSON.stringify(home)).toBe(code)
    }
  })
})

describe('geoDistance()', () => {
  it('filters and sorts by distance in km', async () => {
    const near = await su.collection('places').getFullList({ filter: `geoDistance(loc.lon, loc.lat, ${SOFIA.lon}, ${SOFIA.lat}) < 200`, sort: 'name' })
    expect(near.map((r) => r.name)).toEqual(['plovdiv', 'sofia'])
    const band = await su.collection('places').getFullList({ filter: `geoDistance(loc.lon, loc.lat, ${SOFIA.lon}, ${SOFIA.lat}) > 120 && geoDistance(loc.lon, loc.lat, ${SOFIA.lon}, ${SOFIA.lat}) < 140` })
    expect(band.map((r) => r.name)).toEqual(['plovdiv'])
    const between = await su.collection('places').getFullList({ filter: 'geoDistance(loc.lon, loc.lat, home.lon, home.lat) > 1700' })
    expect(between.map((r) => r.name)).toEqual(['paris'])
  })

  it('applies in API rules (the list rule keeps places within 500 km of Sofia for guests)', async () => {
    const seen = await s.client().collection('places').getFullList({ sort: 'name' })
    expect(seen.map((r) => r.name)).toEqual(['plovdiv', 'sofia'])
  })

  it('refuses malformed calls with a 400', async () => {
    for (const filter of ['geoDistance(loc.lon, loc.lat, 1) < 5', 'geoDistance(loc.lon, loc.lat, "a", 1) < 5']) {
      expect((await failure(su.collection('places').getList(1, 10, { filter }))).status, filter).toBe(400)
    }
  })
})
