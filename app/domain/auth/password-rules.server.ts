/**
 * The password policy for routes. password-policy.ts loads a word list through node:module at import time,
 * which the browser bundle cannot hold; routes import it through this .server module, which the Remix
 * compiler leaves out of the browser build (routes use it in loaders and actions only).
 */
export { MIN_PASSWORD_LENGTH, PASSWORD_PROBLEM_LABELS } from "./password-policy";
