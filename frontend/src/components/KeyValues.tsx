/** Renders a nested JSON object as a compact definition list. */
export function KeyValues({
  data,
  empty,
}: {
  data: Record<string, unknown> | undefined | null;
  empty: string;
}) {
  const entries = Object.entries(data ?? {});
  if (entries.length === 0) return <p className="muted">{empty}</p>;
  return (
    <dl className="kv">
      {entries.map(([key, value]) => (
        <div key={key}>
          <dt>{key.replace(/_/g, " ")}</dt>
          <dd>{renderValue(value)}</dd>
        </div>
      ))}
    </dl>
  );
}

function renderValue(value: unknown) {
  if (value === null || value === undefined) return "–";
  if (typeof value === "number") return Number.isInteger(value) ? value : value.toFixed(4);
  if (typeof value === "boolean") return value ? "yes" : "no";
  if (Array.isArray(value)) {
    return value.every((v) => typeof v !== "object") ? (
      value.join(", ")
    ) : (
      <KeyValues data={Object.fromEntries(value.map((v, i) => [String(i + 1), v]))} empty="–" />
    );
  }
  if (typeof value === "object") return <KeyValues data={value as Record<string, unknown>} empty="–" />;
  return String(value);
}
