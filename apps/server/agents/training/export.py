"""Turn a fitted scikit-learn pipeline into the plain arrays of a `LinearTextModel`."""

import numpy as np

from server.agents.runtime.model import LinearTextModel, ModelSpec
from server.agents.training.model import TrainedModel


def export_model(trained: TrainedModel) -> LinearTextModel:
    """The arrays and spec that reproduce `trained.predict_proba` without scikit-learn."""
    vectorizer, classifier = trained.vectorizer, trained.classifier
    vocabulary = sorted(vectorizer.vocabulary_, key=vectorizer.vocabulary_.__getitem__)
    coef = np.asarray(classifier.coef_, dtype=np.float64)
    intercept = np.asarray(classifier.intercept_, dtype=np.float64)
    if coef.shape[0] == 1:
        # Binary model: a zero column for the negative class gives softmax == sigmoid,
        # the same two-column convention as `TrainedModel.logits`.
        coef = np.vstack([np.zeros_like(coef), coef])
        intercept = np.concatenate([np.zeros(1), intercept])
    spec = ModelSpec(
        labels=trained.labels,
        token_pattern=vectorizer.token_pattern,
        lowercase=bool(vectorizer.lowercase),
        ngram_range=tuple(vectorizer.ngram_range),
        temperature=trained.temperature,
        max_text_chars=trained.max_text_chars,
    )
    return LinearTextModel(
        spec=spec,
        vocabulary=tuple(vocabulary),
        idf=np.asarray(vectorizer.idf_, dtype=np.float64),
        weights=np.ascontiguousarray(coef.T),
        intercept=intercept,
    )
