/** The app: `<sd-turbo>` full page, set up from the page URL and the model chosen last time. */
import '../components/index.js';
import { AppShellUpdates } from './app-shell.js';
import { offerUpdates } from './update-toast.js';
import { applyUrlSettings, rememberModel } from './url-settings.js';

const generator = document.querySelector('sd-turbo')!;
applyUrlSettings(generator);
rememberModel(generator);
offerUpdates(AppShellUpdates.watch(), generator, document.body);
