/** AIMET `.encodings` files: read (any version 0.4.0 to 2.0.0) and write (1.0.0, 0.6.1). */
export * from './types';
export { parseAimetEncodings } from './read';
export { writeAimetEncodings } from './write';
