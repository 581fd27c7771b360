// Synthetic test tunes, written as 16-bit mono WAV: a melody over a chord progression with
// harmonics, so chroma features carry the tune. A transposed, re-voiced copy plays the cover.
import { writeFileSync } from "node:fs";

const RATE = 22050;

/** A seeded pseudo-random generator (mulberry32), so every run writes the same files. */
function rng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const midiToHz = (m) => 440 * 2 ** ((m - 69) / 12);

/**
 * Render a tune. `melody` and `chords` are MIDI note lists; one melody note per `beat` seconds,
 * one chord per four beats. `harmonics` are the partial amplitudes (timbre).
 */
function render({ melody, chords, beat, seconds, transpose = 0, harmonics, seed }) {
  const n = Math.round(seconds * RATE);
  const out = new Float32Array(n);
  const noise = rng(seed);
  const note = (midi, start, length, gain) => {
    const f = midiToHz(midi + transpose);
    const s0 = Math.round(start * RATE);
    const len = Math.min(Math.round(length * RATE), n - s0);
    for (let i = 0; i < len; i++) {
      const t = i / RATE;
      const env = Math.min(1, t / 0.02) * Math.exp((-2.5 * t) / length);
      let v = 0;
      for (let h = 0; h < harmonics.length; h++) v += harmonics[h] * Math.sin(2 * Math.PI * f * (h + 1) * t);
      out[s0 + i] += gain * env * v;
    }
  };
  const beats = Math.floor(seconds / beat);
  for (let b = 0; b < beats; b++) {
    note(melody[b % melody.length], b * beat, beat * 0.95, 0.35);
    if (b % 4 === 0) for (const c of chords[(b / 4) % chords.length]) note(c, b * beat, beat * 4, 0.12);
  }
  let peak = 0;
  for (let i = 0; i < n; i++) {
    out[i] += 0.01 * (noise() - 0.5);
    peak = Math.max(peak, Math.abs(out[i]));
  }
  const data = Buffer.alloc(44 + n * 2);
  data.write("RIFF", 0);
  data.writeUInt32LE(36 + n * 2, 4);
  data.write("WAVEfmt ", 8);
  data.writeUInt32LE(16, 16);
  data.writeUInt16LE(1, 20); // PCM
  data.writeUInt16LE(1, 22); // mono
  data.writeUInt32LE(RATE, 24);
  data.writeUInt32LE(RATE * 2, 28);
  data.writeUInt16LE(2, 32);
  data.writeUInt16LE(16, 34);
  data.write("data", 36);
  data.writeUInt32LE(n * 2, 40);
  for (let i = 0; i < n; i++) data.writeInt16LE(Math.round((out[i] / peak) * 0.8 * 32767), 44 + i * 2);
  return data;
}

// "Morning Song": C major, I-vi-IV-V.
const MORNING = {
  melody: [64, 67, 72, 71, 69, 67, 64, 62, 60, 64, 65, 67, 69, 67, 65, 64],
  chords: [
    [48, 52, 55],
    [45, 48, 52],
    [41, 45, 48],
    [43, 47, 50],
  ],
};
// "Evening Waltz": a different tune in A minor with another progression.
const EVENING = {
  melody: [69, 68, 69, 76, 74, 72, 71, 72, 74, 65, 64, 62, 60, 59, 57, 64],
  chords: [
    [45, 48, 52],
    [40, 44, 47],
    [38, 41, 45],
    [44, 47, 50],
  ],
};

/** Write the three test recordings into `dir`; returns their file names. */
export function writeTunes(dir, seconds = 15) {
  const files = {
    original: "morning-song.wav",
    cover: "Morning Song (live in D).wav",
    other: "evening-waltz.wav",
  };
  writeFileSync(
    `${dir}/${files.original}`,
    render({ ...MORNING, beat: 0.4, seconds, harmonics: [1, 0.5, 0.25, 0.12], seed: 1 }),
  );
  // The cover: two semitones up, a bit slower, brighter timbre.
  writeFileSync(
    `${dir}/${files.cover}`,
    render({ ...MORNING, beat: 0.44, seconds, transpose: 2, harmonics: [1, 0.2, 0.45, 0.05, 0.2], seed: 2 }),
  );
  writeFileSync(
    `${dir}/${files.other}`,
    render({ ...EVENING, beat: 0.33, seconds, harmonics: [1, 0.4, 0.3, 0.1], seed: 3 }),
  );
  return files;
}
