/** The value of one unlabelled sample in Prometheus text, or `undefined` when it is missing. */
export function metricSample(text: string, series: string): number | undefined {
  const line = text.split('\n').find((candidate) => candidate.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}
