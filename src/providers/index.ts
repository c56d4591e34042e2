/**
 * The clouds leastpriv captures, registered in one place: which domains each one's APIs live
 * under. The proxy intercepts exactly these domains and the CA's Name Constraints are built from
 * the same list: one list, one truth.
 */
export type ProviderId = 'aws' | 'gcp' | 'azure';

export interface Provider {
  id: ProviderId;
  name: string;
  /** API domains: a host is the provider's when it is one of them or below one. */
  domains: readonly string[];
}

export const PROVIDERS: readonly Provider[] = [
  { id: 'aws', name: 'AWS', domains: ['amazonaws.com', 'amazonaws.com.cn', 'api.aws'] },
  { id: 'gcp', name: 'Google Cloud', domains: ['googleapis.com'] },
  {
    id: 'azure',
    name: 'Azure',
    // Resource Manager, the Entra ID token endpoints, the Storage, Key Vault, Service Bus and Cosmos DB data planes.
    domains: [
      'management.azure.com',
      'login.microsoftonline.com',
      'core.windows.net',
      'vault.azure.net',
      'servicebus.windows.net',
      'documents.azure.com',
    ],
  },
];

/** Every intercepted domain, in registry order. */
export const INTERCEPTED_DOMAINS: readonly string[] = PROVIDERS.flatMap((p) => p.domains);

/** The provider whose API a host (no port) belongs to, or null. */
export function providerOfHost(host: string): ProviderId | null {
  const h = host.toLowerCase().replace(/\.$/, '');
  for (const p of PROVIDERS) {
    for (const d of p.domains) if (h === d || h.endsWith(`.${d}`)) return p.id;
  }
  return null;
}
