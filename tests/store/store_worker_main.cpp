// Helper process for the store's multi-process tests.
//   store_worker claim URL WORKER_ID      claims jobs until none is left, completing each, and
//                                          prints "claimed ID" per job
//   store_worker append URL CONVERSATION  appends messages forever, printing "appended SEQ ID"
//                                          only after Append returned (the parent kills it)
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <string>

#include "store/store.h"

namespace {

int Fail(const troupe::Status& status) {
  std::cerr << "store_worker: " << status.ToString() << "\n";
  return 2;
}

int Claim(troupe::store::Store& store, const std::string& worker) {
  for (;;) {
    auto claimed = store.jobs().Claim(worker, {});
    if (!claimed.ok()) return Fail(claimed.status());
    if (!claimed->has_value()) return 0;
    const int64_t id = (*claimed)->id;
    troupe::Status done = store.jobs().Complete(id, worker, "{}");
    if (!done.ok()) return Fail(done);
    std::printf("claimed %lld\n", static_cast<long long>(id));
  }
}

int Append(troupe::store::Store& store, int64_t conversation_id) {
  for (long long sequence = 1;; ++sequence) {
    troupe::store::Message message;
    message.conversation_id = conversation_id;
    message.role = troupe::store::MessageRole::kAssistant;
    message.content = "message " + std::to_string(sequence);
    auto appended = store.messages().Append(message);
    if (!appended.ok()) return Fail(appended.status());
    std::printf("appended %lld %lld\n", sequence, static_cast<long long>(appended->id));
    std::fflush(stdout);
  }
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 4) {
    std::cerr << "usage: store_worker claim URL WORKER_ID | append URL CONVERSATION_ID\n";
    return 1;
  }
  const std::string mode = argv[1];
  troupe::store::StoreOptions options;
  options.url = argv[2];
  options.pool_size = 1;
  auto opened = troupe::store::Store::Open(options);
  if (!opened.ok()) return Fail(opened.status());
  if (mode == "claim") return Claim(**opened, argv[3]);
  if (mode == "append") return Append(**opened, std::strtoll(argv[3], nullptr, 10));
  std::cerr << "store_worker: unknown mode " << mode << "\n";
  return 1;
}
