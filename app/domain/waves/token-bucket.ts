/**
 * A token bucket as a virtual schedule (GCRA): each `take()` reserves the next slot `1/rate` after the
 * previous one, allowing `burst` slots ahead. Concurrent callers queue fairly, and the long-run rate is
 * exact whatever the number of callers. `rate` null means unlimited.
 */
export class TokenBucket {
  private nextSlot = 0;
  private readonly intervalMs: number;

  constructor(
    readonly ratePerSecond: number | null,
    private readonly burst = 1,
    private readonly now: () => number = () => performance.now(),
    private readonly sleep: (ms: number) => Promise<void> = (ms) => new Promise((r) => setTimeout(r, ms)),
  ) {
    this.intervalMs = ratePerSecond ? 1000 / ratePerSecond : 0;
  }

  /** Milliseconds the caller must wait for its token (reserving it). */
  reserve(): number {
    if (!this.ratePerSecond) return 0;
    const now = this.now();
    // Theoretical arrival time of this request; up to `burst` requests may run ahead of it.
    const tat = Math.max(this.nextSlot, now);
    this.nextSlot = tat + this.intervalMs;
    return Math.max(0, tat - now - (this.burst - 1) * this.intervalMs);
  }

  async take(): Promise<void> {
    const wait = this.reserve();
    if (wait > 0) await this.sleep(wait);
  }
}
