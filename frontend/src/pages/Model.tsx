import { useQuery, useQueryClient } from "@tanstack/react-query";
import { useEffect, useState } from "react";
import { api, errorMessage, type Job, type ModelInfo } from "../api";
import { BenchmarkTable } from "../components/BenchmarkTable";
import { Calibration, formatRate } from "../components/Calibration";
import { CurveChart } from "../components/CurveChart";
import { KeyValues } from "../components/KeyValues";
import { JobCard } from "../components/JobCard";
import { ConfirmDialog } from "../components/Modal";
import { ErrorBox, Loading } from "../components/Status";
import { useToast } from "../components/Toasts";
import { useJobs } from "../hooks/useJobs";
import { scorerPoint, scorerRange } from "../curves";
import { formatPercent } from "../format";

/** The model: version, training data, benchmarks, curves, and the decision threshold. */
export function ModelPage() {
  const model = useQuery({ queryKey: ["model"], queryFn: api.model });
  const queryClient = useQueryClient();
  return (
    <section aria-labelledby="model-title">
      <header className="page-header">
        <div>
          <h1 id="model-title">Model</h1>
          <p className="lede">What decides “same song”, how well it does, and where the line is drawn.</p>
        </div>
      </header>
      {model.error ? (
        <ErrorBox error={model.error} onRetry={() => void model.refetch()} />
      ) : !model.data ? (
        <Loading label="Loading the model card…" />
      ) : (
        <ModelView model={model.data} onSaved={(saved) => queryClient.setQueryData(["model"], saved)} />
      )}
    </section>
  );
}

