// Hash router: `#/collections/posts` → ['collections', 'posts']. Hash routes keep every URL at /_/ on the server.
let hash = $state(location.hash)
addEventListener('hashchange', () => { hash = location.hash })

export const route = {
  get parts(): string[] { return hash.replace(/^#\/?/, '').split('?')[0].split('/').filter(Boolean).map(decodeURIComponent) },
}

export function go(path: string) { location.hash = '#' + path }
