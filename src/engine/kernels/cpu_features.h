// Which optional x86 instruction sets the kernels may use. The build targets baseline x86-64;
// kernels pick their variant at run time from ActiveKernelPath().
#pragma once

#include <optional>
#include <string_view>

namespace troupe::engine::kernels {

// The instruction-set levels the kernels have variants for, in increasing order. Each level
// includes the ones below it:
//   kScalar:  portable C++ (what any architecture runs)
//   kAvx2:    AVX2 + FMA + F16C (every x86 CPU since 2013 that has one has all three)
//   kAvxVnni: kAvx2 + AVX-VNNI (VEX-encoded vpdpbusd: Intel Alder Lake and later, AMD Zen 5)
//   kAvx512:  kAvx2 + AVX-512 F, BW, VL and VNNI (Ice Lake and later, AMD Zen 4 and later)
enum class KernelPath { kScalar = 0, kAvx2 = 1, kAvxVnni = 2, kAvx512 = 3 };

// "scalar", "avx2", "avx-vnni", "avx512".
std::string_view NameOf(KernelPath path);
std::optional<KernelPath> ParseKernelPath(std::string_view name);

// Whether this CPU (and the OS, which must save the wider registers) can run `path`'s code.
bool CpuSupports(KernelPath path);

// The level every kernel uses in this process, decided once: the highest the CPU supports, capped
// by the environment variable TROUPE_ENGINE_KERNELS (one of the names above) so tests and
// benchmarks can force a lower path; TROUPE_ENGINE_NO_AVX2 (any value) means scalar. A requested
// level the CPU lacks falls back to the highest it has.
KernelPath ActiveKernelPath();

// ActiveKernelPath() >= kAvx2: the float kernels (vector_ops, fp16, row_decoder) have one SIMD
// variant.
bool HasAvx2();

}  // namespace troupe::engine::kernels
