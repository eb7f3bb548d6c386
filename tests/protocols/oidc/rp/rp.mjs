// An independent relying party for Schulhof's OIDC provider: openid-client (v6, strict),
// which is not built on authlib. It drives the sign-in form like a browser would (fetch,
// a cookie jar, the CSRF token taken from the page) and runs the flows the test names.
//
// Usage: node rp.mjs '<json>'  with issuer, client_id, client_secret (or null: public),
// auth ("basic" | "post" | "none"), redirect_uri, post_logout_redirect_uri, username,
// password, mode ("full" | "signin" | "expire" | "prompt"), expire_hook (a URL the test
// listens on). Prints one JSON object of what happened; exits non-zero only on an
// unexpected failure (a check of openid-client that did not pass).
// The password prompt of prompt=login / max_age (/oidc/reauth) is answered like the
// sign-in form; `out.reauths` counts how often it was shown.

import * as oidc from 'openid-client'

const cfg = JSON.parse(process.argv[2])
const out = {}
const jar = new Map()

function remember (res) {
  for (const line of res.headers.getSetCookie()) {
    const [pair] = line.split(';')
    const at = pair.indexOf('=')
    const name = pair.slice(0, at).trim()
    const value = pair.slice(at + 1).trim()
    if (value === '' || /max-age=0/i.test(line) || /expires=Thu, 01 Jan 1970/i.test(line)) jar.delete(name)
    else jar.set(name, value)
  }
}

function cookieHeader () {
  return [...jar].map(([k, v]) => `${k}=${v}`).join('; ')
}

async function browse (url, init = {}) {
  const res = await fetch(url, {
    ...init,
    redirect: 'manual',
    headers: { ...(init.headers || {}), cookie: cookieHeader() }
  })
  remember(res)
  return res
}

// From an authorization URL to the callback (or wherever the browser stops).
async function authorize (authUrl) {
  let url = authUrl.href
  for (let hop = 0; hop < 12; hop++) {
    const res = await browse(url)
    if (res.status >= 300 && res.status < 400) {
      const next = new URL(res.headers.get('location'), url)
      if (next.href.startsWith(cfg.redirect_uri)) return { callback: next.href }
      url = next.href
      continue
    }
    const page = await res.text()
    const csrf = page.match(/name="csrf" value="([0-9a-f]{64})"/)
    if (res.status === 200 && new URL(url).pathname === '/signin' && csrf && !out.signed_in) {
      out.signed_in = true
      const form = new URLSearchParams({
        username: cfg.username,
        password: cfg.password,
        csrf: csrf[1],
        next: new URL(url).searchParams.get('next') || ''
      })
      const post = await browse(new URL('/signin', url), {
        method: 'POST',
        body: form,
        headers: { 'content-type': 'application/x-www-form-urlencoded' }
      })
      if (post.status !== 303) return { stopped_at: new URL(url).pathname, status: post.status }
      url = new URL(post.headers.get('location'), url).href
      continue
    }
    const request = page.match(/name="request" value="([^"]*)"/)
    if (res.status === 200 && page.includes('action="/oidc/reauth"') && csrf && request) {
      out.reauths = (out.reauths || 0) + 1
      const form = new URLSearchParams({
        request: request[1].replaceAll('&amp;', '&'),
        password: cfg.password,
        csrf: csrf[1]
      })
      const post = await browse(new URL('/oidc/reauth', url), {
        method: 'POST',
        body: form,
        headers: { 'content-type': 'application/x-www-form-urlencoded' }
      })
      if (post.status !== 302) return { stopped_at: '/oidc/reauth', status: post.status }
      const next = new URL(post.headers.get('location'), url)
      if (next.href.startsWith(cfg.redirect_uri)) return { callback: next.href }
      url = next.href
      continue
    }
    return { stopped_at: new URL(url).pathname, status: res.status }
  }
  return { stopped_at: url, status: 'too many redirects' }
}

async function fresh (config, extra = {}) {
  const verifier = oidc.randomPKCECodeVerifier()
  const params = {
    redirect_uri: cfg.redirect_uri,
    scope: cfg.scope || 'openid profile email roles schools groups',
    code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
    code_challenge_method: 'S256',
    state: oidc.randomState(),
    nonce: oidc.randomNonce(),
    ...extra
  }
  const url = oidc.buildAuthorizationUrl(config, params)
  return { verifier, params, url, result: await authorize(url) }
}

function grant (config, started, verifier = started.verifier, maxAge = undefined) {
  return oidc.authorizationCodeGrant(config, new URL(started.result.callback), {
    pkceCodeVerifier: verifier,
    expectedState: started.params.state,
    expectedNonce: started.params.nonce,
    idTokenExpected: true,
    maxAge
  })
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms))

async function refusal (promise) {
  try {
    await promise
    return 'accepted'
  } catch (err) {
    return err.error || err.code || String(err)
  }
}

