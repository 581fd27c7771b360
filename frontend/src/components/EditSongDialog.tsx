import { useState } from "react";
import { api, errorMessage, type Song } from "../api";
import { Modal } from "./Modal";

interface EditSongDialogProps {
  song: Song;
  onClose: () => void;
  onSaved: (song: Song) => void;
}

/** Edit a song's title, artist, tags and notes (`PATCH /api/songs/<id>`). */
export function EditSongDialog({ song, onClose, onSaved }: EditSongDialogProps) {
  const [title, setTitle] = useState(song.title);
  const [artist, setArtist] = useState(song.artist);
  const [tags, setTags] = useState(song.tags.join(", "));
  const [notes, setNotes] = useState(song.notes);
  const [saving, setSaving] = useState(false);
  const [error, setError] = useState<string>();

  const save = async () => {
    setSaving(true);
    setError(undefined);
    try {
      const tagList = tags
        .split(",")
        .map((t) => t.trim())
        .filter(Boolean);
      onSaved(
        await api.updateSong(song.id, { title: title.trim(), artist: artist.trim(), tags: tagList, notes }),
      );
    } catch (err) {
      setError(errorMessage(err));
      setSaving(false);
    }
  };

  return (
    <Modal
      title="Edit song"
      onClose={onClose}
      footer={
        <>
          <button type="button" className="button" onClick={onClose}>
            Cancel
          </button>
          <button
            type="submit"
            form="edit-song"
            className="button primary"
            disabled={saving || !title.trim()}
          >
            {saving ? "Saving…" : "Save"}
          </button>
        </>
      }
    >
      <form
        id="edit-song"
        className="form-grid"
        onSubmit={(e) => {
          e.preventDefault();
          void save();
        }}
      >
        <label htmlFor="edit-title">Title</label>
        <input id="edit-title" value={title} onChange={(e) => setTitle(e.target.value)} required />
        <label htmlFor="edit-artist">Artist</label>
        <input id="edit-artist" value={artist} onChange={(e) => setArtist(e.target.value)} />
        <label htmlFor="edit-tags">Tags</label>
        <input
          id="edit-tags"
          value={tags}
          onChange={(e) => setTags(e.target.value)}
          placeholder="comma, separated"
        />
        <label htmlFor="edit-notes">Notes</label>
        <textarea id="edit-notes" rows={3} value={notes} onChange={(e) => setNotes(e.target.value)} />
        {error && (
          <p className="form-error" role="alert">
            {error}
          </p>
        )}
      </form>
    </Modal>
  );
}
