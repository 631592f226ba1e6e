/**
 * The fixed id of the test double wallet extension: Chromium derives it from the public `key` in
 * its manifest.json (the first 128 bits of the key's SHA-256, as letters a–p).
 */
export const DEV_WALLET_EXTENSION_ID = 'empgajfgcadphfkkccchmbigoljmaggb';

/** Where build.mjs writes the double (gitignored; loaded beside the product, never bundled into it). */
export const DEV_WALLET_EXTENSION_DIR = '.stack/wallet-extension';
