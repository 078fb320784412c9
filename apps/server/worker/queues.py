"""Queue and task names: the contract between the API, the workers and the deployments."""

INFERENCE = "inference"
INFERENCE_GPU = "inference-gpu"
TRAINING = "training"
SHADOW = "shadow"
ALL_QUEUES = (INFERENCE, INFERENCE_GPU, TRAINING, SHADOW)

TRAIN_TASK = "training.run"
