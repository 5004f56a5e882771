/**
 * `record[key]` for a key that comes from a message: only the record's own entries count, so
 * a scope or model named `__proto__`, `constructor` or `toString` is an unknown key, not a
 * property inherited from Object.prototype.
 */
export function ownValue<T>(record: Readonly<Record<string, T>> | undefined, key: string): T | undefined {
  return record !== undefined && Object.prototype.hasOwnProperty.call(record, key) ? record[key] : undefined;
}
