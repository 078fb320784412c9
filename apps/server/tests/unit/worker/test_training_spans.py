"""A training run's trace: one span per stage the pipeline reports, under the run's span."""

from server.core.tracing import tracer
from server.tests.support.tracing import named, recorded_spans
from server.worker.training_tasks import RUN_SPAN, StageSpans


def test_each_reported_stage_is_a_child_span_of_the_run_ended_by_the_next() -> None:
    with recorded_spans() as exporter:
        with tracer("test").start_as_current_span(RUN_SPAN) as run:
            stages = StageSpans()
        # Progress is reported from the training thread, outside the run's context.
        for fraction, stage in [
            (0.0, "validating"),
            (0.05, "fitting"),
            (0.3, "fitting"),
            (0.6, "evaluating"),
            (1.0, "completed"),
        ]:
            stages(fraction, stage)
        stages.close()
    spans = exporter.get_finished_spans()
    names = [span.name for span in spans if span.name != RUN_SPAN]
    assert names == ["training.validating", "training.fitting", "training.evaluating"]
    run_id = run.get_span_context().span_id
    for span in spans:
        if span.name != RUN_SPAN:
            assert span.parent is not None
            assert span.parent.span_id == run_id
            assert span.attributes is not None
            assert span.attributes["training.stage"] == span.name.removeprefix("training.")
    assert len(named(spans, RUN_SPAN)) == 1
