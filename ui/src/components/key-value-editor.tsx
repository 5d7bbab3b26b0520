export type Pair = [string, string]

type Props = {
  legend: string
  /** Singular, for the input labels: "variable" gives "variable name 1". */
  noun: string
  pairs: Pair[]
  onChange: (pairs: Pair[]) => void
  error?: string | undefined
  errorId?: string
}

/** Name/value rows for env vars, labels and annotations; a row left empty is ignored. */
export function KeyValueEditor({ legend, noun, pairs, onChange, error, errorId }: Props) {
  const set = (index: number, column: 0 | 1, value: string) =>
    onChange(
      pairs.map((pair, i) => (i === index ? (column === 0 ? [value, pair[1]] : [pair[0], value]) : pair)),
    )
  return (
    <fieldset class="pairs" aria-describedby={error ? errorId : undefined}>
      <legend>{legend}</legend>
      {pairs.map(([key, value], i) => (
        <div class="pair" key={i}>
          <input
            aria-label={`${noun} name ${i + 1}`}
            value={key}
            spellcheck={false}
            autocomplete="off"
            onInput={(e) => set(i, 0, e.currentTarget.value)}
          />
          <input
            aria-label={`${noun} value ${i + 1}`}
            value={value}
            spellcheck={false}
            autocomplete="off"
            onInput={(e) => set(i, 1, e.currentTarget.value)}
          />
          <button
            type="button"
            aria-label={`remove ${noun} ${i + 1}`}
            onClick={() => onChange(pairs.filter((_, j) => j !== i))}
          >
            ×
          </button>
        </div>
      ))}
      <button type="button" onClick={() => onChange([...pairs, ['', '']])}>
        Add {noun}
      </button>
      {error && (
        <p class="field-error" id={errorId}>
          {error}
        </p>
      )}
    </fieldset>
  )
}
