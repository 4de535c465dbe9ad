#include "engine/kernels/cpu_features.h"

#include <cstdlib>

namespace troupe::engine::kernels {

namespace {

bool DetectAvx2() {
  if (std::getenv("TROUPE_ENGINE_NO_AVX2") != nullptr) return false;
#if defined(__x86_64__) || defined(__i386__)
  __builtin_cpu_init();
  return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") &&
         __builtin_cpu_supports("f16c");
#else
  return false;
#endif
}

}  // namespace

bool HasAvx2() {
  static const bool available = DetectAvx2();
  return available;
}

}  // namespace troupe::engine::kernels
