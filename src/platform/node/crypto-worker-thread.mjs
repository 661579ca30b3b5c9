// Crypto worker thread: Ed25519/ES256 signature checks for incoming surety JWS and receipt signatures, off the
// main thread so they run on the second core. Receives arrays of jobs, answers with arrays of results.
import { createPrivateKey, createPublicKey, sign, verify } from 'node:crypto';
import { parentPort, workerData } from 'node:worker_threads';

const receiptKey = createPrivateKey({ key: workerData.receiptJwk, format: 'jwk' });
const publicKeys = new Map();

function publicKey(jwkText) {
  let key = publicKeys.get(jwkText);
  if (!key) {
    key = createPublicKey({ key: JSON.parse(jwkText), format: 'jwk' });
    if (publicKeys.size > 10000) publicKeys.clear();
    publicKeys.set(jwkText, key);
  }
  return key;
}

parentPort.on('message', (jobs) => {
  const results = new Array(jobs.length);
  for (let i = 0; i < jobs.length; i++) {
    const job = jobs[i];
    try {
      if (job.t === 'v') {
        const key = publicKey(job.jwk);
        results[i] =
          job.alg === 'EdDSA'
            ? verify(null, job.data, key, job.sig)
            : verify('sha256', job.data, { key, dsaEncoding: 'ieee-p1363' }, job.sig);
      } else {
        results[i] = new Uint8Array(sign(null, job.data, receiptKey));
      }
    } catch {
      results[i] = job.t === 'v' ? false : null;
    }
  }
  parentPort.postMessage(results);
});
