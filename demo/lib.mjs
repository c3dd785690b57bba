// What the demo backends (partner.mjs, myhealth.mjs, idp.mjs) share: their own signing
// keys, one-use client assertions, and the few HTTP helpers of a toy web app.

import { randomUUID } from "node:crypto";
import { createServer } from "node:http";
import { existsSync } from "node:fs";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { dirname } from "node:path";
import { SignJWT, calculateJwkThumbprint, exportJWK, generateKeyPair, importJWK } from "jose";

export const ALG = "ES256";

/** Loads the private JWK from `file`, creating it first if it does not exist. */
export async function loadOrCreateKey(file) {
  if (!existsSync(file)) {
    const { privateKey } = await generateKeyPair(ALG, { extractable: true });
    const jwk = await exportJWK(privateKey);
    jwk.alg = ALG;
    jwk.use = "sig";
    jwk.kid = await calculateJwkThumbprint(jwk);
    await mkdir(dirname(file), { recursive: true });
    await writeFile(file, JSON.stringify(jwk, null, 2) + "\n", { mode: 0o600 });
  }
  const jwk = JSON.parse(await readFile(file, "utf8"));
  const { d: _private, ...publicJwk } = jwk;
  return { kid: jwk.kid, privateKey: await importJWK(jwk, ALG), publicJwk };
}

/**
 * Runs a demo program's `command`: `keygen` (make its key once, print the public JWK
 * set) or `serve`.
 */
export async function main(program, command, keyFile, serve) {
  switch (command) {
    case "keygen": {
      const { publicJwk } = await loadOrCreateKey(keyFile);
      console.log(JSON.stringify({ keys: [publicJwk] }));
      break;
    }
    case "serve":
      await serve();
      break;
    default:
      console.error(`usage: node demo/${program} keygen|serve [options] (see the top of its file)`);
      process.exit(2);
  }
}

/** Unix seconds. */
export const now = () => Math.floor(Date.now() / 1000);

/**
 * A one-use `private_key_jwt` client assertion (RFC 7523 §2.2): `clientId`
 * authenticating to the authorization server whose issuer is `audience`.
 */
export function clientAssertion(key, clientId, audience) {
  const t = now();
  return new SignJWT({})
    .setProtectedHeader({ alg: ALG, typ: "JWT", kid: key.kid })
    .setIssuer(clientId)
    .setSubject(clientId)
    .setAudience(audience)
    .setJti(randomUUID())
    .setIssuedAt(t)
    .setExpirationTime(t + 60)
    .sign(key.privateKey);
}

/** POSTs a form to `url`; resolves to `{ status, body }` (body parsed as JSON, or null). */
export async function postForm(url, fields) {
  const res = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams(fields),
  });
  const text = await res.text();
  let body = null;
  try {
    body = JSON.parse(text);
  } catch {
    // not JSON
  }
  return { status: res.status, body };
}

export function send(res, status, body, headers = {}) {
  res.writeHead(status, { "cache-control": "no-store", ...headers });
  res.end(body);
}

export function json(res, status, value, headers = {}) {
  send(res, status, JSON.stringify(value), { "content-type": "application/json", ...headers });
}

export function cookies(req) {
  return Object.fromEntries(
    (req.headers.cookie ?? "").split(";").map((c) => c.trim().split("=")).filter(([k]) => k),
  );
}

/** The request body as text, refused beyond `limit` bytes. */
export async function readBody(req, limit = 16 * 1024) {
  let body = "";
  for await (const chunk of req) {
    body += chunk;
    if (body.length > limit) throw new Error("request body too large");
  }
  return body;
}

export async function readForm(req) {
  return new URLSearchParams(await readBody(req, 4096));
}

/** A refusal a demo backend answers as `{error, error_description}` JSON. */
export class HttpError extends Error {
  constructor(status, error, description, headers = {}) {
    super(description);
    this.status = status;
    this.error = error;
    this.headers = headers;
  }
}

/**
 * Serves `handle(req, res, url)` on `host:port` as `origin` until SIGTERM or SIGINT.
 * An `HttpError` it throws is answered as such; anything else is logged, as 500.
 */
export function listen(name, { origin, port, host }, handle) {
  const server = createServer(async (req, res) => {
    const url = new URL(req.url, origin);
    try {
      await handle(req, res, url);
    } catch (e) {
      if (e instanceof HttpError) {
        return json(res, e.status, { error: e.error, error_description: e.message }, e.headers);
      }
      console.error(`${name}: ${req.method} ${url.pathname}: ${e.message}`);
      if (!res.headersSent) send(res, 500, "internal error");
    }
  });
  server.listen(Number(port), host, () => console.log(`${name}: ${origin} (listening on ${host}:${port})`));
  const stop = () => server.close(() => process.exit(0));
  process.on("SIGTERM", stop);
  process.on("SIGINT", stop);
}
