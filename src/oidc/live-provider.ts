import type Provider from 'oidc-provider';

/**
 * Holds the provider currently serving requests. oidc-provider takes its keys at construction,
 * so a key-set change means building a new provider and swapping it in; requests in flight
 * finish on the old one.
 */
export interface LiveProvider {
  current(): Provider;
  replace(next: Provider): void;
}

export function createLiveProvider(initial: Provider): LiveProvider {
  let provider = initial;
  return {
    current: () => provider,
    replace: (next) => {
      provider = next;
    },
  };
}
