#include "base/thread_name.h"

#include <pthread.h>

#include <string>

namespace troupe {

void NameCurrentThread(std::string_view name) {
  // Linux refuses names longer than 15 bytes outright; a cut name is better than none.
  std::string full = "troupe-";
  full.append(name);
  if (full.size() > 15) full.resize(15);
  pthread_setname_np(pthread_self(), full.c_str());
}

}  // namespace troupe
