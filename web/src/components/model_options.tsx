// The Advanced part of the studio's generation forms (the wizard's brief, the flow generator and
// optimizer): collapsed by default, opened by itself when one of its fields has an error, since a
// message inside a closed <details> is a message nobody reads.
import type { ComponentChildren } from "preact";
import { useEffect, useState } from "preact/hooks";
import type { ModelOptionsForm } from "../lib/model_options";

export function AdvancedOptions({ hasError, children }: { hasError: boolean; children: ComponentChildren }) {
  const [open, setOpen] = useState(false);
  useEffect(() => { if (hasError) setOpen(true); }, [hasError]);
  return (
    <details class="advanced" open={open} onToggle={(e) => setOpen((e.currentTarget as HTMLDetailsElement).open)}>
      <summary>Advanced</summary>
      {children}
    </details>
  );
}

// Temperature and provider, each with its error beside it. namePrefix keeps the names apart when
// two forms share a page; defaultTemperature is the server's, shown as the placeholder.
export function ModelOptionsFields({ namePrefix = "", form, errors, defaultTemperature, onChange, onKeyDown }: {
  namePrefix?: string; form: ModelOptionsForm; errors: Record<string, string>; defaultTemperature: string;
  onChange: (form: ModelOptionsForm) => void; onKeyDown?: (e: KeyboardEvent) => void;
}) {
  const field = (key: keyof ModelOptionsForm) => {
    const errorId = `${namePrefix}${key}-error`;
    return {
      input: {
        name: `${namePrefix}${key}`, value: form[key], onKeyDown, "aria-invalid": errors[key] ? true : undefined,
        "aria-describedby": errors[key] ? errorId : undefined,
        onInput: (e: Event) => onChange({ ...form, [key]: (e.target as HTMLInputElement).value }),
      },
      error: errors[key] && <span id={errorId} class="field-error" role="alert">{errors[key]}</span>,
    };
  };
  const temperature = field("temperature");
  const provider = field("provider");
  return (
    <>
      {/* Text, not type=number: a number input reports "abc" as blank, which would send nothing silently. */}
      <label>Temperature <span class="hint">(0 to 2)</span>
        <input {...temperature.input} inputMode="decimal" class="narrow" placeholder={defaultTemperature} />{temperature.error}
      </label>
      <label>Provider <span class="hint">(a configured provider's name)</span>
        <input {...provider.input} placeholder="the default" autocomplete="off" />{provider.error}
      </label>
    </>
  );
}
