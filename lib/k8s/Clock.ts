/** Milliseconds now; injected so rate limits and backoffs can be tested without waiting. */
export type Clock = () => number;
export const systemClock: Clock = () => Date.now();
