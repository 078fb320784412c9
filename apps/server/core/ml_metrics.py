"""Prometheus metrics of inference and of the model's health, shared by the API and workers.

The names here are the contract of the alert rules (`ops/prometheus/rules/`) and of the
Grafana dashboards (`ops/grafana/dashboards/`); a test fails when either refers to a name
that no code defines. Labels are bounded: model names and versions come from the registry,
`label` from the model's fixed label set, `queue` from `taskqueue/names.py`, `feature` and
`metric` from fixed lists in the monitoring code; never a user, a text or an id.

Gauges that a scheduled task sets (drift, quality) use the `mostrecent` multiprocess mode:
whichever worker process computed the report last gives the value.
"""

from prometheus_client import Counter, Gauge, Histogram

INFERENCE_BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5)
BATCH_SIZE_BUCKETS = (1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024)

# --- workers: scoring ---------------------------------------------------------------------
INFERENCE_DURATION = Histogram(
    "inference_duration_seconds",
    "Time a worker spent scoring one batch, by model, version, queue and outcome.",
    ["model", "version", "queue", "outcome"],
    buckets=INFERENCE_BUCKETS,
)
INFERENCE_BATCH_SIZE = Histogram(
    "inference_batch_size",
    "Texts scored in one inference task.",
    ["model", "queue"],
    buckets=BATCH_SIZE_BUCKETS,
)
SCORED_TEXTS = Counter(
    "inference_scored_texts_total",
    "Texts a worker scored, by the queue they came from and the device that scored them "
    "(`cpu`, or `cuda` where CuPy found a GPU).",
    ["queue", "device"],
)
PREDICTIONS = Counter(
    "predictions_total",
    "Texts scored, by model, version and predicted label (shadow scores included).",
    ["model", "version", "label", "shadow"],
)

# --- API: waiting for workers ------------------------------------------------------------
INFERENCE_WAIT = Histogram(
    "inference_wait_seconds",
    "Time an API request waited for its micro-batch to be scored, by queue and outcome "
    "(ok, timeout, unavailable, error).",
    ["queue", "outcome"],
    buckets=INFERENCE_BUCKETS,
)
INFERENCE_STAGE = Histogram(
    "inference_stage_seconds",
    "Where a sync prediction's wait goes, per micro-batch: `gather` (its first text's "
    "arrival to its dispatch: the batching window and any wait for a dispatch slot), "
    "`publish` (handing it to the broker), `answer` (published to answered: the queue, the "
    "worker's scoring and the way back).",
    ["stage"],
    buckets=INFERENCE_BUCKETS,
)
FEEDBACK = Counter(
    "feedback_total",
    "Feedback labels recorded, by model, version and whether the prediction was right.",
    ["model", "version", "correct"],
)

# --- queues and serving state ---------------------------------------------------------------
QUEUE_MESSAGES = Gauge(
    "queue_messages",
    "Messages waiting in a broker queue (sampled by each worker's metrics endpoint).",
    ["queue"],
    multiprocess_mode="max",
)
MODEL_SERVING = Gauge(
    "model_serving_info",
    "1 for each model version a worker has loaded, by role (champion, challenger).",
    ["model", "version", "role"],
    multiprocess_mode="max",
)
MODEL_REFUSED = Gauge(
    "model_artifact_refused",
    "1 for each served model version a worker refused: its artifact failed verification at "
    "load or at a later re-check (the reason is in the worker's log, its heartbeat and the "
    "API's readiness body).",
    ["model", "version"],
    multiprocess_mode="livemax",
)

# --- monitoring reports ----------------------------------------------------------------------
DRIFT_PSI = Gauge(
    "model_drift_psi",
    "Population stability index of a monitored feature, live window against reference.",
    ["model", "version", "feature"],
    multiprocess_mode="mostrecent",
)
DRIFT_DISTANCE = Gauge(
    "model_drift_distance",
    "Drift statistic of a monitored feature (KS or normalized Wasserstein, chi-squared "
    "p-value complement or Jensen-Shannon distance), by the method used.",
    ["model", "version", "feature", "method"],
    multiprocess_mode="mostrecent",
)
DRIFT_SEVERITY = Gauge(
    "model_drift_severity",
    "Drift verdict of a feature: -1 insufficient data, 0 none, 1 moderate, 2 major.",
    ["model", "version", "feature"],
    multiprocess_mode="mostrecent",
)
QUALITY = Gauge(
    "model_quality_score",
    "Quality of a version over the last window: macro_auc, precision, recall, accuracy from "
    "feedback; estimated_accuracy from calibrated confidence; ece (calibration error).",
    ["model", "version", "metric"],
    multiprocess_mode="mostrecent",
)
QUALITY_WINDOW = Gauge(
    "model_quality_window_size",
    "Labelled predictions in the quality window of a version.",
    ["model", "version"],
    multiprocess_mode="mostrecent",
)
QUALITY_GATE = Gauge(
    "model_quality_gate",
    "The configured minimum of a quality metric (for alert rules to compare against).",
    ["model", "metric"],
    multiprocess_mode="mostrecent",
)
RETRAIN_TRIGGERS = Counter(
    "model_retrain_triggers_total",
    "Retraining suggested or enqueued by monitoring, by reason (drift, quality) and action.",
    ["model", "reason", "action"],
)

# --- GPU (only when a GPU worker runs and NVML is present) --------------------------------
GPU_UTILIZATION = Gauge(
    "gpu_utilization_ratio",
    "GPU busy share over the last sample period (NVML), 0 to 1.",
    ["gpu"],
    multiprocess_mode="max",
)
GPU_MEMORY_USED = Gauge(
    "gpu_memory_used_bytes", "GPU memory in use (NVML).", ["gpu"], multiprocess_mode="max"
)
GPU_MEMORY_TOTAL = Gauge(
    "gpu_memory_total_bytes", "GPU memory in total (NVML).", ["gpu"], multiprocess_mode="max"
)
