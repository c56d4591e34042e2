/**
 * What the Azure resolvers produce: an RBAC operation with the resource it acted on, or why a
 * request has none; and the small helpers every resolver shares. Pure.
 */
import type { CloudUnresolved, ObservedCall } from '../../model/index.js';

export interface AzureOperation {
  provider: 'azure';
  /** `Microsoft.Storage/storageAccounts/write`. */
  operation: string;
  /** A data-plane operation: a DataAction in a role definition. */
  data: boolean;
  /** A Cosmos DB data-plane operation: a DataAction of Cosmos DB's own role definitions. */
  cosmos?: boolean;
  /** The resource provider namespace (`Microsoft.Storage`), the service in the calls log. */
  namespace: string;
  subscription: string | null;
  resourceGroup: string | null;
  /** The ARM id the call acted on (or the account or vault, for a data-plane call). */
  resource: string | null;
  apiVersion: string | null;
  /** No permission is needed (a token request, polling a long-running operation). */
  permissionless?: string;
  /** Why part of the scope is unknown (a data-plane host names its account, not its resource group). */
  approximate?: string;
  /** Signed with the storage account's key (SharedKey): RBAC was not what authorized it. */
  signedWithKey?: boolean;
  /** A deployment's inline template: the resource types it creates (`Microsoft.Storage/storageAccounts`). */
  templateTypes?: string[];
  /** The namespace's known paths do not include this one: the derived name may not exist. */
  unverified?: boolean;
  /** Further operations of the same kind the request needs (an upsert: add and update; a batch: each request's). */
  also?: string[];
  /** Where the mapping comes from when it is not the page the resolver cites (a documented analogue). */
  basis?: string;
}

export type AzureResolution = { kind: 'resolved'; operation: AzureOperation } | CloudUnresolved;

/** The RBAC verb of an HTTP method on a resource (POST is an action, named by the path). */
export const VERBS: Record<string, string> = {
  GET: 'read',
  HEAD: 'read',
  PUT: 'write',
  PATCH: 'write',
  DELETE: 'delete',
};
export const decode = (s: string): string => {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
};

export function op(
  partial: Partial<AzureOperation> & { operation: string; namespace: string },
): AzureOperation {
  return {
    provider: 'azure',
    data: false,
    subscription: null,
    resourceGroup: null,
    resource: null,
    apiVersion: null,
    ...partial,
  };
}

/** A request of a known data plane that no rule maps: reported with the request, never dropped. */
export function unmapped(call: ObservedCall, service: string, namespace: string): AzureResolution {
  return {
    kind: 'unresolved',
    reason: 'unknown-operation',
    detail: `${call.method} ${call.host}${call.path}${call.query ? `?${call.query}` : ''}: a ${service} request leastpriv does not map yet`,
    service: namespace,
    operation: null,
  };
}
