import { useQuery } from "@tanstack/react-query";
import { api } from "../api";
import { ScatterMap, groupColour } from "../components/ScatterMap";
import { EmptyState, ErrorBox, Loading } from "../components/Status";
import { Link, navigate } from "../router";

/** The library as a 2-D map of embeddings; cover groups share a colour. */
export function MapPage() {
  const map = useQuery({ queryKey: ["map"], queryFn: api.map });
  const points = map.data?.points ?? [];
  const groups = new Map<number, number>();
  for (const p of points) groups.set(p.group, (groups.get(p.group) ?? 0) + 1);
  // A group of one is not a cover group: draw it grey like ungrouped songs.
  const shown = points.map((p) => ((groups.get(p.group) ?? 0) > 1 ? p : { ...p, group: -1 }));
  const coverGroups = [...groups.entries()].filter(([g, n]) => g >= 0 && n > 1).sort((x, y) => x[0] - y[0]);

  return (
    <section aria-labelledby="map-title">
      <header className="page-header">
        <div>
          <h1 id="map-title">Map</h1>
          <p className="lede">
            Each point is a song; close points sound alike. Colours are cover groups: songs every pair of
            which the fused scorer confirmed as versions of one another.
          </p>
        </div>
      </header>
      {map.error ? (
        <ErrorBox error={map.error} onRetry={() => void map.refetch()} />
      ) : !map.data ? (
        <Loading label="Computing the map…" />
      ) : points.length === 0 ? (
        <EmptyState title="Nothing to map yet">
          <p>
            <Link to="/add">Add a few songs</Link>; the map shows how they cluster.
          </p>
        </EmptyState>
      ) : (
        <div className="card">
          <ScatterMap points={shown} onOpen={(p) => navigate("/rank", { song: p.song.id })} />
          <ul className="legend" aria-label="Cover groups">
            {coverGroups.map(([g, n]) => (
              <li key={g}>
                <span className="swatch" style={{ background: groupColour(g) }} />
                Group {g + 1} · {n} songs
              </li>
            ))}
            <li>
              <span className="swatch" style={{ background: groupColour(-1) }} />
              Single songs
            </li>
          </ul>
        </div>
      )}
    </section>
  );
}
