/**
 * Stands in for zod's locales index inside the functions' bundles (see englishOnlyZodLocales in
 * function-bundle.ts): `z.locales` holds English alone, the locale zod uses by default.
 */
export { default as en } from 'zod/v4/locales/en.js';
