/** Blocks the event loop for `ms`: no heartbeat leaves, as in a stalled process on a busy machine. */
export function stall(ms: number): void {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    /* busy */
  }
}
