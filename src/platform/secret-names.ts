// The names of the platform's keys and secrets as Workers secrets (`wrangler secret put NAME`): one contract shared
// by `densho export` (which writes their values from a Node key directory) and the Worker entry (which reads them
// from `env`). Runtime-neutral and import-free on purpose, so both sides can depend on it without pulling anything in.

/** Every Workers secret the platform needs, and what its value is. Values are strings (Workers secrets are text). */
export const SECRET_NAMES = {
  /** Private Ed25519 JWK (JSON) that signs the checkpoints of both logs — the logs' identity; never rotated. */
  noteKey: 'DENSHO_NOTE_KEY_JWK',
  /**
   * JWKS (JSON `{"keys":[…]}`) of the receipt keys: keys[0] is the CURRENT signing key (private, with `d`); the rest
   * are the public halves of earlier keys, newest first, kept so every receipt ever issued still verifies.
   */
  receiptKeys: 'DENSHO_RECEIPT_KEYS_JWKS',
  /** Base64 of 32 random bytes: HMAC key of stored 認証キー digests. Changing it invalidates every stored key. */
  authKeySecret: 'DENSHO_AUTHKEY_SECRET',
  /** Base64 of 32 random bytes: HMAC key of client IPs in access leaves (`net`). */
  netSecret: 'DENSHO_NET_SECRET',
  /** Base64 of 32 random bytes: HMAC key for session/CSRF material. */
  sessionSecret: 'DENSHO_SESSION_SECRET',
} as const;

export type SecretName = (typeof SECRET_NAMES)[keyof typeof SECRET_NAMES];

/** In the order `densho export` prints the `wrangler secret put` commands. */
export const ALL_SECRET_NAMES: readonly SecretName[] = Object.values(SECRET_NAMES);
