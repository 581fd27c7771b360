import { useEffect, useRef, useState } from "react";

interface RecorderProps {
  onRecorded: (clip: Blob, fileName: string) => void;
}

/** Records a clip from the microphone with MediaRecorder and hands it over as a file. */
export function Recorder({ onRecorded }: RecorderProps) {
  const [state, setState] = useState<"idle" | "recording" | "unsupported">(() =>
    typeof MediaRecorder === "undefined" || !navigator.mediaDevices ? "unsupported" : "idle",
  );
  const [seconds, setSeconds] = useState(0);
  const [error, setError] = useState<string>();
  const recorder = useRef<MediaRecorder | null>(null);

  useEffect(() => {
    if (state !== "recording") return;
    const timer = window.setInterval(() => setSeconds((s) => s + 1), 1000);
    return () => window.clearInterval(timer);
  }, [state]);

  useEffect(() => () => recorder.current?.stream.getTracks().forEach((t) => t.stop()), []);

  const start = async () => {
    setError(undefined);
    try {
      const stream = await navigator.mediaDevices.getUserMedia({ audio: true });
      const rec = new MediaRecorder(stream);
      const chunks: Blob[] = [];
      rec.ondataavailable = (e) => e.data.size && chunks.push(e.data);
      rec.onstop = () => {
        stream.getTracks().forEach((t) => t.stop());
        const type = rec.mimeType || "audio/webm";
        const ext = type.includes("ogg") ? "ogg" : type.includes("mp4") ? "m4a" : "webm";
        const stamp = new Date().toISOString().slice(0, 19).replace(/[:T]/g, "-");
        onRecorded(new Blob(chunks, { type }), `recording-${stamp}.${ext}`);
        setState("idle");
      };
      recorder.current = rec;
      rec.start();
      setSeconds(0);
      setState("recording");
    } catch {
      setError("The microphone is not available. Allow microphone access in the browser and try again.");
    }
  };

  if (state === "unsupported") {
    return <p className="muted">This browser cannot record audio. Upload a file instead.</p>;
  }
  return (
    <div className="recorder">
      {state === "recording" ? (
        <button type="button" className="button danger" onClick={() => recorder.current?.stop()}>
          ■ Stop and add ({seconds} s)
        </button>
      ) : (
        <button type="button" className="button" onClick={() => void start()}>
          ● Start recording
        </button>
      )}
      <p className="hint">Play the song near the microphone; 30 seconds or more works best.</p>
      {error && (
        <p className="form-error" role="alert">
          {error}
        </p>
      )}
    </div>
  );
}
