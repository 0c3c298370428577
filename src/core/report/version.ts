/** QuantLens's version, as reports and the command line name it (package.json's; a test keeps them equal). */
export const VERSION = '0.1.0';
