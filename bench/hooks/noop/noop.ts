// Bench fixture: three no-op hooks on `posts` (a model hook, an execute hook, an enrich hook), to measure hook overhead.
import type { App } from '../../../src/index.ts'

export default (app: App) => {
  app.onRecordCreate((e) => e.next(), 'posts')
  app.onRecordCreateExecute((e) => e.next(), 'posts')
  app.onRecordEnrich((e) => e.next(), 'posts')
}
