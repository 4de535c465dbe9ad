// Private to the dot_rows*.cpp files: how DotRows finds the kernel for a weight type and path.
// Each family of types keeps its kernels in files of its own and answers for its types here.
#pragma once

#include "engine/kernels/dot_rows.h"

namespace troupe::engine::kernels::dot_rows {

using Kernel = void (*)(const DotRowsProblem& problem);

// F32, F16, BF16, Q8_0, Q4_0, Q5_0 (dot_small_blocks_*.cpp); nullptr for another type, or for a
// path with no variant of its own (DotRows then tries the next lower path).
Kernel SmallBlockKernel(TensorType type, KernelPath path);

// Q4_K, Q5_K, Q6_K (dot_k_quants_*.cpp); nullptr as above.
Kernel KQuantKernel(TensorType type, KernelPath path);

}  // namespace troupe::engine::kernels::dot_rows
