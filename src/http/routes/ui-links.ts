// GET /_/ — a tiny page that completes the links in auth mails (`/_/#/auth/<action>/<token>`); no admin UI.
import { createHash } from 'node:crypto'
import type { FastifyPluginAsync } from 'fastify'

/**
 * Runs in the browser. The token lives in the URL fragment, which browsers never send to the server
 * or in a Referer; the script reads it, removes it from the address bar/history, and calls the API.
 * Output is built with textContent only, so nothing from the URL or the API is ever parsed as HTML.
 */
const SCRIPT = String.raw`(function () {
  'use strict';
  var main = document.getElementById('main');
  var api = new URL('../api/', location.href);
  var m = /^#\/auth\/([a-z0-9-]+)(?:\/([A-Za-z0-9_.-]+))?/.exec(location.hash);
  if (m && m[2]) history.replaceState(null, '', location.pathname + location.search);
  function el(tag, text, attrs) {
    var e = document.createElement(tag);
    if (text) e.textContent = text;
    for (var k in attrs || {}) e.setAttribute(k, attrs[k]);
    return e;
  }
  function show() { main.replaceChildren.apply(main, arguments); }
  function claims(token) {
    try { return JSON.parse(atob(token.split('.')[1].replace(/-/g, '+').replace(/_/g, '/'))); } catch (e) { return null; }
  }
  function failure(body) {
    var out = [el('p', (body && body.message) || 'The request failed.', { 'class': 'err' })];
    var data = (body && body.data) || {};
    for (var k in data) if (data[k] && data[k].message) out.push(el('p', k + ': ' + data[k].message, { 'class': 'err' }));
    return out;
  }
  function post(action, c, body) {
    return fetch(new URL('collections/' + encodeURIComponent(c.collectionId) + '/' + action, api), {
      method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body)
    }).then(function (r) {
      if (r.status === 204) return null;
      return r.json().catch(function () { return {}; });
    }, function () { return { message: 'Network error. Please try again.' }; });
  }
  function form(title, fields, action, c, token, done) {
    var f = el('form');
    var status = el('div');
    f.append(el('h1', title));
    fields.forEach(function (x) {
      var label = el('label', x.label);
      label.append(el('input', '', { type: 'password', name: x.name, autocomplete: x.auto, required: '' }));
      f.append(label);
    });
    var button = el('button', 'Submit', { type: 'submit' });
    f.append(button, status);
    f.addEventListener('submit', function (ev) {
      ev.preventDefault();
      var body = { token: token };
      fields.forEach(function (x) { body[x.name] = f.elements[x.name].value; });
      button.disabled = true;
      post(action, c, body).then(function (err) {
        button.disabled = false;
        if (err) return status.replaceChildren.apply(status, failure(err));
        show(el('h1', 'Done'), el('p', done));
      });
    });
    show(f);
  }
  var token = m && m[2], c = token && claims(token);
  if (!m) {
    show(el('h1', 'Basalt'), el('p', 'There is no admin dashboard here. Use the API or the CLI.'));
  } else if (m[1] === 'oauth2-redirect-success') {
    show(el('h1', 'Signed in'), el('p', 'You can close this window.'));
  } else if (m[1] === 'oauth2-redirect-failure') {
    show(el('h1', 'Sign-in failed'), el('p', 'Close this window and try again.', { 'class': 'err' }));
  } else if (!c || !c.collectionId) {
    show(el('h1', 'Invalid link'), el('p', 'The link is incomplete or malformed.', { 'class': 'err' }));
  } else if (m[1] === 'confirm-verification') {
    show(el('p', 'Verifying…'));
    post('confirm-verification', c, { token: token }).then(function (err) {
      if (err) show.apply(null, [el('h1', 'Verification failed')].concat(failure(err)));
      else show(el('h1', 'Email verified'), el('p', 'Your email address has been verified. You can close this window.'));
    });
  } else if (m[1] === 'confirm-password-reset') {
    form('Reset your password', [
      { name: 'password', label: 'New password', auto: 'new-password' },
      { name: 'passwordConfirm', label: 'Repeat the new password', auto: 'new-password' }
    ], 'confirm-password-reset', c, token, 'Your password has been changed. Sign in with the new one.');
  } else if (m[1] === 'confirm-email-change') {
    form('Confirm your new email' + (c.newEmail ? ': ' + c.newEmail : ''), [
      { name: 'password', label: 'Current password', auto: 'current-password' }
    ], 'confirm-email-change', c, token, 'Your email address has been changed. Sign in again with the new one.');
  } else {
    show(el('h1', 'Unknown link'), el('p', 'This link is not supported.', { 'class': 'err' }));
  }
})();`

const STYLE = 'body{font:16px/1.5 system-ui,sans-serif;max-width:28rem;margin:4rem auto;padding:0 1rem;color:#222}' +
  'label{display:block;margin:.75rem 0}input{display:block;width:100%;padding:.4rem;box-sizing:border-box}' +
  'button{margin-top:.75rem;padding:.4rem 1rem}.err{color:#b00020}'

const sha256 = (text: string) => `'sha256-${createHash('sha256').update(text, 'utf8').digest('base64')}'`

/** Hashes, not nonces: the page is static, so the CSP can be too, and nothing per-request is needed. */
export const UI_CSP = [
  "default-src 'none'",
  `script-src ${sha256(SCRIPT)}`,
  `style-src ${sha256(STYLE)}`,
  "connect-src 'self'",
  "form-action 'none'", // submission is fetch() only; a disabled script never puts a password in a URL
  "base-uri 'none'",
  "frame-ancestors 'none'",
].join('; ')

export const UI_HTML = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<meta name="robots" content="noindex"><title>Basalt</title><style>${STYLE}</style></head>
<body><main id="main"><noscript>This page needs JavaScript to complete the link.</noscript></main>
<script>${SCRIPT}</script></body></html>
`

export const uiLinkRoutes: FastifyPluginAsync = async (f) => {
  f.get('/_/', async (_req, reply) => {
    return reply.headers({
      'content-type': 'text/html; charset=utf-8',
      'content-security-policy': UI_CSP,
      'referrer-policy': 'no-referrer',
      'cache-control': 'no-store',
      'x-frame-options': 'DENY',
    }).send(UI_HTML)
  })
  // Browsers keep the #fragment across redirects, so `/_#/auth/…` links still work.
  f.get('/_', async (_req, reply) => reply.redirect('/_/', 301))
}
