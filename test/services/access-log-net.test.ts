// The access log's remembered `net` (HMAC of the client address) must always equal a fresh computation: a stale
// or mixed-up entry would put another client's address into the evidence.
import { describe, expect, it } from 'vitest';
import { memoizedNetOf, netOf } from '../../src/services/access-log.ts';

const secret = new Uint8Array(32).map((_, i) => i + 1);

describe('memoizedNetOf', () => {
  it('answers exactly what netOf answers, for repeated, new, missing and overflowing addresses', () => {
    const net = memoizedNetOf(secret, 8);
    const ips = Array.from({ length: 30 }, (_, i) => `192.0.2.${i}`);
    // Three passes over more addresses than the memo holds: hits, misses and the drop-when-full all happen.
    for (let pass = 0; pass < 3; pass++) {
      for (const ip of ips) expect(net(ip)).toBe(netOf(secret, ip));
      expect(net(ips[0])).toBe(netOf(secret, ips[0]));
    }
    expect(net(null)).toBe(netOf(secret, null));
    expect(net(undefined)).toBe(netOf(secret, null));
    expect(net('::1')).toBe(netOf(secret, '::1'));
  });

  it('keys by address and secret: different addresses and different secrets never share a value', () => {
    const a = memoizedNetOf(secret);
    const b = memoizedNetOf(new Uint8Array(32).fill(9));
    expect(a('192.0.2.1')).not.toBe(a('192.0.2.2'));
    expect(a('192.0.2.1')).not.toBe(b('192.0.2.1'));
    expect(a('192.0.2.1')).toBe(a('192.0.2.1'));
  });
});
