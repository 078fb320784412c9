"""Queue and task names: the contract between the API, the workers and the deployments."""

INFERENCE = "inference"
INFERENCE_GPU = "inference-gpu"
TRAINING = "training"
SHADOW = "shadow"
BATCH = "batch"
ALL_QUEUES = (INFERENCE, INFERENCE_GPU, TRAINING, SHADOW, BATCH)

TRAIN_TASK = "training.run"
PROMPT_EVAL_TASK = "prompts.evaluate"
PREDICT_TASK = "inference.predict"
SHADOW_TASK = "inference.shadow"
JOB_TASK = "jobs.run"
SWEEP_TASK = "jobs.sweep"
PURGE_TASK = "predictions.purge_inputs"
MONITOR_TASK = "monitoring.check"
