/**
 * Erlang C (M/M/N queue): probability that a call waits, service level, and agents needed. Pure.
 * Erlang B is computed by its stable recurrence B(0)=1, B(k) = A·B(k−1) / (k + A·B(k−1)), and
 * C = N·B / (N − A·(1 − B)), which avoids factorials and overflows at large N.
 */
export function erlangB(agents: number, traffic: number): number {
  let b = 1;
  for (let k = 1; k <= agents; k++) b = (traffic * b) / (k + traffic * b);
  return b;
}

/** P(wait) for `agents` servers offered `traffic` Erlangs; 1 when the queue is unstable (N ≤ A). */
export function erlangC(agents: number, traffic: number): number {
  if (traffic <= 0) return 0;
  if (agents <= traffic) return 1;
  const b = erlangB(agents, traffic);
  return (agents * b) / (agents - traffic * (1 - b));
}

/** Share of calls answered within `targetSeconds`: 1 − C·e^(−(N−A)·t/AHT). */
export function serviceLevel(
  agents: number,
  traffic: number,
  ahtSeconds: number,
  targetSeconds: number,
): number {
  if (traffic <= 0) return 1;
  if (agents <= traffic) return 0;
  return 1 - erlangC(agents, traffic) * Math.exp((-(agents - traffic) * targetSeconds) / ahtSeconds);
}

/** Average speed of answer in seconds: C·AHT / (N − A). */
export function averageSpeedOfAnswer(agents: number, traffic: number, ahtSeconds: number): number {
  if (agents <= traffic) return Number.POSITIVE_INFINITY;
  return (erlangC(agents, traffic) * ahtSeconds) / (agents - traffic);
}

/** Traffic in Erlangs of `calls` of `ahtSeconds` each spread over `periodSeconds`. */
export function trafficErlangs(calls: number, ahtSeconds: number, periodSeconds: number): number {
  return (calls * ahtSeconds) / periodSeconds;
}

/** The smallest number of agents meeting the service level (e.g. 80 % within 20 s). 0 for no traffic. */
export function agentsNeeded(
  traffic: number,
  ahtSeconds: number,
  targetSeconds: number,
  targetServiceLevel: number,
): number {
  if (traffic <= 0) return 0;
  let n = Math.max(1, Math.floor(traffic) + 1);
  while (serviceLevel(n, traffic, ahtSeconds, targetSeconds) < targetServiceLevel) n++;
  return n;
}
