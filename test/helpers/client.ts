/**
 * Opens the official Aerospike client for a test and registers it with the cleanup net
 * (helpers/cleanup.ts): an open client keeps the Node event loop alive, so one left open by a
 * failing test would keep its file, and `npm test`, from ending. Tests still close their clients;
 * `client.close()` unregisters it.
 */
import Aerospike from 'aerospike';
import { trackResource } from './cleanup.js';

type ConnectConfig = Parameters<typeof Aerospike.connect>[0];
type Client = Awaited<ReturnType<typeof Aerospike.connect>>;

/** `Aerospike.connect(config)`, registered for cleanup. */
export async function connectClient(config: ConnectConfig): Promise<Client> {
  const client = await Aerospike.connect(config);
  const ports = ((config as { hosts?: { port?: number }[] } | undefined)?.hosts ?? []).map((h) => h.port).join(',');
  const untrack = trackResource(`aerospike client of 127.0.0.1:${ports}`, () => client.close());
  const close = client.close.bind(client);
  client.close = ((...args: Parameters<typeof close>) => {
    untrack();
    return close(...args);
  }) as typeof client.close;
  return client;
}
