/**
 * "A new version is ready — Reload": offered when the app shell has an update waiting. Reloading ends the
 * page's worker, so Reload waits until no image is being made (on request or in real-time mode).
 */
import type { AppShellUpdates } from './app-shell.js';

/** How often Reload looks again whether the image being made has finished. */
const IDLE_POLL_MS = 200;

export interface GenerationState {
  readonly generating: boolean;
}

/** Applies the waiting update once `element` is not generating; resolves when it has been asked to apply. */
export async function reloadWhenIdle(
  updates: Pick<AppShellUpdates, 'applyUpdate'>,
  element: GenerationState,
  wait: (ms: number) => Promise<void> = (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
): Promise<void> {
  while (element.generating) await wait(IDLE_POLL_MS);
  await updates.applyUpdate();
}

/** Shows the toast (once) when an update is waiting, now or later. */
export function offerUpdates(updates: AppShellUpdates, element: GenerationState, host: HTMLElement): void {
  const show = () => {
    if (host.querySelector('.update-toast')) return;
    const toast = document.createElement('div');
    toast.className = 'update-toast';
    toast.setAttribute('role', 'status');
    toast.textContent = 'A new version is ready — ';
    const reload = document.createElement('button');
    reload.type = 'button';
    reload.textContent = 'Reload';
    reload.addEventListener('click', () => {
      reload.disabled = true;
      reload.textContent = element.generating ? 'Reload after this image…' : 'Reloading…';
      void reloadWhenIdle(updates, element);
    });
    toast.append(reload);
    host.append(toast);
  };
  if (updates.updateAvailable) show();
  else updates.addEventListener('update-available', show, { once: true });
}
