/** Share links (see payload.ts for the format and its versions). */
export * from './payload';
export * from './schema';
export { modelUrlProblem, overridePatternProblem } from './guards';
export * from './codec';
export * from './receive';
