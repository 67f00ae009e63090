// Encrypted passports with a third-party JOSE library, for tests/e2e/test_node_jwe.py.
//
//   node jwe.mjs encrypt   < {"jwk": public JWK (with kid), "alg": str, "enc": str, "plaintext": str}
//       Prints the compact JWE jose's CompactEncrypt makes, protected header
//       {alg, enc, kid, cty: "JWT", typ: "passport+jwt"}.
//
//   node jwe.mjs decrypt   < {"jwk": private JWK, "algs": [str], "encs": [str], "token": str}
//       Prints {"plaintext": str, "header": {...}} and exits 0, or prints jose's error code and
//       exits 1.
//
// Keys and tokens come on stdin, never in a process list. Any other failure exits 2.
import { webcrypto } from "node:crypto";

import { CompactEncrypt, compactDecrypt, importJWK } from "jose";

globalThis.crypto ??= webcrypto;

async function readStdin() {
  const chunks = [];
  for await (const chunk of process.stdin) {
    chunks.push(chunk);
  }
  return JSON.parse(Buffer.concat(chunks).toString("utf8"));
}

async function encrypt(spec) {
  const key = await importJWK(spec.jwk, spec.alg);
  const token = await new CompactEncrypt(new TextEncoder().encode(spec.plaintext))
    .setProtectedHeader({
      alg: spec.alg,
      enc: spec.enc,
      kid: spec.jwk.kid,
      cty: "JWT",
      typ: "passport+jwt",
    })
    .encrypt(key);
  process.stdout.write(token + "\n");
  return 0;
}

async function decrypt(spec) {
  const key = await importJWK(spec.jwk, spec.algs[0]);
  try {
    const { plaintext, protectedHeader } = await compactDecrypt(spec.token, key, {
      keyManagementAlgorithms: spec.algs,
      contentEncryptionAlgorithms: spec.encs,
    });
    const text = new TextDecoder().decode(plaintext);
    process.stdout.write(JSON.stringify({ plaintext: text, header: protectedHeader }) + "\n");
    return 0;
  } catch (error) {
    if (typeof error?.code !== "string" || !error.code.startsWith("ERR_")) {
      throw error;
    }
    process.stdout.write(error.code + "\n");
    return 1;
  }
}

const [command] = process.argv.slice(2);
const commands = { encrypt, decrypt };
try {
  if (!(command in commands)) {
    throw new Error(`unknown command ${command}`);
  }
  process.exitCode = await commands[command](await readStdin());
} catch (error) {
  process.stderr.write(String(error?.stack ?? error) + "\n");
  process.exitCode = 2;
}
