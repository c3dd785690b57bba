// Times `n` sequential calls of `call` after `warmup` untimed ones; milliseconds each.
// performance.now() is coarsened to 100 µs (with jitter) in a page that is not
// cross-origin isolated, which a page embedding a third-party iframe cannot be.
export const WARMUP = 50;

export async function roundTrips(call, n, warmup = WARMUP) {
  for (let i = 0; i < warmup; i++) await call();
  const times = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const start = performance.now();
    await call();
    times[i] = performance.now() - start;
  }
  return Array.from(times);
}
