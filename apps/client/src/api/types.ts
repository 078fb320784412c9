/** Names for the generated contract types (src/api/generated, `npm run gen:api`). */
import type { components } from './generated/schema';

type Schemas = components['schemas'];

export type Problem = Schemas['Problem'];
export type PredictionRequest = Schemas['PredictionRequest'];
export type PredictionResponse = Schemas['PredictionResponse'];
export type Prediction = Schemas['PredictionOut'];
export type FeedbackRequest = Schemas['FeedbackRequest'];
export type Feedback = Schemas['FeedbackOut'];
export type Job = Schemas['JobOut'];
export type JobStatus = Job['status'];
export type ModelSummary = Schemas['ModelSummary'];
export type VersionSummary = Schemas['VersionSummary'];
export type VersionDetail = Schemas['VersionDetail'];
export type VersionLineage = Schemas['VersionLineage'];
export type AliasUpdate = Schemas['AliasUpdate'];
export type AliasMove = Schemas['AliasMove'];
export type Rollback = Schemas['Rollback'];
export type Alias = NonNullable<Rollback['alias']>;
export type TrafficPolicyIn = Schemas['TrafficPolicyIn'];
export type TrafficPolicy = Schemas['TrafficPolicyOut'];
export type TrainingRunCreate = Schemas['TrainingRunCreate'];
export type TrainingRun = Schemas['TrainingRunOut'];
export type GateResult = Schemas['GateResultOut'];
export type AuditEvent = Schemas['AuditEvent'];
export type ServiceInfo = Schemas['ServiceInfo'];

// Security: auth, users, API keys.
export type Scope = Schemas['Scope'];
export type TokenResponse = Schemas['TokenResponse'];
export type User = Schemas['UserOut'];
export type UserPage = Schemas['UserPage'];
export type ApiKey = Schemas['ApiKeyOut'];
export type ApiKeyCreate = Schemas['ApiKeyCreate'];
export type ApiKeyCreated = Schemas['ApiKeyCreated'];
export type ApiKeyPage = Schemas['ApiKeyPage'];
export type JobPage = Schemas['JobPage'];

// Batch job submission as JSON (the other form is a multipart upload of a file).
export type JobCreate = Schemas['JobCreate'];
export type JobItemIn = Schemas['JobItemIn'];

// Monitoring.
export type MonitoringOverview = Schemas['OverviewOut'];
export type ModelOverview = Schemas['ModelOverviewOut'];
export type VersionOverview = Schemas['VersionOverviewOut'];
export type DriftReport = Schemas['DriftOut'];
export type FeatureDrift = Schemas['FeatureDriftOut'];
export type QualityReport = Schemas['QualityOut'];
export type FeedbackQuality = Schemas['FeedbackQualityOut'];
export type EstimatedQuality = Schemas['EstimatedQualityOut'];
export type Interval = Schemas['IntervalOut'];
export type Calibration = Schemas['CalibrationOut'];
export type SegmentGap = Schemas['SegmentGapOut'];
export type Traffic = Schemas['TrafficOut'];
export type QualityHistory = Schemas['QualityHistoryOut'];
