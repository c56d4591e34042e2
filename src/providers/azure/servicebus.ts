/**
 * Service Bus over HTTPS → DataActions: sending is `messages/send/action`; receiving, peeking with
 * a lock, abandoning, completing and renewing a lock are `messages/receive/action`
 * (https://learn.microsoft.com/azure/role-based-access-control/permissions/integration#microsoftservicebus,
 * https://learn.microsoft.com/azure/service-bus-messaging/service-bus-sas#rights-required-for-service-bus-operations:
 * Send and Listen). Managing queues, topics and subscriptions over this endpoint needs the Manage
 * right, for which Microsoft names no RBAC operation: reported, not guessed. Pure.
 */
import type { ObservedCall } from '../../model/index.js';
import { type AzureResolution, decode, op } from './operation.js';

const MESSAGES = 'Microsoft.ServiceBus/namespaces/messages';

export function resolveServiceBus(call: ObservedCall, namespace: string): AzureResolution {
  const segs = call.path.split('/').filter(Boolean).map(decode);
  const where = `${call.method} ${call.host}${call.path}`;
  const unresolved = (detail: string): AzureResolution => ({
    kind: 'unresolved',
    reason: 'unknown-operation',
    detail: `${where}: ${detail}`,
    service: 'Microsoft.ServiceBus',
    operation: null,
  });
  if (segs[0]?.toLowerCase() === '$servicebus' && segs[1]?.toLowerCase() === 'websocket')
    return unresolved(
      'AMQP over WebSockets: its operations travel inside AMQP frames, which leastpriv does not read (send and receive over HTTPS to have them mapped)',
    );
  const at = segs.findIndex((s) => s.toLowerCase() === 'messages');
  if (at < 1)
    return unresolved(
      'managing an entity over the namespace endpoint needs the Manage right, which Microsoft maps to no single RBAC operation (the Azure Service Bus Data Owner role grants it)',
    );
  const send = call.method === 'POST' && at === segs.length - 1;
  return {
    kind: 'resolved',
    operation: op({
      operation: `${MESSAGES}/${send ? 'send' : 'receive'}/action`,
      data: true,
      namespace: 'Microsoft.ServiceBus',
      resource: `/subscriptions/*/resourceGroups/*/providers/Microsoft.ServiceBus/namespaces/${namespace}`,
      apiVersion: new URLSearchParams(call.query).get('api-version'),
      approximate:
        'the namespace is named by the host; its subscription and resource group are not: grant it on the namespace',
    }),
  };
}
