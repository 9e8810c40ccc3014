/** The app: `<sd-turbo>` full page, set up from the page URL and the model chosen last time. */
import '../components/index.js';
import { applyUrlSettings, rememberModel } from './url-settings.js';

const generator = document.querySelector('sd-turbo')!;
applyUrlSettings(generator);
rememberModel(generator);
