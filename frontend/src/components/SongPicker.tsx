import { useEffect, useId, useState } from "react";
import { api, type Song } from "../api";
import { songLabel } from "../format";

interface SongPickerProps {
  label: string;
  value: string | undefined;
  onChange: (song: Song | undefined) => void;
  /** Focus this picker on mount, e.g. the second song when the first came from a link. */
  autoFocus?: boolean;
}

/** A searchable combobox over the library (`GET /api/songs?q=`). */
export function SongPicker({ label, value, onChange, autoFocus }: SongPickerProps) {
  const inputId = useId();
  const listId = useId();
  const [text, setText] = useState("");
  const [open, setOpen] = useState(false);
  const [options, setOptions] = useState<Song[]>([]);
  const [active, setActive] = useState(0);
  const [searching, setSearching] = useState(false);

  // Show the chosen song's label when the value comes from the URL.
  useEffect(() => {
    if (!value) return;
    let stale = false;
    api.getSong(value).then(
      (song) => !stale && setText(songLabel(song)),
      () => !stale && setText(""),
    );
    return () => {
      stale = true;
    };
  }, [value]);

  useEffect(() => {
    if (!open) return;
    let stale = false;
    setSearching(true);
    const timer = window.setTimeout(() => {
      api.listSongs({ q: text.includes(" — ") ? "" : text, per_page: 8, sort: "title", order: "asc" }).then(
        (page) => {
          if (stale) return;
          setOptions(page.items);
          setActive(0);
          setSearching(false);
        },
        () => !stale && setSearching(false),
      );
    }, 200);
    return () => {
      stale = true;
      window.clearTimeout(timer);
    };
  }, [text, open]);

  const choose = (song: Song) => {
    setText(songLabel(song));
    setOpen(false);
    onChange(song);
  };

  return (
    <div className="picker">
      <label htmlFor={inputId}>{label}</label>
      <input
        id={inputId}
        type="text"
        role="combobox"
        aria-expanded={open}
        aria-controls={listId}
        aria-autocomplete="list"
        autoComplete="off"
        autoFocus={autoFocus}
        placeholder="Search by title or artist…"
        value={text}
        onFocus={() => setOpen(true)}
        onBlur={() => window.setTimeout(() => setOpen(false), 150)}
        onChange={(e) => {
          setText(e.target.value);
          setOpen(true);
          if (!e.target.value) onChange(undefined);
        }}
        onKeyDown={(e) => {
          if (e.key === "ArrowDown") setActive((i) => Math.min(i + 1, options.length - 1));
          else if (e.key === "ArrowUp") setActive((i) => Math.max(i - 1, 0));
          else if (e.key === "Enter" && open && options[active]) {
            e.preventDefault();
            choose(options[active]);
          } else if (e.key === "Escape") setOpen(false);
        }}
      />
      {open && (
        <ul className="picker-list" role="listbox" id={listId} aria-label={`${label} options`}>
          {options.map((song, i) => (
            <li
              key={song.id}
              role="option"
              aria-selected={i === active}
              className={i === active ? "active" : undefined}
              onMouseDown={(e) => {
                e.preventDefault();
                choose(song);
              }}
            >
              {songLabel(song)}
            </li>
          ))}
          {!searching && options.length === 0 && <li className="picker-empty">No songs match.</li>}
        </ul>
      )}
    </div>
  );
}
