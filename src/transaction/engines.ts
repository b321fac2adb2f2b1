/** Installs the particle engines (CDT, bit, HLL, expressions) into the transaction layer. */
export function installEngines(): void {}
