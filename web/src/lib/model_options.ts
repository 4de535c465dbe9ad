// The optional model settings every studio generation request takes (docs/api.md, "Studio"): a
// temperature 0..2 and a configured provider's name. Each is sent only when filled, so a blank
// field leaves the server's default; a bad temperature is caught here, before a job is queued.
export interface ModelOptionsForm {
  temperature: string;
  provider: string;
}

export const MODEL_OPTION_FIELDS = ["temperature", "provider"] as const;

// A plain decimal ("0.7", ".5", "2"): no exponent, sign or comma, which Number() would read otherwise.
const DECIMAL = /^(\d+(\.\d*)?|\.\d+)$/;

export function checkModelOptions(form: ModelOptionsForm): Record<string, string> {
  const text = form.temperature.trim();
  if (text === "") return {};
  const value = Number(text);
  if (DECIMAL.test(text) && value >= 0 && value <= 2) return {};
  return { temperature: `The temperature must be a number from 0 to 2, such as 0.7 (or blank for the default); "${text}" is not.` };
}

// Adds the filled settings to a request body (after checkModelOptions found nothing).
export function addModelOptions(body: Record<string, unknown>, form: ModelOptionsForm): Record<string, unknown> {
  if (form.temperature.trim() !== "") body.temperature = Number(form.temperature.trim());
  if (form.provider.trim() !== "") body.provider = form.provider.trim();
  return body;
}