function ModelView({ model, onSaved }: { model: ModelInfo; onSaved: (m: ModelInfo) => void }) {
  const notify = useToast();
  const scorer = model.scorer;
  // The slider is on the fused scale (a cover when the fused score reaches it); the API stores
  // the threshold on the check's scale, minus it.
  const current = scorer.fused_threshold;
  const [threshold, setThreshold] = useState(current);
  const [saving, setSaving] = useState(false);
  const [confirmReembed, setConfirmReembed] = useState(false);
  const { jobs, add } = useJobs((job: Job) =>
    notify(
      job.status === "done" ? "The library was re-embedded." : (job.error ?? "Re-embedding failed."),
      job.status === "done" ? "success" : "error",
    ),
  );
  useEffect(() => setThreshold(current), [current]);

  const [lo, hi] = scorerRange(scorer.curve, current);
  const step = (hi - lo) / 200 || 0.001;
  const preview = scorerPoint(scorer.curve, threshold);
  const hasCurves = model.curves.roc.length > 0 || model.curves.pr.length > 0;
  const changed = Math.abs(threshold - current) > 1e-9;

  const save = async () => {
    setSaving(true);
    try {
      const updated = await api.setThreshold(Number((-threshold).toFixed(4)));
      onSaved(updated);
      notify(`Threshold saved: ${updated.scorer.fused_threshold.toFixed(3)}.`, "success");
    } catch (err) {
      notify(`Could not save the threshold: ${errorMessage(err)}`, "error");
    } finally {
      setSaving(false);
    }
  };

  const reembed = async () => {
    setConfirmReembed(false);
    try {
      add([(await api.reembed()).job]);
    } catch (err) {
      notify(`Could not start re-embedding: ${errorMessage(err)}`, "error");
    }
  };

  return (
    <>
      <dl className="stat-grid" aria-label="Model summary">
        <div className="stat">
          <dt>Version</dt>
          <dd>
            <code>{model.version}</code>
          </dd>
        </div>
        <div className="stat">
          <dt>Scorer</dt>
          <dd>
            <code>{scorer.version}</code>
          </dd>
        </div>
        <div className="stat">
          <dt>Threshold</dt>
          <dd>{current.toFixed(3)}</dd>
        </div>
        {scorer.provenance.threshold_fit && (
          <div className="stat">
            <dt>False-positive rate</dt>
            <dd>{formatRate(scorer.provenance.threshold_fit.fpr)}</dd>
          </div>
        )}
      </dl>

      <Calibration scorer={scorer} preview={threshold} />

      <section className="card" aria-labelledby="threshold-title">
        <h2 id="threshold-title">Decision threshold</h2>
        <p className="hint">
          Two songs whose fused score reaches the threshold are called covers. Raise it for fewer false
          alarms, lower it to miss fewer covers.
          {Math.abs(scorer.fused_threshold + scorer.default_threshold) > 1e-9 &&
            ` The calibrated threshold is ${(-scorer.default_threshold).toFixed(3)}.`}
        </p>
        <div className="threshold-control">
          <label htmlFor="threshold">Threshold (fused score)</label>
          <input
            id="threshold"
            type="range"
            min={lo}
            max={hi}
            step={step}
            value={threshold}
            onChange={(e) => setThreshold(Number(e.target.value))}
          />
          <output htmlFor="threshold">{threshold.toFixed(3)}</output>
        </div>
        <p className="preview" aria-live="polite" aria-label="Preview at this threshold">
          At {threshold.toFixed(3)}:{" "}
          {preview.fpr !== undefined && preview.tpr !== undefined ? (
            <>
              false-positive rate <strong>{formatRate(preview.fpr)}</strong> on the real non-cover pairs,
              true-positive rate <strong>{formatPercent(preview.tpr, 1)}</strong> on the calibration covers
              {changed ? " (the orange point on the calibration curve)" : ""}.
            </>
          ) : (
            "the scorer has no calibration curve to preview."
          )}
        </p>
        <div className="actions">
          <button
            type="button"
            className="button primary"
            disabled={!changed || saving}
            onClick={() => void save()}
          >
            {saving ? "Saving…" : "Save threshold"}
          </button>
          <button type="button" className="button" disabled={!changed} onClick={() => setThreshold(current)}>
            Reset
          </button>
        </div>
      </section>

      <section className="card" aria-labelledby="bench-title">
        <h2 id="bench-title">Benchmarks</h2>
        <BenchmarkTable benchmarks={model.benchmarks} />
        {hasCurves ? (
          <div className="chart-grid">
            <CurveChart
              title="ROC curve"
              xLabel="false-positive rate"
              yLabel="true-positive rate"
              points={model.curves.roc}
              diagonal
            />
            <CurveChart
              title="Precision–recall curve"
              xLabel="recall"
              yLabel="precision"
              points={model.curves.pr}
            />
          </div>
        ) : (
          <p className="muted">
            No ROC or precision–recall curves yet: they appear once the model has been evaluated (
            <code>coverscope evaluate covers80</code>).
          </p>
        )}
      </section>
      <section className="card" aria-labelledby="training-title">
        <h2 id="training-title">Training data</h2>
        <KeyValues data={model.training} empty="No training summary." />
      </section>

      <details className="card">
        <summary>Configuration and calibration</summary>
        <div className="two-col">
          <KeyValues data={model.config} empty="No configuration." />
          <KeyValues data={model.calibration} empty="No calibration." />
        </div>
      </details>

      <section className="card" aria-labelledby="reembed-title">
        <h2 id="reembed-title">Re-embed the library</h2>
        <p className="hint">
          After a model update, recompute every song's embedding with the current model.
          {model.stale_songs
            ? ` ${model.stale_songs} song${model.stale_songs === 1 ? " was" : "s were"} embedded with an older model.`
            : ""}
        </p>
        <button type="button" className="button" onClick={() => setConfirmReembed(true)}>
          Re-embed library
        </button>
        {jobs.length > 0 && (
          <ul className="job-list">
            {jobs.map((job) => (
              <JobCard key={job.id} job={job} />
            ))}
          </ul>
        )}
      </section>

      {confirmReembed && (
        <ConfirmDialog
          title="Re-embed the whole library?"
          message="Every song is processed again; this can take a while on a large library."
          confirmLabel="Re-embed"
          onConfirm={() => void reembed()}
          onCancel={() => setConfirmReembed(false)}
        />
      )}
    </>
  );
}
