/** Resolves with the Aerospike result code a client call failed with, or 0 when it succeeded. */
export async function resultCode(p: Promise<unknown>): Promise<number> {
  try {
    await p;
    return 0;
  } catch (e) {
    return (e as { code: number }).code;
  }
}
