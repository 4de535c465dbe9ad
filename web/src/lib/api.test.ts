import { describe, expect, it } from "vitest";
import { Api, ApiError, errorFromBody } from "./api";

describe("api errors", () => {
  it("read the server's message and field", () => {
    const error = errorFromBody(400, '{"error":{"code":"invalid_argument","message":"data.name: is required","field":"data.name"}}');
    expect(error.message).toBe("data.name: is required");
    expect(error.field).toBe("data.name");
    expect(error.code).toBe("invalid_argument");
  });

  it("explain a bare status", () => {
    expect(errorFromBody(401, "").message).toMatch(/API key/);
    expect(errorFromBody(418, "<html>").message).toBe("The server answered 418.");
  });

  it("turn a network failure into a readable error and send the key and end user", async () => {
    const seen: RequestInit[] = [];
    const api = new Api("secret", "tim", async (_input, init) => {
      seen.push(init!);
      throw new TypeError("Failed to fetch");
    });
    await expect(api.json("GET", "/api/v1/me")).rejects.toEqual(new ApiError("The server cannot be reached. Check your connection.", 0, "network", ""));
    expect(seen[0].headers).toEqual({ Authorization: "Bearer secret", "X-Troupe-User": "tim" });
  });

  it("follow cursors through every page", async () => {
    const pages: Record<string, string> = {
      "/api/v1/characters?limit=200": '{"data":[1,2],"next_cursor":"c2"}',
      "/api/v1/characters?limit=200&cursor=c2": '{"data":[3],"next_cursor":null}',
    };
    const api = new Api("k", "", async (input) => new Response(pages[input], { status: 200 }));
    expect(await api.all<number>("/api/v1/characters")).toEqual([1, 2, 3]);
  });
});
