import { useQuery } from "@tanstack/react-query";
import { api, isFinished } from "../api";
import { JobCard } from "../components/JobCard";
import { ErrorBox, Loading } from "../components/Status";
import { Link } from "../router";

const REFRESH_MS = 3000;

/** Home: library size, job counts, model version, and the most recent jobs. */
export function DashboardPage() {
  // While something is running, refresh so progress bars and counts move.
  const jobs = useQuery({
    queryKey: ["jobs", 8],
    queryFn: () => api.listJobs(8),
    refetchInterval: ({ state }) => (state.data?.items.some((j) => !isFinished(j)) ? REFRESH_MS : false),
  });
  const busy = jobs.data?.items.some((j) => !isFinished(j)) ?? false;
  const stats = useQuery({
    queryKey: ["stats"],
    queryFn: api.stats,
    refetchInterval: busy ? REFRESH_MS : false,
  });

  return (
    <section aria-labelledby="home-title">
      <header className="page-header">
        <div>
          <h1 id="home-title">Coverscope</h1>
          <p className="lede">
            Is this the same song? Compare recordings and rank your library by similarity.
          </p>
        </div>
        <div className="actions">
          <Link to="/add" className="button primary">
            Add songs
          </Link>
          <Link to="/check" className="button">
            Check a pair
          </Link>
        </div>
      </header>

      {stats.error ? (
        <ErrorBox error={stats.error} onRetry={() => void stats.refetch()} />
      ) : !stats.data ? (
        <Loading label="Loading counts…" />
      ) : (
        <dl className="stat-grid" aria-label="Counts">
          <Stat label="Songs" value={stats.data.songs} to="/library" />
          <Stat label="Jobs running" value={stats.data.jobs.running + stats.data.jobs.queued} />
          <Stat label="Jobs done" value={stats.data.jobs.done} />
          <Stat label="Jobs failed" value={stats.data.jobs.failed} />
          <Stat label="Model" value={stats.data.model_version} to="/model" />
        </dl>
      )}

      <section className="card" aria-labelledby="recent-jobs">
        <h2 id="recent-jobs">Recent jobs</h2>
        {jobs.error ? (
          <ErrorBox error={jobs.error} onRetry={() => void jobs.refetch()} />
        ) : !jobs.data ? (
          <Loading label="Loading jobs…" />
        ) : jobs.data.items.length === 0 ? (
          <p className="muted">
            No jobs yet. <Link to="/add">Add your first songs</Link> — paste YouTube URLs, upload audio files
            or record from the microphone.
          </p>
        ) : (
          <ul className="job-list">
            {jobs.data.items.map((job) => (
              <JobCard key={job.id} job={job} />
            ))}
          </ul>
        )}
      </section>

      <section className="card how" aria-labelledby="how-title">
        <h2 id="how-title">How it works</h2>
        <ol>
          <li>
            <Link to="/add">Add</Link> recordings: each is decoded, turned into chroma features and embedded.
          </li>
          <li>
            <Link to="/check">Check</Link> two songs: a verdict, its confidence, and the matched passages.
          </li>
          <li>
            <Link to="/rank">Rank</Link> the library against a song or a clip; explore it on the{" "}
            <Link to="/map">map</Link>.
          </li>
        </ol>
      </section>
    </section>
  );
}

function Stat({ label, value, to }: { label: string; value: number | string; to?: string }) {
  return (
    <div className="stat">
      <dt>{label}</dt>
      <dd className={typeof value === "string" ? "small" : undefined}>
        {to ? (
          <Link to={to} className="stat-link">
            {value}
          </Link>
        ) : (
          value
        )}
      </dd>
    </div>
  );
}
