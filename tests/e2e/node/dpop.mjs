// A third-party DPoP client (RFC 9449) in another ecosystem, for tests/e2e/test_node_dpop.py.
//
//   node dpop.mjs SPEC_JSON   < {"jwk": private JWK, "passport": str}
//       SPEC_JSON: {"alg": "ES256" | "EdDSA" | "PS256", "htm": str, "htu": str}
//       Signs a DPoP proof with jose's SignJWT and the holder's private key: header typ
//       "dpop+jwt", alg, the public jwk (as jose exports it); claims jti, htm, htu, iat and
//       ath (base64url SHA-256 of the passport). Prints {"proof": ..., "jkt": jose's RFC 7638
//       thumbprint of the public key}. Key and passport come on stdin, never in a process list.
//
// Any failure exits 2.
import { createHash, createPublicKey, randomUUID, webcrypto } from "node:crypto";

import { calculateJwkThumbprint, exportJWK, importJWK, SignJWT } from "jose";

globalThis.crypto ??= webcrypto;

async function readStdin() {
  const chunks = [];
  for await (const chunk of process.stdin) {
    chunks.push(chunk);
  }
  return JSON.parse(Buffer.concat(chunks).toString("utf8"));
}

async function main() {
  const spec = JSON.parse(process.argv[2]);
  const { jwk: privateJwk, passport } = await readStdin();
  const privateKey = await importJWK(privateJwk, spec.alg, { extractable: true });
  const jwk = await exportJWK(createPublicKey(privateKey));
  const ath = createHash("sha256").update(passport, "ascii").digest("base64url");
  const proof = await new SignJWT({ htm: spec.htm, htu: spec.htu, ath })
    .setProtectedHeader({ alg: spec.alg, typ: "dpop+jwt", jwk })
    .setJti(randomUUID())
    .setIssuedAt()
    .sign(privateKey);
  const jkt = await calculateJwkThumbprint(jwk, "sha256");
  process.stdout.write(JSON.stringify({ proof, jkt }) + "\n");
}

main().catch((error) => {
  process.stderr.write(String(error) + "\n");
  process.exit(2);
});
