import $protobuf from 'protobufjs/minimal.js';
export default $protobuf;
/** Interns short ASCII strings while a model is decoded (true: a new table), or stops (false). */
export function internStrings(on: boolean): void;
