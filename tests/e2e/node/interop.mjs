// A third-party JWT client from another ecosystem, for tests/e2e/test_node_interop.py.
//
//   node interop.mjs verify JWKS_URL ISSUER AUDIENCE [TYP [REQUIRED]]   < token
//       Verifies the token read from stdin with jose's createRemoteJWKSet + jwtVerify, requiring
//       typ TYP (default "passport+jwt") and the comma-separated REQUIRED claims. Prints the
//       payload as JSON and exits 0, or prints jose's error code and exits 1. The token is read
//       from stdin so that it never shows in a process list.
//
//   node interop.mjs sign SPEC_JSON
//       SPEC_JSON: {"alg": "EdDSA" | "Ed25519" | "ES256", "kid": str, "typ": str,
//                   "claims": {...}, "ttl": seconds}
//       Generates a key pair, signs a JWT with iat = now and exp = now + ttl, and prints
//       {"token": ..., "jwk": the public JWK with kid and alg}.
//
// Any other failure (bad arguments, a bug here) exits 2, so a test cannot mistake it for a
// rejected token.
import { webcrypto } from "node:crypto";

import { createRemoteJWKSet, exportJWK, generateKeyPair, jwtVerify, SignJWT } from "jose";

// Node 18 (Debian's nodejs, the CI fallback) has WebCrypto only in node:crypto; jose needs the
// global, which Node 20 and later define.
globalThis.crypto ??= webcrypto;

const PASSPORT_TYP = "passport+jwt";

async function readStdin() {
  const chunks = [];
  for await (const chunk of process.stdin) {
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString("ascii").trim();
}

async function verify(jwksUrl, issuer, audience, typ = PASSPORT_TYP, required = "") {
  const token = await readStdin();
  const jwks = createRemoteJWKSet(new URL(jwksUrl), { timeoutDuration: 10000 });
  const requiredClaims = required ? required.split(",") : [];
  try {
    const { payload } = await jwtVerify(token, jwks, { issuer, audience, typ, requiredClaims });
    process.stdout.write(JSON.stringify(payload) + "\n");
    return 0;
  } catch (error) {
    if (typeof error?.code !== "string" || !error.code.startsWith("ERR_")) {
      throw error;
    }
    process.stdout.write(error.code + "\n");
    return 1;
  }
}

async function sign(specJson) {
  const spec = JSON.parse(specJson);
  const { publicKey, privateKey } = await generateKeyPair(spec.alg);
  const jwk = { ...(await exportJWK(publicKey)), kid: spec.kid, alg: spec.alg, use: "sig" };
  const token = await new SignJWT(spec.claims)
    .setProtectedHeader({ alg: spec.alg, kid: spec.kid, typ: spec.typ })
    .setIssuedAt()
    .setExpirationTime(Math.floor(Date.now() / 1000) + spec.ttl)
    .sign(privateKey);
  process.stdout.write(JSON.stringify({ token, jwk }) + "\n");
  return 0;
}

async function main(argv) {
  const [command, ...args] = argv;
  if (command === "verify" && args.length >= 3 && args.length <= 5) {
    return verify(...args);
  }
  if (command === "sign" && args.length === 1) {
    return sign(args[0]);
  }
  process.stderr.write("usage: interop.mjs verify JWKS_URL ISSUER AUDIENCE [TYP [REQUIRED]] | sign SPEC_JSON\n");
  return 2;
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error) => {
    process.stderr.write(`interop.mjs failed: ${error?.name}: ${error?.message}\n`);
    process.exitCode = 2;
  },
);
