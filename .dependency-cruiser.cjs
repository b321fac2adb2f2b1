/**
 * Architecture rules, checked by dependency-cruiser in `npm test` (`npm run architecture`):
 * data flows one way, socket → frame → typed request → transaction → namespace → partition →
 * index/storage, and the answer flows back. A folder of src/ may import folders below it in LAYERS,
 * never one above it, and there are no import cycles (type-only imports count: they are
 * dependencies of the design even when the compiler erases them).
 *
 * Violations that existed when a rule was written and that someone is fixing are listed in
 * .dependency-cruiser-known-violations.json (the known-violations baseline); a new violation fails
 * the run. When you fix one, regenerate the baseline (`npm run architecture:baseline`) so it only shrinks.
 */

/**
 * src/ folders from the top of the request path to the bottom. A folder may import any folder on a
 * lower line and the folders on its own line; importing a folder on a higher line is an upward
 * import. Each line is a layer:
 */
const LAYERS = [
  ['cli'], //           the strato command: parses flags, starts a node
  ['server'], //        the service port, connections, frames → requests, info commands, the node
  ['security'], //      access control: users, roles, sessions, the admin protocol, one check per request kind
  ['batch', 'scan', 'query'], // multi-record requests, each row or record through a transaction
  ['transaction'], //   single-record transactions: read, write/operate/delete, UDF apply, filters
  ['udf'], //           the Lua UDF registry and runtime
  ['sindex'], //        secondary indexes: definitions, entries per partition, kept by record-life changes
  ['namespace'], //     namespaces own their records' life: sets, NSUP, eviction, truncation
  ['cluster'], //       membership, partition map, migrations (the partition layer)
  ['storage'], //       storage engines (memory, device)
  ['index'], //         the primary index
  ['expressions'], //   filter expressions and expression operations (over the value engines)
  ['cdt'], //           list and map operations
  ['values'], //        bin values ↔ particles, where that needs GeoJSON cells or HLL checks
  ['hll', 'geo'], //    HyperLogLog (built on the bit engine), GeoJSON and S2 cells
  ['bits'], //          bitwise operations on blobs
  ['protocol'], //      the wire vocabulary: frames, messages, msgpack, particle types, result codes
  ['config'], //        aerospike.conf parsing and the config model
  ['util'], //          clock interface, logging, digests, small helpers
];

/** The tools are clients of a node: they share the wire vocabulary, never the server's code. */
const CLIENT_SIDE = ['tools', 'client'];
const SERVER_SIDE = ['cli', 'server', 'batch', 'scan', 'query', 'transaction', 'udf', 'sindex', 'namespace', 'cluster', 'storage', 'index'];

const folders = (names) => `^src/(${names.join('|')})/`;

const upward = LAYERS.flatMap((line, i) => {
  const above = LAYERS.slice(0, i).flat();
  if (above.length === 0) return [];
  return [{
    name: `no-upward-import-from-${line.join('-')}`,
    comment: `${line.join(', ')} may not import a layer above it (${above.join(', ')}): data flows one way`,
    severity: 'error',
    from: { path: folders(line) },
    to: { path: folders(above) },
  }];
});

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      comment: 'no import cycles: each cycle is a layer that is not one',
      severity: 'error',
      from: {},
      to: { circular: true },
    },
    ...upward,
    {
      name: 'no-server-code-in-tools',
      comment: 'tools and the small client talk to a node over the wire; they share only the wire vocabulary and pure value code',
      severity: 'error',
      from: { path: folders(CLIENT_SIDE) },
      to: { path: folders(SERVER_SIDE) },
    },
    {
      name: 'no-tools-in-server',
      comment:
        "the node does not depend on its tools; the one exception is the web console's query box (src/server/http/console-query.ts), an operator tool the node serves, which asks the cluster's other nodes for their partitions as any client would",
      severity: 'error',
      from: { path: folders(SERVER_SIDE), pathNot: '^src/server/http/console-query\\.ts$' },
      to: { path: folders(CLIENT_SIDE) },
    },
    {
      name: 'no-simulation-in-production',
      comment: 'simulated clocks, networks and disks live in src/testing and are passed in as parameters; production code only knows the interfaces',
      severity: 'error',
      from: { path: '^src/', pathNot: '^src/testing/' },
      to: { path: '^src/testing/' },
    },
    {
      name: 'no-tests-in-src',
      comment: 'src/ never imports test or bench code',
      severity: 'error',
      from: { path: '^src/' },
      to: { path: '^(test|bench)/' },
    },
    {
      name: 'no-unknown-src-folder',
      comment: 'a new folder of src/ gets a place in LAYERS (.dependency-cruiser.cjs) and a line in README Layout',
      severity: 'error',
      from: { path: '^src/', pathNot: `^src/(${[...LAYERS.flat(), ...CLIENT_SIDE, 'testing'].join('|')})/` },
      to: {},
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { extensions: ['.ts', '.js'] },
  },
};
