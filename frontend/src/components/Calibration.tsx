import type { Scorer } from "../api";
import { componentLabel, formatPercent } from "../format";
import { CalibrationChart } from "./CalibrationChart";

/** A rate as a percentage with enough digits for rates of a few per thousand. */
export function formatRate(rate: number): string {
  return formatPercent(rate, rate > 0 && rate < 0.01 ? 2 : 1);
}

/** "1 in 100" for a prior of 0.01. */
function oneIn(prior: number): string {
  return `1 in ${Math.round(1 / prior).toLocaleString("en")}`;
}

/**
 * How the verdict is calibrated: the scorer's version and threshold on the fused scale, the
 * false-positive rate measured on real non-cover pairs with its confidence interval, the
 * assumed cover prior, and the calibration curve with the threshold marked.
 */
export function Calibration({ scorer, preview }: { scorer: Scorer; preview?: number }) {
  const p = scorer.provenance;
  const provisional = p.status === "provisional";
  const fit = p.threshold_fit;
  const negatives = fit?.negatives ?? p.negatives;
  // The prior the probability was fitted with (a provisional scorer states it only there).
  const prior = p.prior ?? scorer.probability.prior;
  const counted = scorer.components.filter((c) => (scorer.weights[c] ?? 0) > 0);

  return (
    <section className="card" aria-labelledby="calibration-title">
      <h2 id="calibration-title">How the verdict is calibrated</h2>
      {provisional && (
        <p className="notice" role="note" aria-label="Provisional scorer">
          <strong>Provisional scorer.</strong> Its scale and threshold are placeholders, not yet fitted on
          real non-cover pairs, so its false-positive rate is unknown: treat verdicts as indicative only.
          {p.note ? ` ${p.note}` : ""}
        </p>
      )}
      <p className="hint">
        Each piece of evidence is put on a common scale: how many standard deviations a pair stands above a
        typical pair of different songs. The fused score is their weighted mean; a pair is called a cover when
        it reaches the threshold.
      </p>
      <div className="calibration-grid">
        <dl className="facts" aria-label="Calibration">
          <div>
            <dt>Scorer</dt>
            <dd>
              <code>{scorer.version}</code>
            </dd>
          </div>
          <div>
            <dt>Threshold (fused score)</dt>
            <dd>{scorer.fused_threshold.toFixed(2)}</dd>
          </div>
          <div className="fact-wide">
            <dt>Evidence counted</dt>
            <dd>{counted.map(componentLabel).join(", ") || "none"}</dd>
          </div>
          <div>
            <dt>False-positive rate</dt>
            <dd>
              {fit && negatives ? (
                <>
                  {formatRate(fit.fpr)} on {negatives.toLocaleString("en")} real non-cover pairs
                  {p.tracks ? ` (${p.tracks.toLocaleString("en")} recordings)` : ""}, 95% CI{" "}
                  {formatRate(fit.interval[0])}–{formatRate(fit.interval[1])}
                </>
              ) : (
                "not measured yet"
              )}
            </dd>
          </div>
          {p.target_fpr ? (
            <div>
              <dt>Target</dt>
              <dd>at most {formatRate(p.target_fpr)} false positives</dd>
            </div>
          ) : null}
          <div>
            <dt>Assumed prior</dt>
            <dd>
              {prior ? `${oneIn(prior)} checked pairs is a cover (${formatRate(prior)})` : "not stated"}
            </dd>
          </div>
          {p.date || p.fitted_on ? (
            <div>
              <dt>Fitted</dt>
              <dd>{[p.date, p.fitted_on].filter(Boolean).join(", ")}</dd>
            </div>
          ) : null}
        </dl>
        {scorer.curve.length > 0 ? (
          <CalibrationChart
            curve={scorer.curve}
            threshold={scorer.fused_threshold}
            preview={preview}
            targetFpr={p.target_fpr}
          />
        ) : (
          <p className="muted">
            No calibration curve yet: it comes with the calibration on real non-cover pairs.
          </p>
        )}
      </div>
    </section>
  );
}
