// A real OpenID provider for the end-to-end tests: panva's certified oidc-provider on loopback.
//
//   node provider.mjs <private-jwks.json> [port]      (port 0 or absent: any free port)
//
// One confidential client (client_secret_basic) may use the client_credentials grant; the
// resource server https://orders.test gets RFC 9068 JWT access tokens (typ at+jwt) signed by the first
// key of the JWKS file. SIGHUP reads the file again and swaps in a provider with the new keys
// (the tests rotate with [new, old], then [new]). Prints one JSON line {"url", "pid"} when
// it listens, and {"reloaded": kids} after each reload.

import { readFileSync } from 'node:fs';
import http from 'node:http';

import Provider from 'oidc-provider';

const [jwksPath, portArg = '0'] = process.argv.slice(2);
if (!jwksPath) {
  process.stderr.write('usage: node provider.mjs <private-jwks.json> [port]\n');
  process.exit(2);
}

const CLIENT_ID = 'edge-client';
const CLIENT_SECRET = 'edge-client-secret-for-tests-only';
const RESOURCE = 'https://orders.test';

function readKeys() {
  const { keys } = JSON.parse(readFileSync(jwksPath, 'utf8'));
  if (!Array.isArray(keys) || keys.length === 0) throw new Error('the JWKS file holds no keys');
  return keys;
}

function build(issuer, keys) {
  const signing = keys[0];
  return new Provider(issuer, {
    jwks: { keys },
    // The client's default ID token alg (RS256) must be one the keys can sign.
    clientDefaults: { id_token_signed_response_alg: signing.alg },
    clients: [
      {
        client_id: CLIENT_ID,
        client_secret: CLIENT_SECRET,
        grant_types: ['client_credentials'],
        redirect_uris: [],
        response_types: [],
        token_endpoint_auth_method: 'client_secret_basic',
        scope: 'orders:read orders:write',
      },
    ],
    scopes: ['orders:read', 'orders:write'],
    features: {
      devInteractions: { enabled: false },
      clientCredentials: { enabled: true },
      introspection: { enabled: false },
      revocation: { enabled: false },
      resourceIndicators: {
        enabled: true,
        defaultResource: () => RESOURCE,
        useGrantedResource: () => true,
        getResourceServerInfo: (_ctx, indicator) => {
          if (indicator !== RESOURCE) throw new Error(`unknown resource ${indicator}`);
          return {
            scope: 'orders:read orders:write',
            audience: RESOURCE,
            accessTokenTTL: 300,
            accessTokenFormat: 'jwt',
            jwt: { sign: { alg: signing.alg, kid: signing.kid } },
          };
        },
      },
    },
    formats: {
      customizers: {
        // Claims an IdP adds for its clients, for the edge's claim mapping.
        jwt: (_ctx, _token, jwt) => {
          jwt.payload.roles = ['service'];
          jwt.payload.tenant_id = 'acme';
        },
      },
    },
  });
}

let current = null;
const server = http.createServer((req, res) => current.callback()(req, res));
server.listen(Number(portArg), '127.0.0.1', () => {
  const { port } = server.address();
  const issuer = `http://127.0.0.1:${port}`;
  current = build(issuer, readKeys());
  process.on('SIGHUP', () => {
    try {
      const keys = readKeys();
      current = build(issuer, keys);
      process.stdout.write(`${JSON.stringify({ reloaded: keys.map((k) => k.kid) })}\n`);
    } catch (error) {
      process.stdout.write(`${JSON.stringify({ reload_failed: String(error) })}\n`);
    }
  });
  process.stdout.write(`${JSON.stringify({ url: issuer, pid: process.pid })}\n`);
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
