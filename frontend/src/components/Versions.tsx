import { useQuery } from "@tanstack/react-query";
import { Fragment } from "react";
import { api, type Song } from "../api";
import { formatPercent, songLabel } from "../format";
import { Link } from "../router";

/** The song's versions in the library: its confirmed pairs in the neighbour graph. */
export function Versions({ song }: { song: Song }) {
  const versions = useQuery({ queryKey: ["versions", song.id], queryFn: () => api.songVersions(song.id) });
  if (!versions.data) return null;
  const found = versions.data.versions;
  return (
    <div className="versions" role="group" aria-label="Versions">
      {found.length === 0 ? (
        <p className="muted">No confirmed versions of this song in the library yet.</p>
      ) : (
        <p>
          {found.length === 1 ? "1 version" : `${found.length} versions`} in the library:{" "}
          {found.map((v, i) => (
            <Fragment key={v.song.id}>
              {i > 0 && ", "}
              <Link to="/rank" params={{ song: v.song.id }} title={`fused score ${v.fused.toFixed(2)}`}>
                {songLabel(v.song)}
              </Link>{" "}
              <span className="muted">({formatPercent(v.probability)})</span>
            </Fragment>
          ))}
        </p>
      )}
    </div>
  );
}
