/** The request context: condition keys and their values, looked up case-insensitively. */

export type ContextValue = string | readonly string[];

export class Context {
  private readonly values = new Map<string, ContextValue>();

  constructor(entries: Record<string, ContextValue> = {}) {
    for (const [k, v] of Object.entries(entries)) this.values.set(k.toLowerCase(), v);
  }

  get(key: string): ContextValue | undefined {
    return this.values.get(key.toLowerCase());
  }

  has(key: string): boolean {
    return this.values.has(key.toLowerCase());
  }
}
