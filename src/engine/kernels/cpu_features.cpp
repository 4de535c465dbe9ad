#include "engine/kernels/cpu_features.h"

#include <cstdlib>

#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>
#endif

namespace troupe::engine::kernels {

namespace {

bool DetectAvx2() {
  if (std::getenv("TROUPE_ENGINE_NO_AVX2") != nullptr) return false;
#if defined(__x86_64__) || defined(__i386__)
  __builtin_cpu_init();
  // clang does not know "f16c" as a __builtin_cpu_supports name, so that bit comes from CPUID
  // leaf 1 (ECX bit 29); the builtins also check that the OS saves the AVX registers.
  unsigned eax = 0, ebx = 0, ecx = 0, edx = 0;
  const bool has_f16c = __get_cpuid(1, &eax, &ebx, &ecx, &edx) != 0 && (ecx & (1u << 29)) != 0;
  return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") && has_f16c;
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
