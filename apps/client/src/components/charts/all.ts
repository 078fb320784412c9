// Every chart, for the lazily loaded chunk (see lazy.tsx).
export {
  DistributionChart,
  DriftChart,
  LatencyChart,
  QualityHistoryChart,
  ReliabilityChart,
  TrafficChart,
} from '../../pages/monitoring/charts';
export { GateChart } from '../../pages/models/GateChart';
