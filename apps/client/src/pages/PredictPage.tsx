import { useMutation } from '@tanstack/react-query';
import { useId, useState, type SubmitEvent } from 'react';
import { useApi } from '../api/ApiContext';
import type { Prediction, PredictionResponse } from '../api/types';
import { ErrorNotice } from '../components/ErrorNotice';
import { Page } from '../components/Page';
import { ProbabilityBars } from '../components/ProbabilityBars';
import { Success } from '../components/Status';
import { LOW_CONFIDENCE_BELOW } from '../config';
import { percent } from '../lib/format';

/** One ticket per line; blank lines are ignored. */
export function ticketsOf(input: string): string[] {
  return input
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter(Boolean);
}

export function PredictPage() {
  const api = useApi();
  const inputId = useId();
  const [input, setInput] = useState('');
  const [submitted, setSubmitted] = useState<string[]>([]);
  const predict = useMutation({ mutationFn: (texts: string[]) => api.predict(texts) });
  const tickets = ticketsOf(input);

  function onSubmit(event: SubmitEvent<HTMLFormElement>) {
    event.preventDefault();
    if (tickets.length === 0) return;
    setSubmitted(tickets);
    predict.mutate(tickets);
  }

  return (
    <Page title="Predict">
      <form onSubmit={onSubmit} className="stack">
        <label htmlFor={inputId}>Tickets, one per line</label>
        <textarea
          id={inputId}
          rows={6}
          value={input}
          aria-describedby={`${inputId}-hint`}
          onChange={(event) => {
            setInput(event.target.value);
          }}
        />
        <p id={`${inputId}-hint`} className="muted small">
          {tickets.length} ticket{tickets.length === 1 ? '' : 's'}
        </p>
        <div>
          <button type="submit" disabled={tickets.length === 0 || predict.isPending}>
            {predict.isPending ? 'Classifying…' : 'Classify'}
          </button>
        </div>
      </form>
      <ErrorNotice error={predict.error} title="Prediction failed" />
      {predict.data ? <Results response={predict.data} texts={submitted} /> : null}
    </Page>
  );
}

function Results({ response, texts }: { response: PredictionResponse; texts: string[] }) {
  return (
    <section aria-labelledby="results-title" className="stack">
      <h2 id="results-title">Results</h2>
      <p className="muted">
        Model <strong>{response.model}</strong>, version <strong>{response.version}</strong>
      </p>
      <ol className="cards">
        {response.predictions.map((prediction, index) => (
          <PredictionCard
            key={prediction.id}
            prediction={prediction}
            text={texts[index] ?? ''}
            version={response.version}
          />
        ))}
      </ol>
    </section>
  );
}

function PredictionCard({
  prediction,
  text,
  version,
}: {
  prediction: Prediction;
  text: string;
  version: number;
}) {
  const api = useApi();
  const feedback = useMutation({
    mutationFn: (label: string) => api.feedback(prediction.id, label),
  });
  const labels = Object.keys(prediction.probabilities).sort();
  const headingId = `prediction-${prediction.id}`;
  const low = prediction.confidence < LOW_CONFIDENCE_BELOW;
  return (
    <li className="card" aria-labelledby={headingId}>
      {/* Ticket text is user input: rendered as a text node, never as HTML. */}
      <blockquote className="ticket">{text}</blockquote>
      <h3 id={headingId}>
        {prediction.label} <span className="muted">({percent(prediction.confidence)})</span>
        {low ? <span className="badge badge-wait">low confidence</span> : null}
      </h3>
      {low ? (
        <p className="small">
          The model&apos;s top probability is under {percent(LOW_CONFIDENCE_BELOW, 0)}: check this
          one, and give the correct label below.
        </p>
      ) : null}
      <ProbabilityBars probabilities={prediction.probabilities} predicted={prediction.label} />
      <p className="muted small">
        Prediction <code>{prediction.id}</code> · version {version}
      </p>
      <div role="group" aria-label="Feedback: the correct label" className="button-row">
        <span className="small">Correct label:</span>
        {labels.map((label) => (
          <button
            key={label}
            type="button"
            className={label === feedback.variables ? 'chip chip-on' : 'chip'}
            aria-pressed={label === feedback.variables && feedback.isSuccess}
            disabled={feedback.isPending || feedback.isSuccess}
            onClick={() => {
              feedback.mutate(label);
            }}
          >
            {label}
          </button>
        ))}
      </div>
      {feedback.isSuccess ? (
        <Success>
          Feedback recorded: {feedback.data.label}
          {feedback.data.correct ? ' (the model was right).' : ' (the model was wrong).'}
        </Success>
      ) : null}
      <ErrorNotice error={feedback.error} title="Feedback failed" />
    </li>
  );
}
