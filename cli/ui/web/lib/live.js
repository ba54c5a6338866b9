// Live refresh: views showing a running run re-read it on one shared interval (runs table, run
// page, explorer and compare charts).

/** How often views showing a running run refresh. */
export const LIVE_INTERVAL_MS = 3000;

/**
 * Calls `tick()` (async) LIVE_INTERVAL_MS after each `schedule(true)`; `schedule(false)` and
 * `stop()` cancel the pending call. One pending call at a time.
 */
export class Poller {
  constructor(tick) {
    this.tick = tick;
    this.timer = null;
  }

  schedule(active) {
    clearTimeout(this.timer);
    this.timer = active ? setTimeout(() => this.tick(), LIVE_INTERVAL_MS) : null;
  }

  stop() {
    this.schedule(false);
  }
}
