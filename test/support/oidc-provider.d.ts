// oidc-provider ships no types; the OAuth2 tests only drive it through its documented configuration.
declare module 'oidc-provider'
