import { describe, expect, it } from 'vitest';
import { AppShellUpdates } from '../src/app/app-shell';

/** Just enough of ServiceWorker / Registration / Container for AppShellUpdates, driven by the test. */
class FakeWorker extends EventTarget {
  state: ServiceWorkerState = 'installing';
  readonly messages: unknown[] = [];
  postMessage(message: unknown): void {
    this.messages.push(message);
  }
  setState(state: ServiceWorkerState): void {
    this.state = state;
    this.dispatchEvent(new Event('statechange'));
  }
}

class FakeRegistration extends EventTarget {
  active: FakeWorker | null = null;
  waiting: FakeWorker | null = null;
  installing: FakeWorker | null = null;
  updates = 0;
  update(): Promise<void> {
    this.updates++;
    return Promise.resolve();
  }
  install(worker: FakeWorker): void {
    this.installing = worker;
    this.dispatchEvent(new Event('updatefound'));
  }
}

class FakeContainer extends EventTarget {
  controller: FakeWorker | null = null;
  constructor(readonly registration: FakeRegistration) {
    super();
  }
  get ready(): Promise<FakeRegistration> {
    return Promise.resolve(this.registration);
  }
}

const settle = () => new Promise((resolve) => setTimeout(resolve, 0));

function watch(container: FakeContainer): { updates: AppShellUpdates; events: string[] } {
  const updates = AppShellUpdates.watch(container as unknown as ServiceWorkerContainer);
  const events: string[] = [];
  for (const type of ['offline-ready', 'update-available'])
    updates.addEventListener(type, () => events.push(type));
  return { updates, events };
}

describe('AppShellUpdates', () => {
  it('announces offline-ready when the first service worker installs, and no update', async () => {
    const registration = new FakeRegistration();
    const { updates, events } = watch(new FakeContainer(registration));
    await settle();
    expect(updates.offlineReady).toBe(false);
    const first = new FakeWorker();
    registration.install(first);
    first.setState('installed');
    expect(events).toEqual(['offline-ready']);
    expect(updates).toMatchObject({ offlineReady: true, updateAvailable: false });
  });

  it('announces a newer version waiting, and swaps to it only when asked, then reloads', async () => {
    const registration = new FakeRegistration();
    const container = new FakeContainer(registration);
    registration.active = container.controller = new FakeWorker();
    const { updates, events } = watch(container);
    await settle();
    const newer = new FakeWorker();
    registration.install(newer);
    newer.setState('installed');
    expect(events).toEqual(['offline-ready', 'update-available']);
    expect(updates.updateAvailable).toBe(true);
    // Nothing is activated until applyUpdate().
    expect(newer.messages).toEqual([]);

    let reloaded = 0;
    const applying = updates.applyUpdate(() => reloaded++);
    await settle();
    expect(newer.messages).toEqual([{ type: 'SKIP_WAITING' }]);
    expect(reloaded).toBe(0);
    container.dispatchEvent(new Event('controllerchange'));
    await applying;
    expect(reloaded).toBe(1);
  });

  it('finds a version already waiting when the page opens', async () => {
    const registration = new FakeRegistration();
    const container = new FakeContainer(registration);
    registration.active = container.controller = new FakeWorker();
    registration.waiting = new FakeWorker();
    const { updates } = watch(container);
    await settle();
    expect(updates.updateAvailable).toBe(true);
    await updates.checkForUpdate();
    expect(registration.updates).toBe(1);
  });

  it('does nothing without service workers (the dev server)', async () => {
    const updates = AppShellUpdates.watch(undefined);
    await settle();
    expect(updates).toMatchObject({ offlineReady: false, updateAvailable: false });
    await updates.applyUpdate(() => {
      throw new Error('must not reload');
    });
  });
});
