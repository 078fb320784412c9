/**
 * The charts, loaded on first use: the charting library is most of the console's code,
 * and only the Monitoring page and a training run's gates need it, so it is its own chunk.
 */
import { lazy, Suspense, type ComponentType } from 'react';
import { Loading } from '../Status';

const charts = () => import('./all');

function deferred<P extends object>(load: () => Promise<ComponentType<P>>) {
  const Chart = lazy(async () => ({ default: await load() }));
  return function DeferredChart(props: P) {
    return (
      <Suspense fallback={<Loading label="Loading the chart…" />}>
        <Chart {...props} />
      </Suspense>
    );
  };
}

export const DriftChart = deferred(async () => (await charts()).DriftChart);
export const DistributionChart = deferred(async () => (await charts()).DistributionChart);
export const ReliabilityChart = deferred(async () => (await charts()).ReliabilityChart);
export const QualityHistoryChart = deferred(async () => (await charts()).QualityHistoryChart);
export const TrafficChart = deferred(async () => (await charts()).TrafficChart);
export const LatencyChart = deferred(async () => (await charts()).LatencyChart);
export const GateChart = deferred(async () => (await charts()).GateChart);
