/**
 * What the tests of the node's HTTP endpoint (metrics, web console) share: a one-node config with
 * the endpoint on a free port, the endpoint's base URL from the node's log, and Debian's Chromium
 * launched headless through playwright-core (never a downloaded browser).
 */
import assert from 'node:assert/strict';
import { chromium, type Browser } from 'playwright-core';
import type { StratoProcess } from './strato-process.js';

/** Debian's Chromium (`.ci/run` installs it); CHROMIUM_PATH points elsewhere. */
export const CHROMIUM = process.env['CHROMIUM_PATH'] ?? '/usr/bin/chromium';

/**
 * A one-node config: namespace `test` in memory, the http endpoint on 127.0.0.1 port 0.
 * `serviceExtra` goes into the service stanza, `stanzas` between service and network (e.g. `security {}`).
 */
export function httpNodeConfig(clusterName: string, opts: { serviceExtra?: string; stanzas?: string } = {}): string {
  return `service {
  cluster-name ${clusterName}
${opts.serviceExtra ?? ''}
}
${opts.stanzas ?? ''}
network {
  service {
    address 127.0.0.1
    port 3000
  }
  http {
    address 127.0.0.1
    port 0
  }
}
namespace test {
  replication-factor 1
  nsup-period 120
  storage-engine memory {
    data-size 64M
  }
}
`;
}

/** The endpoint's base URL (`http://127.0.0.1:<port>`), as the node's log names it. */
export function httpBase(server: StratoProcess): string {
  const m = /metrics endpoint: (http:\/\/127\.0\.0\.1:\d+)\/metrics/.exec(server.output());
  assert.ok(m, 'the log names the http endpoint');
  return m[1]!;
}

/** Headless Chromium with the flags a sandbox-less CI container needs; the caller closes it. */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run'],
  });
}
