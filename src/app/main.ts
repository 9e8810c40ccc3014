/** The app: `<sd-turbo>` full page, set up from the page URL and the model chosen last time. */
import '../components/index.js';
import { AppShellUpdates } from './app-shell.js';
import { offerShareLinks } from './share-button.js';
import { offerUpdates } from './update-toast.js';
import { applyUrlSettings, rememberModel } from './url-settings.js';

const generator = document.querySelector('sd-turbo')!;
applyUrlSettings(generator);
rememberModel(generator);
offerShareLinks(generator, {
  button: document.querySelector<HTMLButtonElement>('#share-link')!,
  status: document.querySelector<HTMLElement>('#share-status')!,
  fallback: document.querySelector<HTMLInputElement>('#share-fallback')!,
});
offerUpdates(AppShellUpdates.watch(), generator, document.body);
