/** Chat over HTTP: a client sends on a second connection while its poll or stream holds the first. */
export function httpModelSecondConnection(workload: { pattern: string }): string | undefined {
  return workload.pattern === 'chat' ? 'chat over HTTP sends on a second connection' : undefined;
}
