// RFC 8785 (JCS) canonical JSON, restricted to the values our trust-log leaves use; everything else throws.

/**
 * Serialises `value` as RFC 8785 canonical JSON. trust-log.md: "JCS is RFC 8785 canonical JSON (integers
 * only, ASCII keys)". Restricting the input keeps the canonical form trivially correct: with safe integers
 * only, RFC 8785's number formatting (ECMAScript Number::toString) is just the decimal digits, and with
 * ASCII keys, "sorted by UTF-16 code units" is plain `Array.prototype.sort`.
 *
 * Refused (throws): floats, -0, NaN/±Infinity, integers beyond ±(2^53−1), undefined (as a value or array
 * item), bigint, symbols, functions, non-plain objects (Date, Map, class instances, Uint8Array…),
 * symbol-keyed properties, non-ASCII or control-character keys, strings with lone surrogates (RFC 8785
 * builds on I-JSON, which forbids them, and they cannot be encoded as UTF-8), and cycles.
 */
export function canonicalJson(value: unknown): string {
  return serialise(value, '$', new Set());
}

function serialise(value: unknown, where: string, stack: Set<object>): string {
  if (value === null) return 'null';
  switch (typeof value) {
    case 'boolean':
      return value ? 'true' : 'false';
    case 'string':
      // RFC 8785 §3.2.2.2 adopts ECMAScript JSON.stringify string escaping verbatim.
      if (/\p{Cs}/u.test(value)) throw new Error(`canonicalJson: lone surrogate in string at ${where}`);
      return JSON.stringify(value);
    case 'number':
      if (!Number.isSafeInteger(value)) {
        throw new Error(`canonicalJson: only safe integers are allowed, got ${String(value)} at ${where}`);
      }
      if (Object.is(value, -0)) throw new Error(`canonicalJson: -0 is not allowed at ${where}`);
      return String(value);
    case 'object':
      break;
    default:
      throw new Error(`canonicalJson: ${typeof value} is not allowed at ${where}`);
  }

  const obj = value as object;
  if (stack.has(obj)) throw new Error(`canonicalJson: cycle at ${where}`);
  stack.add(obj);
  try {
    if (Array.isArray(obj)) {
      const parts: string[] = [];
      for (let i = 0; i < obj.length; i++) {
        // Index access (not for…of) so holes in sparse arrays surface as undefined and are refused.
        const item: unknown = obj[i];
        if (item === undefined) throw new Error(`canonicalJson: undefined at ${where}[${i}]`);
        parts.push(serialise(item, `${where}[${i}]`, stack));
      }
      return `[${parts.join(',')}]`;
    }
    const proto: unknown = Object.getPrototypeOf(obj);
    if (proto !== Object.prototype && proto !== null) {
      throw new Error(`canonicalJson: only plain objects are allowed at ${where}`);
    }
    if (Object.getOwnPropertySymbols(obj).length > 0) {
      throw new Error(`canonicalJson: symbol keys are not allowed at ${where}`);
    }
    const record = obj as Record<string, unknown>;
    // Printable ASCII only: our leaf keys are identifiers, and ASCII makes UTF-16 order = byte order.
    const keys = Object.keys(record).sort();
    const parts: string[] = [];
    for (const key of keys) {
      if (!/^[\x20-\x7e]*$/.test(key)) throw new Error(`canonicalJson: non-ASCII key ${JSON.stringify(key)}`);
      const v = record[key];
      if (v === undefined) throw new Error(`canonicalJson: undefined value at ${where}.${key}`);
      parts.push(`${JSON.stringify(key)}:${serialise(v, `${where}.${key}`, stack)}`);
    }
    return `{${parts.join(',')}}`;
  } finally {
    stack.delete(obj);
  }
}
