/**
 * Firefox ESR (Debian's `firefox-esr`) headless, driven over WebDriver BiDi by puppeteer-core, with a
 * WebGPU adapter: the prefs turn WebGPU on (ESR ships it off on Linux), and Firefox's WebGPU, which
 * runs on Vulkan, gets the SwiftShader Vulkan driver that Debian's `chromium` package ships.
 */
import { existsSync } from 'node:fs';
import { dirname } from 'node:path';
import puppeteer, { type Browser } from 'puppeteer-core';

export const FIREFOX_PATH = process.env.FIREFOX_PATH ?? '/usr/bin/firefox-esr';
/** Without a Vulkan driver Firefox's `requestAdapter()` resolves to null. */
export const SWIFTSHADER_VULKAN_ICD =
  process.env.SWIFTSHADER_VULKAN_ICD ?? '/usr/lib/chromium/vk_swiftshader_icd.json';

/** Without these `navigator.gpu` is missing (also in Workers, where the pipeline runs). */
export const FIREFOX_WEBGPU_PREFS = {
  'dom.webgpu.enabled': true,
  'gfx.webgpu.ignore-blocklist': true,
  'dom.webgpu.workers.enabled': true,
};

/** Why Firefox with WebGPU cannot be launched here, or undefined when it can. */
export function firefoxMissing(): string | undefined {
  if (!existsSync(FIREFOX_PATH)) {
    return `no Firefox at ${FIREFOX_PATH} (apt-get install firefox-esr, or set FIREFOX_PATH)`;
  }
  if (!existsSync(SWIFTSHADER_VULKAN_ICD)) {
    return `no SwiftShader Vulkan driver at ${SWIFTSHADER_VULKAN_ICD} (apt-get install chromium, or set SWIFTSHADER_VULKAN_ICD)`;
  }
  return undefined;
}

export function launchFirefox(): Promise<Browser> {
  // The driver's library folder (Chromium's) holds the libvk_swiftshader.so that the ICD file names.
  const libraryPath = [dirname(SWIFTSHADER_VULKAN_ICD), process.env.LD_LIBRARY_PATH].filter(Boolean);
  return puppeteer.launch({
    browser: 'firefox',
    executablePath: FIREFOX_PATH,
    headless: true,
    extraPrefsFirefox: FIREFOX_WEBGPU_PREFS,
    env: {
      ...process.env,
      VK_ICD_FILENAMES: SWIFTSHADER_VULKAN_ICD,
      LD_LIBRARY_PATH: libraryPath.join(':'),
    },
  });
}
