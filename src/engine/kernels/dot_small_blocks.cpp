// Placeholder until the kernels land: no type answers here yet.
#include "engine/kernels/dot_rows_internal.h"

namespace troupe::engine::kernels::dot_rows {

Kernel SmallBlockKernel(TensorType, KernelPath) { return nullptr; }

}  // namespace troupe::engine::kernels::dot_rows
