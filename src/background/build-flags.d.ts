/** Set by build.mjs: true only in the bench build (`node build.mjs --bench`), false in the product. */
declare const __TAKO_BENCH__: boolean;
