/**
 * The configuration a node runs with when started without a config file. It is kept as
 * `aerospike.conf` text and parsed on use, so the text users can copy and the running default
 * cannot drift apart.
 */
import type { StratoConfig } from './model.js';
import { parseConfig } from './parser.js';

/** Strato's embedded default configuration, in `aerospike.conf` format. */
export const DEFAULT_CONFIG_TEXT = `# Strato embedded default configuration (used when no --config-file is given).
service {
    cluster-name strato
    # Strato answers compressed requests; Aerospike CE refuses them
    enable-compression true
}

logging {
    console {
        context any info
    }
}

network {
    service {
        address 127.0.0.1
        port 3000
    }
}

namespace test {
    replication-factor 1
    default-ttl 0
    # nsup runs so that writes with a TTL are accepted and expire
    nsup-period 120
    max-record-size 1M
    storage-engine memory {
        data-size 1G
    }
}
`;

/** A fresh copy of the embedded default configuration (callers may change it freely). */
export function defaultConfig(): StratoConfig {
  return parseConfig(DEFAULT_CONFIG_TEXT, '<embedded default>');
}
