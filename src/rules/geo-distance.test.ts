// geoDistance(): compiled to a haversine SQL expression that both engines evaluate alike.
import { expect, it } from 'vitest'
import { RuleError } from './errors.ts'
import { describeEngines, ids } from './test-engines.ts'

// One degree of longitude on the equator is 111.195 km: posts' `views` (10, 5, 0, 100) become distances.
describeEngines('geoDistance', (engine) => {
  it('computes great-circle distances in km from fields, JSON paths and numbers', async () => {
    expect(await ids(engine(), 'posts', 'geoDistance(views, 0, 0, 0) > 1000')).toEqual(['p1', 'p4'])
    expect(await ids(engine(), 'posts', 'geoDistance(views, 0, 0, 0) > 555 && geoDistance(views, 0, 0, 0) < 557')).toEqual(['p2'])
    expect(await ids(engine(), 'posts', 'geoDistance(0, 0, 0, 0) = 0')).toEqual(['p1', 'p2', 'p3', 'p4'])
    // Antipodes: half the circumference, with the asin argument clamped against rounding.
    expect(await ids(engine(), 'posts', 'geoDistance(0, 0, 180, 0) > 20015 && geoDistance(0, 0, 180, 0) < 20016')).toHaveLength(4)
    expect(await ids(engine(), 'posts', 'geoDistance(data.items.0.x, 0, 0, 0) > 100')).toEqual(['p1'])
  })

  it('refuses a wrong number of arguments or text arguments', async () => {
    for (const filter of ['geoDistance(1, 2, 3) > 0', 'geoDistance(1, 2, 3, "a") > 0', 'geoDistance(1, 2, 3, 4, 5) > 0']) {
      await expect(ids(engine(), 'posts', filter), filter).rejects.toThrow(RuleError)
    }
  })
})
