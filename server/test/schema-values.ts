// A value a route's JSON schema accepts, as far as a simple walk can tell: enough for a request to get past validation
// into the handler. Shared by the route-table tests (hostile input, cross-customer isolation).
export type Schema = Record<string, any>;

/** Strings tried against a schema's pattern, first match wins (ids, codes, dates, a credit code, a phone, an SMS code). */
const SAMPLES = ['1', 'C001', '2026-11-23', '2026-11', '2026', 'abc', 'a1', 'zh-CN', 'A1B2C3D4', '91320500MA1XYZ1234', '2026-11-23T08:00:00.000Z', '13800138000', '123456'];

/** A value the schema accepts; date-times are tomorrow's, so an expiry or deadline in the future is valid. */
export function validValue(s: Schema | undefined, depth = 0): unknown {
  if (!s || depth > 8) return 'a';
  if ('const' in s) return s.const;
  if (s.default !== undefined) return s.default;
  if (Array.isArray(s.enum)) return s.enum[0];
  if (Array.isArray(s.examples) && s.examples.length) return s.examples[0];
  for (const k of ['anyOf', 'oneOf'] as const) if (Array.isArray(s[k])) return validValue(s[k].find((x: Schema) => x.type !== 'null') ?? s[k][0], depth + 1);
  if (Array.isArray(s.allOf)) return Object.assign({}, ...s.allOf.map((x: Schema) => validValue(x, depth + 1)));
  const type = Array.isArray(s.type) ? s.type.find((x: string) => x !== 'null') : s.type;
  switch (type) {
    case 'object': {
      const out: Record<string, unknown> = {};
      for (const [k, v] of Object.entries((s.properties ?? {}) as Record<string, Schema>)) out[k] = validValue(v, depth + 1);
      return out;
    }
    case 'array':
      return Array.from({ length: Math.max(1, s.minItems ?? 1) }, () => validValue(s.items, depth + 1));
    case 'integer':
    case 'number':
      return s.minimum ?? (s.exclusiveMinimum !== undefined ? s.exclusiveMinimum + 1 : 1);
    case 'boolean':
      return true;
    case 'null':
      return null;
    case 'string': {
      if (s.format === 'date') return '2026-11-23';
      if (s.format === 'date-time') return new Date(Date.now() + 86400_000).toISOString();
      if (s.format === 'email') return 'buyer@example.com';
      if (s.format === 'uri') return 'https://example.com/';
      const min = s.minLength ?? 0;
      if (s.pattern) {
        const re = new RegExp(s.pattern, 'u');
        const hit = SAMPLES.find((x) => re.test(x) && x.length >= min && x.length <= (s.maxLength ?? Infinity));
        if (hit) return hit;
      }
      return 'a'.repeat(Math.max(1, min));
    }
    default:
      return 'a';
  }
}
