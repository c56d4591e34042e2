export type * from './calls-log.js';
export type * from './observed.js';
export * from './operation.js';
export type * from './policy.js';
