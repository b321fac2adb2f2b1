/** Info commands of the secondary index catalog (protocol reference §2.4, §2.8). */
import type { InfoHandler } from './info-commands.js';
import type { InfoCommand } from './info-protocol.js';

/** The text after the command's `:` (the catalog parses it as Aerospike's info parameter reader does). */
function paramsOf(cmd: InfoCommand): string {
  const colon = cmd.text.indexOf(':');
  return colon < 0 ? '' : cmd.text.slice(colon + 1);
}

export function registerSindexInfo(registry: Map<string, InfoHandler>): void {
  registry.set('sindex-create', (c, { node }) => node.sindexes.create(paramsOf(c)));
  registry.set('sindex-delete', (c, { node }) => node.sindexes.delete(paramsOf(c)));
  registry.set('sindex-list', (c, { node }) => node.sindexes.list(paramsOf(c)));
  registry.set('sindex-stat', (c, { node }) => node.sindexes.stat(paramsOf(c)));
  registry.set('sindex-exists', (c, { node }) => node.sindexes.exists(paramsOf(c)));
  registry.set('sindex', (c, { node }) => node.sindexes.legacy(c.args));
}
