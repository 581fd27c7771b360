import { useEffect, useRef, useState } from "react";
import { UNAUTHORIZED_EVENT, getApiKey, setApiKey } from "../api";
import { useToast } from "./Toasts";

/**
 * Sign in: the server's API key (`X-API-Key`), kept in this browser only. Opens by itself, with
 * the field focused, when the server answers 401 (a write without the key, or private reads).
 */
export function Settings() {
  const notify = useToast();
  const [key, setKey] = useState(getApiKey);
  const [open, setOpen] = useState(false);
  const [refused, setRefused] = useState(false);
  const input = useRef<HTMLInputElement>(null);

  useEffect(() => {
    const onRefused = () => {
      setRefused(true);
      setOpen(true);
      input.current?.focus();
    };
    window.addEventListener(UNAUTHORIZED_EVENT, onRefused);
    return () => window.removeEventListener(UNAUTHORIZED_EVENT, onRefused);
  }, []);

  return (
    <details className="settings" open={open} onToggle={(e) => setOpen(e.currentTarget.open)}>
      <summary>{getApiKey() ? "API key" : "Sign in"}</summary>
      <form
        onSubmit={(e) => {
          e.preventDefault();
          setApiKey(key.trim());
          setRefused(false);
          notify(key.trim() ? "Signed in: the key is kept in this browser." : "Signed out.", "success");
        }}
      >
        {refused && <p role="status">The server asks for its API key.</p>}
        <label htmlFor="api-key">API key</label>
        <input
          ref={input}
          id="api-key"
          type="password"
          autoComplete="off"
          value={key}
          onChange={(e) => setKey(e.target.value)}
          placeholder="Paste the key from the server"
        />
        <button type="submit" className="button small">
          Sign in
        </button>
      </form>
    </details>
  );
}
