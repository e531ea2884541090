/**
 * A concurrency limiter for filesystem calls: at most `n` tasks run at once, the rest wait
 * in FIFO order. Used so a 100,000-file walk keeps the libuv pool busy without queueing
 * 100,000 requests at once (which costs memory and starves other I/O).
 */
export type Limiter = <T>(task: () => Promise<T>) => Promise<T>;

export function createLimiter(n: number): Limiter {
  let active = 0;
  // A head index instead of shift(): shift is O(n) and a 100,000-entry queue made it quadratic.
  let waiting: (() => void)[] = [];
  let head = 0;
  const next = (): void => {
    active--;
    if (head < waiting.length) {
      const w = waiting[head++];
      if (head > 1024 && head * 2 > waiting.length) {
        waiting = waiting.slice(head);
        head = 0;
      }
      w();
    }
  };
  return <T>(task: () => Promise<T>): Promise<T> =>
    new Promise<T>((resolve, reject) => {
      const run = (): void => {
        active++;
        task().then(
          (v) => {
            next();
            resolve(v);
          },
          (e) => {
            next();
            reject(e);
          },
        );
      };
      if (active < n) run();
      else waiting.push(run);
    });
}
