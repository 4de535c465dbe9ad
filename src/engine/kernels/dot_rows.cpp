#include "engine/kernels/dot_rows.h"

#include <string>

#include "engine/error.h"
#include "engine/kernels/dot_rows_internal.h"

namespace troupe::engine::kernels {

namespace {

dot_rows::Kernel FindKernel(TensorType type, KernelPath path) {
  if (dot_rows::Kernel kernel = dot_rows::SmallBlockKernel(type, path)) return kernel;
  return dot_rows::KQuantKernel(type, path);
}

}  // namespace

void DotRows(KernelPath path, const DotRowsProblem& problem) {
  if (problem.n_rows == 0 || problem.n_tokens == 0) return;
  // A path without its own variant for this type runs the best lower one it has.
  for (int level = static_cast<int>(path); level >= 0; --level) {
    const KernelPath candidate = static_cast<KernelPath>(level);
    if (candidate != path && !CpuSupports(candidate)) continue;
    if (dot_rows::Kernel kernel = FindKernel(problem.weight_type, candidate)) {
      kernel(problem);
      return;
    }
  }
  ThrowUnsupported("DotRows: no kernel for weight type " + std::string(NameOf(problem.weight_type)));
}

}  // namespace troupe::engine::kernels
