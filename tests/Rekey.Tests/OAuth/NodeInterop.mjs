// Run by NodeInteropTests: real npm libraries against a running Rekey, each in its default setup. The test copies this
// file next to the installed node_modules and runs `node NodeInterop.mjs <case>` with the servers and clients in the
// REKEY_INTEROP environment variable (JSON). It prints one JSON object: a member per step, either what the step saw
// or {"error", "code", "status", "oauth_error"} when the library threw, so a failing test shows which call failed and how.
// Nothing printed holds a secret.
import * as client from 'openid-client';
import * as jose from 'jose';
import { Authlete } from '@authlete/typescript-sdk';

const input = JSON.parse(process.env.REKEY_INTEROP);
const result = {};

async function step(name, run) {
  try {
    result[name] = await run();
  } catch (e) {
    // code: the library's error code; status: the HTTP status it saw; oauth_error: the RFC 6749 error of the answer.
    // openid-client reports a 401 by its WWW-Authenticate challenge (Rekey's: Basic realm="rekey") and leaves the body
    // unread, so the error is read from the response the library kept.
    const body = e.error ? null : await e.response?.clone().json().catch(() => null);
    result[name] = {
      error: `${e.name}: ${e.message}`,
      code: e.code ?? null,
      status: e.status ?? null,
      oauth_error: e.error ?? body?.error ?? null,
    };
  }
}

// openid-client 6 refuses plain http unless told otherwise; the test server listens on loopback without TLS.
// allowInsecureRequests is the library's documented switch for exactly that, not a change of its defaults for Rekey.
const insecure = { execute: [client.allowInsecureRequests] };

// discovery(issuer) with the default algorithm fetches {issuer}/.well-known/openid-configuration.
const discover = (clientId, secret, authentication) =>
  client.discovery(new URL(input.issuer), clientId, secret, authentication, insecure);

async function tokenFor(config, scope) {
  const tokens = await client.clientCredentialsGrant(config, { scope });
  return tokens.access_token;
}

function tamper(token) {
  // Same header and signature, a payload that names another subject: only the signature can tell.
  const [header, payload, signature] = token.split('.');
  const claims = JSON.parse(Buffer.from(payload, 'base64url'));
  claims.sub = 'someone-else';
  return [header, Buffer.from(JSON.stringify(claims)).toString('base64url'), signature].join('.');
}

const cases = {
  // (a) discovery + client credentials, (b) jose verifies with the announced JWKS, (c) a tampered token is refused,
  // (e) introspection through the discovered endpoint.
  async post() {
    const { clientId, secret } = input.post;
    let config, token, jwks;
    await step('discovery', async () => {
      config = await discover(clientId, secret);
      const m = config.serverMetadata();
      return { issuer: m.issuer, token_endpoint: m.token_endpoint, jwks_uri: m.jwks_uri, introspection_endpoint: m.introspection_endpoint };
    });
    await step('token', async () => {
      token = await tokenFor(config, input.scope);
      return { received: typeof token === 'string' && token.split('.').length === 3 };
    });
    await step('verify', async () => {
      jwks = jose.createRemoteJWKSet(new URL(config.serverMetadata().jwks_uri));
      const { payload, protectedHeader } = await jose.jwtVerify(token, jwks, { issuer: input.issuer, audience: input.issuer, typ: 'at+jwt' });
      return { header: protectedHeader, claims: payload };
    });
    await step('tampered', async () => {
      await jose.jwtVerify(tamper(token), jwks, { issuer: input.issuer, audience: input.issuer, typ: 'at+jwt' });
      return { accepted: true };
    });
    await step('introspection', () => client.tokenIntrospection(config, token));
  },

  // Dynamic client registration (RFC 7591): openid-client discovers the registration endpoint from the issuer,
  // registers with an initial access token, and gets a token as the client it registered.
  async registration() {
    let config, token;
    await step('register', async () => {
      config = await client.dynamicClientRegistration(new URL(input.issuer),
        { client_name: 'openid-client', grant_types: ['client_credentials'], token_endpoint_auth_method: 'client_secret_post' },
        undefined, { initialAccessToken: input.registration.initialAccessToken, ...insecure });
      const registered = config.clientMetadata();
      return {
        client_id: registered.client_id,
        has_secret: typeof registered.client_secret === 'string',
        registration_client_uri: registered.registration_client_uri ?? null,
      };
    });
    await step('token', async () => {
      token = await tokenFor(config, input.scope);
      return { claims: jose.decodeJwt(token) };
    });
    await step('register_again', () => client.dynamicClientRegistration(new URL(input.issuer),
      { client_name: 'second', grant_types: ['client_credentials'] }, undefined,
      { initialAccessToken: input.registration.initialAccessToken, ...insecure }));
  },

  // (d) client_secret_jwt: openid-client signs an HS256 assertion with the secret (aud = the issuer).
  async jwt() {
    const { clientId, secret } = input.jwt;
    let config, token;
    await step('discovery', async () => {
      config = await discover(clientId, undefined, client.ClientSecretJwt(secret));
      return { issuer: config.serverMetadata().issuer };
    });
    await step('token', async () => {
      token = await tokenFor(config, input.scope);
      return { claims: jose.decodeJwt(token) };
    });
    await step('introspection', () => client.tokenIntrospection(config, token));
  },

  // A client registered with Rekey's default method (client_secret_basic): openid-client's default (client_secret_post)
  // is refused, as Rekey refuses any method other than the registered one; ClientSecretBasic gets a token.
  async basic() {
    const { clientId, secret } = input.basic;
    await step('default_post', async () => {
      await tokenFor(await discover(clientId, secret), input.scope);
      return { accepted: true };
    });
    await step('basic', async () => {
      const token = await tokenFor(await discover(clientId, undefined, client.ClientSecretBasic(secret)), input.scope);
      return { claims: jose.decodeJwt(token) };
    });
  },

  // Authlete's TypeScript SDK pointed at Rekey (its operation paths start with /api, so the server URL is the origin)
  // with an API token as bearer: client/secret/update, then openid-client gets a token with the new secret only.
  async authlete() {
    const { serviceId, clientId, secret, newSecret, bearer } = input.authlete;
    const authlete = new Authlete({ serverURL: input.origin, bearer });
    await step('update', async () => {
      const r = await authlete.client.management.updateSecret({
        serviceId: String(serviceId),
        clientIdentifier: String(clientId),
        clientSecretUpdateRequest: { clientSecret: newSecret },
      });
      // The answer names both secrets: say whether they are the expected ones instead of printing them.
      return { resultCode: r.resultCode, newClientSecret: r.newClientSecret === newSecret, oldClientSecret: r.oldClientSecret === secret };
    });
    await step('token_with_new_secret', async () => {
      const token = await tokenFor(await discover(clientId, newSecret), input.scope);
      return { claims: jose.decodeJwt(token) };
    });
    await step('token_with_old_secret', async () => {
      await tokenFor(await discover(clientId, secret), input.scope);
      return { accepted: true };
    });
  },
};

const run = cases[process.argv[2]];
if (!run) {
  console.error(`usage: node NodeInterop.mjs ${Object.keys(cases).join('|')}`);
  process.exit(2);
}

await run();
console.log(JSON.stringify(result));
