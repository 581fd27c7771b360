import { keepPreviousData, useQuery } from "@tanstack/react-query";
import { useEffect, useState } from "react";
import { api, errorMessage, type Song, type SortField, type SortOrder } from "../api";
import { EditSongDialog } from "../components/EditSongDialog";
import { ConfirmDialog } from "../components/Modal";
import { Pager } from "../components/Pager";
import { SongRow } from "../components/SongRow";
import { EmptyState, ErrorBox, Loading } from "../components/Status";
import { useToast } from "../components/Toasts";
import { songLabel } from "../format";
import { Link, type Route } from "../router";

const PER_PAGE = 20;

const COLUMNS: { field: SortField | null; label: string }[] = [
  { field: "title", label: "Title" },
  { field: "artist", label: "Artist" },
  { field: null, label: "Source" },
  { field: "duration", label: "Duration" },
  { field: "created_at", label: "Added" },
  { field: null, label: "Model" },
];

/** The song library: search, sort, page, preview, edit, delete. */
export function LibraryPage({ route }: { route: Route }) {
  const notify = useToast();
  const [search, setSearch] = useState(route.params.get("q") ?? "");
  const [q, setQ] = useState(search);
  const [page, setPage] = useState(1);
  const [sort, setSort] = useState<SortField>("created_at");
  const [order, setOrder] = useState<SortOrder>("desc");
  const [selected, setSelected] = useState<Set<string>>(new Set());
  const [playing, setPlaying] = useState<string>();
  const [editing, setEditing] = useState<Song>();
  const [deleting, setDeleting] = useState<Song[]>();
  const [busy, setBusy] = useState(false);

  useEffect(() => {
    const timer = window.setTimeout(() => {
      setQ(search.trim());
      setPage(1);
    }, 250);
    return () => window.clearTimeout(timer);
  }, [search]);

  const songs = useQuery({
    queryKey: ["songs", { q, page, sort, order }],
    queryFn: () => api.listSongs({ q, page, per_page: PER_PAGE, sort, order }),
    placeholderData: keepPreviousData,
  });
  const items = songs.data?.items ?? [];

  // A selection belongs to the page of results it was made on.
  useEffect(() => setSelected(new Set()), [q, page, sort, order]);
  const allSelected = items.length > 0 && items.every((s) => selected.has(s.id));

  const sortBy = (field: SortField) => {
    if (field === sort) setOrder(order === "asc" ? "desc" : "asc");
    else {
      setSort(field);
      setOrder(field === "created_at" || field === "duration" ? "desc" : "asc");
    }
    setPage(1);
  };

  const toggle = (id: string) =>
    setSelected((current) => {
      const next = new Set(current);
      if (next.has(id)) next.delete(id);
      else next.add(id);
      return next;
    });

  const confirmDelete = async () => {
    if (!deleting) return;
    setBusy(true);
    try {
      if (deleting.length === 1) {
        await api.deleteSong(deleting[0].id);
        notify(`Deleted “${songLabel(deleting[0])}”.`, "success");
      } else {
        const { deleted } = await api.deleteSongs(deleting.map((s) => s.id));
        notify(`Deleted ${deleted} songs.`, "success");
      }
      setSelected(new Set());
      setDeleting(undefined);
      // Emptied the last page: step back instead of showing "no songs match".
      if (page > 1 && deleting.length >= items.length) setPage(page - 1);
      else void songs.refetch();
    } catch (err) {
      notify(`Could not delete: ${errorMessage(err)}`, "error");
    } finally {
      setBusy(false);
    }
  };

  const isEmptyLibrary = songs.data && songs.data.total === 0 && !q;

  return (
    <section aria-labelledby="library-title">
      <header className="page-header">
        <div>
          <h1 id="library-title">Library</h1>
          <p className="lede">
            {songs.data ? `${songs.data.total} song${songs.data.total === 1 ? "" : "s"}` : "Your songs"}
          </p>
        </div>
        <div className="actions">
          <Link to="/add" className="button primary">
            Add songs
          </Link>
        </div>
      </header>

      <div className="toolbar">
        <label htmlFor="library-search" className="visually-hidden">
          Search songs
        </label>
        <input
          id="library-search"
          type="search"
          placeholder="Search title, artist, tags…"
          value={search}
          onChange={(e) => setSearch(e.target.value)}
        />
        <label htmlFor="library-sort" className="visually-hidden">
          Sort by
        </label>
        <select
          id="library-sort"
          value={`${sort}:${order}`}
          onChange={(e) => {
            const [field, dir] = e.target.value.split(":") as [SortField, SortOrder];
            setSort(field);
            setOrder(dir);
            setPage(1);
          }}
        >
          <option value="created_at:desc">Newest first</option>
          <option value="created_at:asc">Oldest first</option>
          <option value="title:asc">Title A–Z</option>
          <option value="title:desc">Title Z–A</option>
          <option value="artist:asc">Artist A–Z</option>
          <option value="duration:desc">Longest first</option>
          <option value="duration:asc">Shortest first</option>
        </select>
        {selected.size > 0 && (
          <button
            type="button"
            className="button danger"
            onClick={() => setDeleting(items.filter((s) => selected.has(s.id)))}
          >
            Delete selected ({selected.size})
          </button>
        )}
        {selected.size === 2 && (
          <Link to="/check" params={{ a: [...selected][0], b: [...selected][1] }} className="button">
            Compare selected
          </Link>
        )}
      </div>

      {songs.error ? (
        <ErrorBox error={songs.error} onRetry={() => void songs.refetch()} />
      ) : !songs.data ? (
        <Loading label="Loading songs…" />
      ) : isEmptyLibrary ? (
        <EmptyState title="Your library is empty">
          <p>
            Start by adding recordings: paste one or more YouTube URLs, upload audio files, or record a clip
            from your microphone. Each one is analysed in the background; then you can check pairs for covers
            and rank the library by similarity.
          </p>
          <Link to="/add" className="button primary">
            Add your first songs
          </Link>
        </EmptyState>
      ) : items.length === 0 ? (
        <EmptyState title="No songs match">
          <p>Nothing matches “{q}”. Try another word or clear the search.</p>
        </EmptyState>
      ) : (
        <>
          <div className={`table-wrap${songs.isFetching ? " is-loading" : ""}`}>
            <table className="songs" aria-label="Songs">
              <thead>
                <tr>
                  <th scope="col" className="col-check">
                    <input
                      type="checkbox"
                      aria-label="Select all songs on this page"
                      checked={allSelected}
                      onChange={() => setSelected(allSelected ? new Set() : new Set(items.map((s) => s.id)))}
                    />
                  </th>
                  {COLUMNS.map((col) => (
                    <th
                      key={col.label}
                      scope="col"
                      aria-sort={
                        col.field === sort ? (order === "asc" ? "ascending" : "descending") : undefined
                      }
                    >
                      {col.field ? (
                        <button type="button" className="sort-button" onClick={() => sortBy(col.field!)}>
                          {col.label}
                          <span aria-hidden="true">
                            {col.field === sort ? (order === "asc" ? " ▲" : " ▼") : ""}
                          </span>
                        </button>
                      ) : (
                        col.label
                      )}
                    </th>
                  ))}
                  <th scope="col">Actions</th>
                </tr>
              </thead>
              <tbody>
                {items.map((song) => (
                  <SongRow
                    key={song.id}
                    song={song}
                    columns={COLUMNS.length + 2}
                    selected={selected.has(song.id)}
                    playing={playing === song.id}
                    onToggle={() => toggle(song.id)}
                    onPlay={() => setPlaying(playing === song.id ? undefined : song.id)}
                    onEdit={() => setEditing(song)}
                    onDelete={() => setDeleting([song])}
                  />
                ))}
              </tbody>
            </table>
          </div>
          <Pager page={page} perPage={PER_PAGE} total={songs.data.total} onPage={setPage} />
        </>
      )}

      {editing && (
        <EditSongDialog
          song={editing}
          onClose={() => setEditing(undefined)}
          onSaved={(song) => {
            setEditing(undefined);
            notify(`Saved “${songLabel(song)}”.`, "success");
            void songs.refetch();
          }}
        />
      )}
      {deleting && (
        <ConfirmDialog
          title={deleting.length === 1 ? "Delete song?" : `Delete ${deleting.length} songs?`}
          message={
            deleting.length === 1
              ? `“${songLabel(deleting[0])}” and its features will be removed from the library. This cannot be undone.`
              : `${deleting.length} songs and their features will be removed from the library. This cannot be undone.`
          }
          confirmLabel="Delete"
          busy={busy}
          onConfirm={() => void confirmDelete()}
          onCancel={() => setDeleting(undefined)}
        />
      )}
    </section>
  );
}
