/**
 * Process-wide SIGINT/SIGTERM handling while RUN steps are in flight. Each running step
 * registers an abort function; on a signal every step is aborted (its container killed, its
 * mounts undone) and, once all have cleaned up, the signal is raised again so the process
 * ends the way it would have without us — unless someone else also listens for it, who then
 * decides. Handlers are installed only while at least one step runs.
 */

type Cleanup = (reason: Error) => Promise<void>;

const active = new Set<Cleanup>();
const SIGNALS = ['SIGINT', 'SIGTERM'] as const;
let handling = false;

function onSignal(sig: NodeJS.Signals): void {
  if (handling) return;
  handling = true;
  const reason = Object.assign(new Error(`run step: interrupted by ${sig}`), { name: 'AbortError' });
  const all = [...active].map((c) => c(reason).catch(() => undefined));
  void Promise.all(all).then(() => {
    handling = false;
    uninstall();
    // Only re-raise when nobody else wants the signal: then default handling ends the process.
    if (process.listenerCount(sig) === 0) process.kill(process.pid, sig);
  });
}

function install(): void {
  for (const s of SIGNALS) process.on(s, onSignal);
}

function uninstall(): void {
  for (const s of SIGNALS) process.off(s, onSignal);
}

/** Registers a step's abort function; returns the function that unregisters it. */
export function guardStep(cleanup: Cleanup): () => void {
  if (active.size === 0 && !handling) install();
  active.add(cleanup);
  return () => {
    active.delete(cleanup);
    if (active.size === 0 && !handling) uninstall();
  };
}
