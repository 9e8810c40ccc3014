/**
 * WebNN's answer for the element's device type: whether the pipeline worker's
 * `navigator.ml.createContext({ deviceType })` gives a context, with the browser's error where not. Asked
 * on demand (provider 'webnn', or Settings opened): creating an MLContext is not free where WebNN exists.
 */
import type {
  DeviceCapabilities,
  GeneratorClient,
  WebNnCapabilities,
  WebNnDeviceType,
} from '../../pipeline/index.js';

export class WebNnProbe {
  private answer?: WebNnCapabilities;

  constructor(private readonly deviceType: () => WebNnDeviceType) {}

  /** The answer for the device type now chosen; undefined until asked for it. */
  get status(): WebNnCapabilities | undefined {
    return this.answer?.deviceType === this.deviceType() ? this.answer : undefined;
  }

  async ask(client: GeneratorClient): Promise<WebNnCapabilities | undefined> {
    const found = await client.deviceCapabilities({ webnnDeviceType: this.deviceType() });
    this.answer = found.webnn;
    return this.status;
  }

  /** `device` with the answer for the chosen device type, and none for another. */
  join(device: DeviceCapabilities): DeviceCapabilities {
    const { adapter, memoryBytes } = device;
    return {
      adapter,
      ...(memoryBytes === undefined ? {} : { memoryBytes }),
      ...(this.status ? { webnn: this.status } : {}),
    };
  }
}
