// The live feed (/api/v1/events), kept open: after a network drop it reconnects with a growing
// pause, and every (re)connection calls onReady so the page refetches what it may have missed
// (events are not replayed).
import type { Api } from "./api";
import type { SseEvent } from "./sse";

export interface LiveFeed {
  close(): void;
}

export function openLiveFeed(api: Api, onEvent: (event: SseEvent) => void, onReady: () => void,
                             onState: (connected: boolean) => void = () => {}): LiveFeed {
  let closed = false;
  let controller = new AbortController();
  let pause = 500;
  let timer: ReturnType<typeof setTimeout> | undefined;

  const connect = async () => {
    controller = new AbortController();
    try {
      await api.stream("GET", "/api/v1/events", undefined, (event) => {
        if (event.type === "ready") {
          pause = 500;
          onState(true);
          onReady();
          return;
        }
        onEvent(event);
      }, controller.signal);
    } catch {
      // dropped, refused or aborted: retried below unless closed
    }
    onState(false);
    if (closed) return;
    timer = setTimeout(connect, pause);
    pause = Math.min(pause * 2, 15_000);
  };
  void connect();
  return {
    close() {
      closed = true;
      if (timer) clearTimeout(timer);
      controller.abort();
    },
  };
}
