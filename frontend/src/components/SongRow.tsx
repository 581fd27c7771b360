import { audioUrl, type ListedSong, type Song } from "../api";
import { formatDate, formatDuration, songLabel } from "../format";
import { Link } from "../router";

interface SongRowProps {
  /** A listed song carries its confirmed versions and cover group. */
  song: Song | ListedSong;
  columns: number;
  selected: boolean;
  playing: boolean;
  onToggle: () => void;
  onPlay: () => void;
  onEdit: () => void;
  onDelete: () => void;
}

/** One library row: selection, metadata, source link, actions, and the preview player under it. */
export function SongRow({
  song,
  columns,
  selected,
  playing,
  onToggle,
  onPlay,
  onEdit,
  onDelete,
}: SongRowProps) {
  return (
    <>
      <tr aria-selected={selected}>
        <td className="col-check">
          <input
            type="checkbox"
            aria-label={`Select ${songLabel(song)}`}
            checked={selected}
            onChange={onToggle}
          />
        </td>
        <td data-label="Title">
          <Link to="/rank" params={{ song: song.id }} className="song-title">
            {song.title || "Untitled"}
          </Link>
          {"versions" in song && song.versions > 0 && (
            <Link
              to="/rank"
              params={{ song: song.id }}
              className="badge badge-cover versions-badge"
              title={`Confirmed versions of this song in the library${
                song.group !== null && song.group !== undefined ? ` (cover group ${song.group + 1})` : ""
              }`}
            >
              {song.versions === 1 ? "1 version" : `${song.versions} versions`}
            </Link>
          )}
          {song.tags.length > 0 && (
            <span className="tags">
              {song.tags.map((t) => (
                <span key={t} className="tag">
                  {t}
                </span>
              ))}
            </span>
          )}
        </td>
        <td data-label="Artist">{song.artist || "–"}</td>
        <td data-label="Source">
          {song.url ? (
            <a href={song.url} target="_blank" rel="noreferrer noopener" className="link">
              {song.source === "youtube" ? "YouTube" : song.source || "link"} ↗
            </a>
          ) : (
            <span className="muted" title={song.filename ?? undefined}>
              {song.source || "upload"}
            </span>
          )}
        </td>
        <td data-label="Duration">{formatDuration(song.duration)}</td>
        <td data-label="Added">{formatDate(song.created_at)}</td>
        <td data-label="Model">
          <code>{song.model_version}</code>
        </td>
        <td>
          <div className="row-actions">
            <button
              type="button"
              className="button small"
              aria-label={`${playing ? "Hide player for" : "Preview"} ${songLabel(song)}`}
              aria-expanded={playing}
              onClick={onPlay}
            >
              {playing ? "■" : "▶"}
            </button>
            <Link
              to="/check"
              params={{ a: song.id }}
              className="button small"
              aria-label={`Check ${songLabel(song)} against another song`}
            >
              Check
            </Link>
            <button
              type="button"
              className="button small"
              aria-label={`Edit ${songLabel(song)}`}
              onClick={onEdit}
            >
              Edit
            </button>
            <button
              type="button"
              className="button small danger"
              aria-label={`Delete ${songLabel(song)}`}
              onClick={onDelete}
            >
              Delete
            </button>
          </div>
        </td>
      </tr>
      {playing && (
        <tr className="player-row">
          <td colSpan={columns}>
            <audio
              controls
              autoPlay
              preload="none"
              src={audioUrl(song)}
              aria-label={`Audio preview of ${songLabel(song)}`}
            />
          </td>
        </tr>
      )}
    </>
  );
}
