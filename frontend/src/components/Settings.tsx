import { useState } from "react";
import { getApiKey, setApiKey } from "../api";
import { useToast } from "./Toasts";

/** The API key for servers that protect writes (`X-API-Key`), kept in this browser only. */
export function Settings() {
  const notify = useToast();
  const [key, setKey] = useState(getApiKey);
  return (
    <details className="settings">
      <summary>Settings</summary>
      <form
        onSubmit={(e) => {
          e.preventDefault();
          setApiKey(key.trim());
          notify(key.trim() ? "API key saved in this browser." : "API key removed.", "success");
        }}
      >
        <label htmlFor="api-key">API key</label>
        <input
          id="api-key"
          type="password"
          autoComplete="off"
          value={key}
          onChange={(e) => setKey(e.target.value)}
          placeholder="Only if the server asks for one"
        />
        <button type="submit" className="button small">
          Save key
        </button>
      </form>
    </details>
  );
}
