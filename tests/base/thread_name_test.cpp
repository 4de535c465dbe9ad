#include "base/thread_name.h"

#include <gtest/gtest.h>
#include <pthread.h>

#include <future>
#include <string>
#include <thread>

#include "base/task_pool.h"

namespace troupe {
namespace {

std::string NameOfCurrentThread() {
  char name[32] = {};
  pthread_getname_np(pthread_self(), name, sizeof(name));
  return name;
}

TEST(ThreadNameTest, PrefixesTheNameWithTroupe) {
  std::string seen;
  std::thread([&] {
    NameCurrentThread("curl");
    seen = NameOfCurrentThread();
  }).join();
  EXPECT_EQ(seen, "troupe-curl");
}

TEST(ThreadNameTest, CutsALongNameToTheKernelsFifteenBytes) {
  std::string seen;
  std::thread([&] {
    NameCurrentThread("handler-of-everything");
    seen = NameOfCurrentThread();
  }).join();
  EXPECT_EQ(seen, "troupe-handler-");
}

TEST(ThreadNameTest, PoolWorkersCarryThePoolsName) {
  TaskPool pool("turn", 1, 0);
  std::promise<std::string> name;
  ASSERT_TRUE(pool.Post([&] { name.set_value(NameOfCurrentThread()); }));
  EXPECT_EQ(name.get_future().get(), "troupe-turn");
}

}  // namespace
}  // namespace troupe
