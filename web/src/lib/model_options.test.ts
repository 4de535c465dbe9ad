import { describe, expect, it } from "vitest";
import { addModelOptions, checkModelOptions } from "./model_options";

describe("model options", () => {
  it("accept a blank or a temperature from 0 to 2", () => {
    for (const temperature of ["", " ", "0", "2", "0.7", ".5", "1.", " 1.25 "]) {
      expect(checkModelOptions({ temperature, provider: "" })).toEqual({});
    }
  });

  it("refuse anything else with a message naming the range", () => {
    for (const temperature of ["2.1", "-0.1", "abc", "1e0", "0,7", "Infinity", "0x1"]) {
      expect(checkModelOptions({ temperature, provider: "" }).temperature).toMatch(/from 0 to 2/);
    }
  });

  it("are sent only when filled", () => {
    expect(addModelOptions({ topic: "t" }, { temperature: "", provider: " " })).toEqual({ topic: "t" });
    expect(addModelOptions({}, { temperature: " 0.4 ", provider: " remote " })).toEqual({ temperature: 0.4, provider: "remote" });
    expect(addModelOptions({}, { temperature: "0", provider: "" })).toEqual({ temperature: 0 });
  });
});