const auth = {
  basic: () => oidc.ClientSecretBasic(cfg.client_secret),
  post: () => oidc.ClientSecretPost(cfg.client_secret),
  none: () => oidc.None()
}[cfg.auth]()

const config = await oidc.discovery(
  new URL(cfg.issuer), cfg.client_id, cfg.client_secret ? { client_secret: cfg.client_secret } : {},
  auth, { execute: [oidc.allowInsecureRequests] }
)
out.issuer = config.serverMetadata().issuer

// A redirect URI that is not registered: an error page, no redirect anywhere.
const wrong = oidc.buildAuthorizationUrl(config, {
  redirect_uri: cfg.redirect_uri + '/elsewhere', scope: 'openid', code_challenge: 'x'.repeat(43),
  code_challenge_method: 'S256', state: 's'
})
const wrongAnswer = await browse(wrong)
out.wrong_redirect = { status: wrongAnswer.status, location: wrongAnswer.headers.get('location') }

// Sign in and get a code.
const first = await fresh(config)
out.first = first.result
if (!first.result.callback) {
  console.log(JSON.stringify(out))
  process.exit(0)
}
const callback = new URL(first.result.callback)
if (callback.searchParams.get('error')) {
  out.error = await refusal(grant(config, first))
  console.log(JSON.stringify(out))
  process.exit(0)
}
const tokens = await grant(config, first)
out.id_token = tokens.id_token
out.claims = tokens.claims()
out.userinfo = await oidc.fetchUserInfo(config, tokens.access_token, out.claims.sub)

if (cfg.mode === 'expire') {
  // The test ends the SSO session's lifetime (a hook on its listener); the next sign-in
  // to this RP must ask for the password again, and prompt=none must say login_required.
  await fetch(cfg.expire_hook, { method: 'POST' })
  const again = await fresh(config)
  out.after_expiry = again.result
  const silent = await fresh(config, { prompt: 'none' })
  out.silent_after_expiry = silent.result.callback ? await refusal(grant(config, silent)) : silent.result
}

if (cfg.mode === 'prompt') {
  // Each step: how many password prompts it took, and the ID token's auth_time (checked
  // by openid-client against max_age where one was asked).
  const step = async (extra, maxAge) => {
    out.reauths = 0
    const started = await fresh(config, extra)
    const reauths = out.reauths
    if (!started.result.callback) return { reauths, result: started.result }
    const error = new URL(started.result.callback).searchParams.get('error')
    if (error) return { reauths, error }
    const got = await grant(config, started, started.verifier, maxAge)
    return { reauths, auth_time: got.claims().auth_time }
  }
  await sleep(1100) // so a fresh auth_time is a later second than the sign-in's
  out.login = await step({ prompt: 'login' })
  out.within_max_age = await step({ max_age: '3600' }, 3600)
  await sleep(1100)
  out.max_age_zero = await step({ max_age: '0' }, 0)
  out.silent = await step({ prompt: 'none' })
  out.consent = await step({ prompt: 'consent' })
  out.select_account = await step({ prompt: 'select_account' })
  // A new browser with prompt=login: one sign-in, no second password prompt.
  jar.clear()
  out.signed_in = false
  out.new_browser = await step({ prompt: 'login', max_age: '0' }, 0)
  out.new_browser.signed_in = out.signed_in
  jar.clear()
  out.silent_signed_out = await step({ prompt: 'none' })
}

if (cfg.mode === 'full') {
  // Refresh: rotated; the old one presented again revokes the family.
  const second = await oidc.refreshTokenGrant(config, tokens.refresh_token)
  out.rotated = second.refresh_token !== tokens.refresh_token
  out.reused_refresh = await refusal(oidc.refreshTokenGrant(config, tokens.refresh_token))
  out.family_after_reuse = await refusal(oidc.refreshTokenGrant(config, second.refresh_token))

  // A code is good once.
  const again = await fresh(config)
  await grant(config, again)
  out.reused_code = await refusal(grant(config, again))

  // A wrong PKCE verifier.
  const pkce = await fresh(config)
  out.wrong_verifier = await refusal(grant(config, pkce, oidc.randomPKCECodeVerifier()))

  // RP-initiated logout back to a registered address, with our state.
  const keep = await fresh(config)
  const kept = await grant(config, keep)
  out.logout_sid = kept.claims().sid
  const bye = oidc.buildEndSessionUrl(config, {
    id_token_hint: kept.id_token,
    post_logout_redirect_uri: cfg.post_logout_redirect_uri,
    state: 'bye-state'
  })
  const answer = await browse(bye)
  out.logout = { status: answer.status, location: answer.headers.get('location') }
  out.refresh_after_logout = await refusal(oidc.refreshTokenGrant(config, kept.refresh_token))
  const later = await browse(oidc.buildAuthorizationUrl(config, keep.params))
  out.after_logout = { status: later.status, location: later.headers.get('location') }
}
console.log(JSON.stringify(out))
