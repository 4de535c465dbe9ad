// Which optional x86 instruction sets the kernels may use. The build targets baseline x86-64;
// kernels with an AVX2 variant pick it at run time when this says the CPU has it.
#pragma once

namespace troupe::engine::kernels {

// AVX2, FMA and F16C together (every x86 CPU since 2013 that has one has all three). Computed
// once; false on other architectures or when TROUPE_ENGINE_NO_AVX2 is set in the environment
// (so the baseline path can be tested on any machine).
bool HasAvx2();

}  // namespace troupe::engine::kernels
