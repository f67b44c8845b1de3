// oidc-provider ships no types for its internals; only src/oidc/internals.ts imports them.
declare module 'oidc-provider/lib/*';
