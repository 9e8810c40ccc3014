/**
 * The installed app shell (the service worker built by vite-plugin-pwa, registerType 'prompt'): says when
 * the app works offline and when a newer version is waiting, and swaps to it only when asked, so a UI can
 * offer "Update" and never reload a page in the middle of an image.
 *
 * Events: 'offline-ready' (the first service worker finished precaching the app shell) and
 * 'update-available' (a new version is installed and waiting). Flags: `offlineReady`, `updateAvailable`.
 */

/** The message Workbox's generated service worker answers with skipWaiting() under registerType 'prompt'. */
const SKIP_WAITING = { type: 'SKIP_WAITING' } as const;

export class AppShellUpdates extends EventTarget {
  private registration?: ServiceWorkerRegistration;
  private ready = false;
  private waiting?: ServiceWorker;

  private constructor(private readonly container: ServiceWorkerContainer | undefined) {
    super();
  }

  /**
   * Watches the page's service worker registration (the built app registers it; the dev server has none,
   * and then nothing is ever announced).
   */
  static watch(
    container: ServiceWorkerContainer | undefined = globalThis.navigator?.serviceWorker,
  ): AppShellUpdates {
    const updates = new AppShellUpdates(container);
    void updates.start();
    return updates;
  }

  get offlineReady(): boolean {
    return this.ready;
  }

  get updateAvailable(): boolean {
    return this.waiting !== undefined;
  }

  /** Asks the server for a newer app shell now (browsers also check on navigation). */
  async checkForUpdate(): Promise<void> {
    await this.registration?.update();
  }

  /**
   * Activates the waiting version and reloads the page once it controls it. Call it when no image is
   * being made: the reload ends the page's worker and whatever it was doing.
   */
  async applyUpdate(reload: () => void = () => location.reload()): Promise<void> {
    const waiting = this.waiting;
    if (!waiting || !this.container) return;
    await new Promise<void>((resolve) => {
      this.container!.addEventListener('controllerchange', () => resolve(), { once: true });
      waiting.postMessage(SKIP_WAITING);
    });
    reload();
  }

  private async start(): Promise<void> {
    if (!this.container) return;
    const registration = await this.container.ready;
    this.registration = registration;
    if (registration.active) this.markOfflineReady();
    if (registration.waiting && this.container.controller) this.markWaiting(registration.waiting);
    registration.addEventListener('updatefound', () => {
      const installing = registration.installing;
      installing?.addEventListener('statechange', () => {
        if (installing.state !== 'installed') return;
        // With a controller this is a newer version waiting; without one, the first install.
        if (this.container?.controller) this.markWaiting(installing);
        else this.markOfflineReady();
      });
    });
  }

  private markOfflineReady(): void {
    if (this.ready) return;
    this.ready = true;
    this.dispatchEvent(new Event('offline-ready'));
  }

  private markWaiting(worker: ServiceWorker): void {
    this.waiting = worker;
    this.dispatchEvent(new Event('update-available'));
  }
}
