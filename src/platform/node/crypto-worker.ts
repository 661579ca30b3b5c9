// Node crypto offload: a worker thread that verifies surety JWS signatures and signs receipts, so the main
// thread (HTTP, validation, the single log writer) keeps one core and the crypto gets the other.
// Jobs queued during one event-loop turn travel in one message, which amortises the postMessage cost.
import { Worker } from 'node:worker_threads';
import type { RawSigner, SignatureVerifier } from '../ports.ts';
import { compactBytes } from './thread-message.ts';

type Job =
  | { t: 'v'; alg: 'EdDSA' | 'ES256'; jwk: string; data: Uint8Array; sig: Uint8Array }
  | { t: 's'; data: Uint8Array };

interface Waiter {
  resolve: (v: unknown) => void;
  reject: (e: unknown) => void;
}

export class CryptoWorker implements SignatureVerifier {
  private worker: Worker;
  private queue: Job[] = [];
  private queueWaiters: Waiter[] = [];
  /** Batches sent and not yet answered, in order (the worker answers in order). */
  private inFlight: Waiter[][] = [];
  private scheduled = false;
  private closed = false;

  constructor(private readonly receiptJwk: JsonWebKey) {
    this.worker = this.spawn();
  }

  verify(
    alg: 'EdDSA' | 'ES256',
    publicJwk: JsonWebKey,
    signingInput: Uint8Array,
    signature: Uint8Array,
  ): Promise<boolean> {
    return this.enqueue({
      t: 'v',
      alg,
      jwk: JSON.stringify(publicJwk),
      data: compactBytes(signingInput),
      sig: compactBytes(signature),
    }) as Promise<boolean>;
  }

  /** The receipt signer (Ed25519 with the current receipt key). */
  readonly signReceipt: RawSigner = async (message) => {
    const sig = (await this.enqueue({ t: 's', data: message })) as Uint8Array | null;
    if (!sig) throw new Error('receipt signing failed in the crypto worker');
    return sig;
  };

  async close(): Promise<void> {
    this.closed = true;
    await this.worker.terminate();
  }

  private spawn(): Worker {
    const w = new Worker(new URL('./crypto-worker-thread.mjs', import.meta.url), {
      workerData: { receiptJwk: this.receiptJwk },
    });
    w.unref(); // never keeps the process alive on its own
    w.on('message', (results: unknown[]) => {
      const waiters = this.inFlight.shift();
      if (!waiters) return;
      for (let i = 0; i < waiters.length; i++) waiters[i]!.resolve(results[i]);
    });
    w.on('error', (err) => this.failAll(err));
    w.on('exit', (code) => {
      if (this.closed) return;
      this.failAll(new Error(`crypto worker exited with code ${code}`));
      this.worker = this.spawn(); // a fresh worker for whatever comes next
    });
    return w;
  }

  private failAll(err: unknown): void {
    for (const batch of this.inFlight.splice(0)) for (const w of batch) w.reject(err);
  }

  private enqueue(job: Job): Promise<unknown> {
    if (this.closed) return Promise.reject(new Error('crypto worker is closed'));
    return new Promise((resolve, reject) => {
      this.queue.push(job);
      this.queueWaiters.push({ resolve, reject });
      if (!this.scheduled) {
        this.scheduled = true;
        setImmediate(() => this.send());
      }
    });
  }

  private send(): void {
    this.scheduled = false;
    if (this.queue.length === 0) return;
    const jobs = this.queue;
    const waiters = this.queueWaiters;
    this.queue = [];
    this.queueWaiters = [];
    this.inFlight.push(waiters);
    this.worker.postMessage(jobs);
  }
}
