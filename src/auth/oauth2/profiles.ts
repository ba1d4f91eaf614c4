// Plain-OAuth2 presets (no ID token): where each provider's profile API lives and how its answer becomes an
// OAuth2User. An email is taken only when the provider says it is verified (or only ever returns verified ones).
export interface Profile { id: string; name: string; username: string; email: string; avatarURL: string; raw: Record<string, unknown> }

/** Fetches a JSON resource of the provider with the user's access token (and preset headers). */
export type FetchJson = (url: string, headers?: Record<string, string>) => Promise<unknown>

export interface ProfilePreset {
  displayName: string
  authURL: string
  tokenURL: string
  userInfoURL: string
  scopes: string[]
  /** Reads the user from the profile API; `userInfoURL` is the (possibly overridden) profile endpoint. */
  read(fetchJson: FetchJson, userInfoURL: string, clientId: string): Promise<Profile>
}

const s = (v: unknown) => (typeof v === 'string' ? v : typeof v === 'number' ? String(v) : '')
const obj = (v: unknown) => (v && typeof v === 'object' && !Array.isArray(v) ? v as Record<string, unknown> : {})

export const PROFILE_PRESETS: Record<string, ProfilePreset> = {
  github: {
    displayName: 'GitHub', authURL: 'https://github.com/login/oauth/authorize', tokenURL: 'https://github.com/login/oauth/access_token',
    userInfoURL: 'https://api.github.com/user', scopes: ['read:user', 'user:email'],
    async read(fetchJson, url) {
      const gh = { accept: 'application/vnd.github+json', 'x-github-api-version': '2022-11-28' }
      const user = obj(await fetchJson(url, gh))
      // The profile's public `email` is unverified; only /user/emails says which address is verified.
      const emails = await fetchJson(new URL('/user/emails', url).href, gh).catch(() => [])
      const primary = Array.isArray(emails) ? emails.map(obj).find((e) => e.primary === true && e.verified === true) : undefined
      return { id: s(user.id), name: s(user.name), username: s(user.login), email: s(primary?.email), avatarURL: s(user.avatar_url), raw: user }
    },
  },
  discord: {
    displayName: 'Discord', authURL: 'https://discord.com/api/oauth2/authorize', tokenURL: 'https://discord.com/api/oauth2/token',
    userInfoURL: 'https://discord.com/api/users/@me', scopes: ['identify', 'email'],
    async read(fetchJson, url) {
      const u = obj(await fetchJson(url))
      const avatar = s(u.avatar) ? `https://cdn.discordapp.com/avatars/${s(u.id)}/${s(u.avatar)}.png` : ''
      return { id: s(u.id), name: s(u.global_name) || s(u.username), username: s(u.username), email: u.verified === true ? s(u.email) : '', avatarURL: avatar, raw: u }
    },
  },
  gitlab: {
    displayName: 'GitLab', authURL: 'https://gitlab.com/oauth/authorize', tokenURL: 'https://gitlab.com/oauth/token',
    userInfoURL: 'https://gitlab.com/api/v4/user', scopes: ['read_user'],
    async read(fetchJson, url) {
      const u = obj(await fetchJson(url))
      // `confirmed_at` is set once the primary address was confirmed.
      return { id: s(u.id), name: s(u.name), username: s(u.username), email: u.confirmed_at ? s(u.email) : '', avatarURL: s(u.avatar_url), raw: u }
    },
  },
  facebook: {
    displayName: 'Facebook', authURL: 'https://www.facebook.com/v19.0/dialog/oauth', tokenURL: 'https://graph.facebook.com/v19.0/oauth/access_token',
    userInfoURL: 'https://graph.facebook.com/me?fields=name,email,picture.type(large)', scopes: ['email'],
    async read(fetchJson, url) {
      const u = obj(await fetchJson(url))
      // Facebook returns an email only once the user confirmed it.
      return { id: s(u.id), name: s(u.name), username: '', email: s(u.email), avatarURL: s(obj(obj(u.picture).data).url), raw: u }
    },
  },
  twitter: {
    displayName: 'X (Twitter)', authURL: 'https://twitter.com/i/oauth2/authorize', tokenURL: 'https://api.twitter.com/2/oauth2/token',
    userInfoURL: 'https://api.twitter.com/2/users/me?user.fields=id,name,username,profile_image_url', scopes: ['users.read', 'tweet.read'],
    async read(fetchJson, url) {
      const u = obj(obj(await fetchJson(url)).data)
      // X's OAuth2 API gives no email address.
      return { id: s(u.id), name: s(u.name), username: s(u.username), email: '', avatarURL: s(u.profile_image_url), raw: u }
    },
  },
  twitch: {
    displayName: 'Twitch', authURL: 'https://id.twitch.tv/oauth2/authorize', tokenURL: 'https://id.twitch.tv/oauth2/token',
    userInfoURL: 'https://api.twitch.tv/helix/users', scopes: ['user:read:email'],
    async read(fetchJson, url, clientId) {
      const list = obj(await fetchJson(url, { 'client-id': clientId })).data
      const u = obj(Array.isArray(list) ? list[0] : undefined)
      // Helix returns only verified addresses.
      return { id: s(u.id), name: s(u.display_name), username: s(u.login), email: s(u.email), avatarURL: s(u.profile_image_url), raw: u }
    },
  },
  spotify: {
    displayName: 'Spotify', authURL: 'https://accounts.spotify.com/authorize', tokenURL: 'https://accounts.spotify.com/api/token',
    userInfoURL: 'https://api.spotify.com/v1/me', scopes: ['user-read-private', 'user-read-email'],
    async read(fetchJson, url) {
      const u = obj(await fetchJson(url))
      const images = Array.isArray(u.images) ? u.images.map(obj) : []
      // Spotify does not verify addresses: never used to find or claim an account.
      return { id: s(u.id), name: s(u.display_name), username: s(u.id), email: '', avatarURL: s(images[0]?.url), raw: u }
    },
  },
  microsoft: {
    displayName: 'Microsoft', authURL: 'https://login.microsoftonline.com/common/oauth2/v2.0/authorize', tokenURL: 'https://login.microsoftonline.com/common/oauth2/v2.0/token',
    userInfoURL: 'https://graph.microsoft.com/v1.0/me', scopes: ['User.Read'],
    async read(fetchJson, url) {
      const u = obj(await fetchJson(url))
      // Graph's `mail` is set by the tenant's admins, not verified by Microsoft (the "nOAuth" pitfall): never trusted.
      return { id: s(u.id), name: s(u.displayName), username: s(u.userPrincipalName), email: '', avatarURL: '', raw: u }
    },
  },
}
