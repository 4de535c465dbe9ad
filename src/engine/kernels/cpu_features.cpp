#include "engine/kernels/cpu_features.h"

#include <algorithm>
#include <cstdlib>

#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>
#endif

namespace troupe::engine::kernels {

namespace {

#if defined(__x86_64__) || defined(__i386__)
struct CpuidBits {
  unsigned eax = 0, ebx = 0, ecx = 0, edx = 0;
};

CpuidBits Cpuid(unsigned leaf, unsigned subleaf) {
  CpuidBits bits;
  if (__get_cpuid_count(leaf, subleaf, &bits.eax, &bits.ebx, &bits.ecx, &bits.edx) == 0) return {};
  return bits;
}

// The OS saves the AVX (YMM) state, and for `need_zmm` the AVX-512 (opmask and ZMM) state too.
bool OsSavesVectorState(bool need_zmm) {
  const CpuidBits leaf1 = Cpuid(1, 0);
  const bool has_osxsave = (leaf1.ecx & (1u << 27)) != 0;
  if (!has_osxsave) return false;
  unsigned eax = 0, edx = 0;
  __asm__("xgetbv" : "=a"(eax), "=d"(edx) : "c"(0));
  const unsigned ymm_state = 0x6;   // SSE and AVX
  const unsigned zmm_state = 0xE6;  // plus opmask, ZMM_Hi256, Hi16_ZMM
  const unsigned needed = need_zmm ? zmm_state : ymm_state;
  return (eax & needed) == needed;
}

bool DetectAvx2() {
  // clang does not know "f16c" as a __builtin_cpu_supports name, so that bit comes from CPUID
  // leaf 1 (ECX bit 29).
  const bool has_f16c = (Cpuid(1, 0).ecx & (1u << 29)) != 0;
  const bool has_fma = (Cpuid(1, 0).ecx & (1u << 12)) != 0;
  const bool has_avx2 = (Cpuid(7, 0).ebx & (1u << 5)) != 0;
  return has_avx2 && has_fma && has_f16c && OsSavesVectorState(false);
}

bool DetectAvxVnni() {
  return DetectAvx2() && (Cpuid(7, 1).eax & (1u << 4)) != 0;
}

bool DetectAvx512() {
  const CpuidBits leaf7 = Cpuid(7, 0);
  const bool f = (leaf7.ebx & (1u << 16)) != 0;
  const bool bw = (leaf7.ebx & (1u << 30)) != 0;
  const bool vl = (leaf7.ebx & (1u << 31)) != 0;
  const bool vnni = (leaf7.ecx & (1u << 11)) != 0;
  return DetectAvx2() && f && bw && vl && vnni && OsSavesVectorState(true);
}
#endif

KernelPath DetectActivePath() {
  KernelPath best = KernelPath::kScalar;
  for (KernelPath path : {KernelPath::kAvx2, KernelPath::kAvxVnni, KernelPath::kAvx512}) {
    if (CpuSupports(path)) best = path;
  }
  if (std::getenv("TROUPE_ENGINE_NO_AVX2") != nullptr) return KernelPath::kScalar;
  const char* requested = std::getenv("TROUPE_ENGINE_KERNELS");
  if (requested == nullptr) return best;
  const std::optional<KernelPath> cap = ParseKernelPath(requested);
  if (!cap) return best;
  // kAvxVnni and kAvx512 are not nested (a CPU may have either), so cap by walking down.
  KernelPath chosen = std::min(*cap, best);
  while (chosen != KernelPath::kScalar && !CpuSupports(chosen)) {
    chosen = static_cast<KernelPath>(static_cast<int>(chosen) - 1);
  }
  return chosen;
}

}  // namespace

std::string_view NameOf(KernelPath path) {
  switch (path) {
    case KernelPath::kScalar: return "scalar";
    case KernelPath::kAvx2: return "avx2";
    case KernelPath::kAvxVnni: return "avx-vnni";
    case KernelPath::kAvx512: return "avx512";
  }
  return "unknown";
}

std::optional<KernelPath> ParseKernelPath(std::string_view name) {
  for (KernelPath path : {KernelPath::kScalar, KernelPath::kAvx2, KernelPath::kAvxVnni, KernelPath::kAvx512}) {
    if (NameOf(path) == name) return path;
  }
  return std::nullopt;
}

bool CpuSupports(KernelPath path) {
#if defined(__x86_64__) || defined(__i386__)
  static const bool avx2 = DetectAvx2();
  static const bool avx_vnni = DetectAvxVnni();
  static const bool avx512 = DetectAvx512();
  switch (path) {
    case KernelPath::kScalar: return true;
    case KernelPath::kAvx2: return avx2;
    case KernelPath::kAvxVnni: return avx_vnni;
    case KernelPath::kAvx512: return avx512;
  }
  return false;
#else
  return path == KernelPath::kScalar;
#endif
}

KernelPath ActiveKernelPath() {
  static const KernelPath active = DetectActivePath();
  return active;
}

bool HasAvx2() { return ActiveKernelPath() >= KernelPath::kAvx2; }

}  // namespace troupe::engine::kernels
