// A brand-new Workers deployment (no Node instance to `densho export` from): fresh platform keys and HMAC secrets
// as a JSON file for `npx wrangler secret bulk FILE` (0600; refuses to overwrite). Set them ONCE, before the first
// request creates the logs: the checkpoint key is the logs' identity and the HMAC secrets key every stored digest.
// Usage: npx tsx scripts/cf-new-secrets.ts FILE
import { existsSync, writeFileSync } from 'node:fs';
import { secretsFromPlatformKeys } from '../src/services/platform-secrets.ts';
import { freshPlatformKeys } from './cf-dev-vars.ts';

const file = process.argv[2];
if (!file) {
  console.error('usage: npx tsx scripts/cf-new-secrets.ts FILE   (then: npx wrangler secret bulk FILE)');
  process.exit(2);
}
if (existsSync(file)) {
  console.error(
    `${file} exists: not overwriting keys that may already sign a log — choose another file name`,
  );
  process.exit(1);
}
writeFileSync(file, `${JSON.stringify(secretsFromPlatformKeys(await freshPlatformKeys()), null, 2)}\n`, {
  mode: 0o600,
});
console.log(
  `${file}: new platform keys (0600). Next: npx wrangler secret bulk ${file}; then keep a copy offline and shred it.`,
);
